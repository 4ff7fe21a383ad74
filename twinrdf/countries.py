"""Country names and codes as written in real twinning data, normalised to ISO 3166.

Sources spell the same country many ways ("England", "England, United Kingdom", "UK",
"Georgia (country)", "Republic of Ireland", typos such as "Grece"). Entity resolution needs
one code per country to decide whether two mentions are the same locality, so every string
goes through :func:`normalise_country`. pycountry supplies ISO 3166-1 (current countries),
ISO 3166-2 (the UK's constituent countries and other subdivisions) and ISO 3166-3 (historical
countries: USSR, Yugoslavia, Czechoslovakia, the GDR ...); the small alias table below holds
only what pycountry lacks.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pycountry
from rapidfuzz import fuzz, process

from twinrdf.names import fold
from twinrdf.records import Locality

How = Literal["code", "name", "alias", "historic", "subdivision", "region", "fuzzy"]

# What pycountry does not know, or knows under a name nobody writes. Values are ISO 3166
# codes: alpha-2, 3166-2 (GB-ENG) or 3166-3 alpha-4 (SUHH). ``None`` means "a real place
# with no ISO 3166 code": the string is kept, but it is not guessed into another country.
ALIASES: dict[str, str | None] = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB-ENG",
    "scotland": "GB-SCT",
    "wales": "GB-WLS",
    "northern ireland": "GB-NIR",
    "kosovo": "XK",  # user-assigned code used by the EU and the IMF; not in ISO 3166-1
    "republic of kosovo": "XK",
    "russia": "RU",
    "turkey": "TR",
    "brunei": "BN",
    "cape verde": "CV",
    "ivory coast": "CI",
    "east timor": "TL",  # pycountry lists it as historic (TPTL); the name is current usage
    "republic of ireland": "IE",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "republic of the congo": "CG",
    "congo brazzaville": "CG",
    "congo kinshasa": "CD",
    "micronesia": "FM",
    "moldavia": "MD",
    "surinam": "SR",
    "macedonia": "MK",
    "republic of macedonia": "MK",
    "swaziland": "SZ",
    "burma": "MM",
    "holland": "NL",
    "vatican": "VA",
    "vatican city": "VA",
    "the gambia": "GM",
    "the bahamas": "BS",
    "the netherlands": "NL",
    "palestine": "PS",
    "west bank": "PS",
    "gaza strip": "PS",
    "gaza": "PS",
    "falkland islands": "FK",
    "bosnia and hercegovina": "BA",
    "czechia": "CZ",
    "usa": "US",
    "united states of america": "US",
    "america": "US",
    "soviet union": "SUHH",
    "west germany": "DE",
    "federal republic of germany": "DE",
    "east germany": "DDDE",
    "gdr": "DDDE",
    "sfr yugoslavia": "YUCS",
    "northern cyprus": None,  # recognised only by Turkey; no ISO 3166 code
    "turkish republic of northern cyprus": None,
    "somaliland": None,
    "transnistria": None,
    "abkhazia": None,
    "south ossetia": None,
}

TRANSLATED = ("de", "fr", "es", "it", "nl", "pl", "pt", "sv", "cs")

# Names of subdivisions that are countries in their own right for twinning purposes.
# (Their ISO 3166-2 names; kept here so that the large subdivisions table is never loaded.)
UK_CONSTITUENTS = {"GB-ENG": "England", "GB-SCT": "Scotland", "GB-WLS": "Wales", "GB-NIR": "Northern Ireland"}


@dataclass(frozen=True)
class CountryMatch:
    """A country string resolved to ISO 3166.

    ``code`` is the most specific code (GB-ENG); ``top`` the state it belongs to (GB), which is
    what entity resolution compares; ``region`` the part of the string that named a place
    inside the country ("Brandenburg" in "Brandenburg, Germany"); ``how`` says how sure the
    match is (``fuzzy`` matches belong in the review report).
    """

    code: str | None
    top: str | None
    name: str
    how: How
    region: str | None = None

    @property
    def certain(self) -> bool:
        return self.how != "fuzzy"


def _strip_paren(s: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", s).strip()


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, str]]:
    """folded name -> (code, display name), built once from pycountry plus the aliases."""
    idx: dict[str, tuple[str, str]] = {}
    first_parts: dict[str, set[str]] = {}

    def add(text: str | None, code: str, display: str) -> None:
        if not text:
            return
        for variant in {text, _strip_paren(text)}:
            f = fold(variant)
            if f and f not in idx:
                idx[f] = (code, display)
            if ", " in variant:
                head, _, tail = variant.partition(", ")
                # "Congo, The Democratic Republic of the" -> "Democratic Republic of the Congo"
                inv = fold(re.sub(r"^the\s+", "", f"{tail} {head}", flags=re.I))
                if inv and inv not in idx:
                    idx[inv] = (code, display)
                first_parts.setdefault(fold(head), set()).add(code)

    for c in pycountry.countries:
        display = getattr(c, "common_name", None) or c.name
        for attr in ("common_name", "name", "official_name"):
            add(getattr(c, attr, None), c.alpha_2, display)
    for h in pycountry.historic_countries:
        # "USSR, Union of Soviet Socialist Republics": every comma part names the country
        for part in [h.name, *h.name.split(", ")]:
            add(part, h.alpha_4, h.name)
    for head, codes in first_parts.items():
        if len(codes) == 1 and head not in idx:
            code = next(iter(codes))
            idx[head] = (code, idx.get(fold(code), (code, head))[1])
    for text, code in ALIASES.items():
        idx[fold(text)] = (code, text) if code else ("", text)  # "" marks "known, no ISO code"
    return idx


@lru_cache(maxsize=1)
def _translated() -> dict[str, tuple[str, str]]:
    """Country names in the languages national twinning lists are mostly kept in (pycountry's
    gettext catalogues), loaded only when an English lookup fails."""
    idx: dict[str, tuple[str, str]] = {}
    english = _index()
    for lang in TRANSLATED:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue
        for c in pycountry.countries:
            display = getattr(c, "common_name", None) or c.name
            for attr in ("common_name", "name", "official_name"):
                text = getattr(c, attr, None)
                if not text:
                    continue
                for variant in {tr.gettext(text), _strip_paren(tr.gettext(text))}:
                    f = fold(variant)
                    if f and f not in english and f not in idx:
                        idx[f] = (c.alpha_2, display)
    return idx


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        out[c.alpha_2] = c.alpha_2
        out[c.alpha_3] = c.alpha_2
    for h in pycountry.historic_countries:
        out[h.alpha_4] = h.alpha_4
    out["XK"] = "XK"
    for code in UK_CONSTITUENTS:
        out[code] = code
    return out


def _display(code: str) -> str:
    if code in UK_CONSTITUENTS:
        return UK_CONSTITUENTS[code]
    if len(code) == 4:
        h = pycountry.historic_countries.get(alpha_4=code)
        return h.name if h else code
    c = pycountry.countries.get(alpha_2=code)
    if c is None:
        return {"XK": "Kosovo"}.get(code, code)
    return getattr(c, "common_name", None) or c.name


def top_of(code: str) -> str:
    """The state a code belongs to: GB for GB-ENG, DE for DE-BB, the code itself otherwise."""
    return code.split("-", 1)[0] if "-" in code else code


def _exact(text: str) -> CountryMatch | None:
    raw = text.strip()
    if raw.upper() in _codes() and (len(raw) in (2, 3, 4) or raw.upper() in UK_CONSTITUENTS):
        if raw.isupper():  # "DE", "DEU", "GB-ENG"; lower-case two-letter words are not codes
            code = _codes()[raw.upper()]
            return CountryMatch(code, top_of(code), _display(code), "code")
    hit = _index().get(fold(raw)) or _translated().get(fold(raw))
    if hit is None:
        return None
    code, display = hit
    if code == "":
        return CountryMatch(None, None, raw, "alias")
    how: How = "alias" if fold(raw) in ALIASES else ("historic" if len(code) == 4 else "name")
    return CountryMatch(code, top_of(code), _display(code), how)


@lru_cache(maxsize=1)
def _fuzzy_choices() -> list[str]:
    return [k for k, (code, _) in _index().items() if code and len(k) >= 4]


@lru_cache(maxsize=4096)
def normalise_country(text: str | None) -> CountryMatch | None:
    """Resolve a country string as sources write it to ISO 3166, or None when unknown.

    Handles codes (``DE``, ``DEU``, ``GB-ENG``), names in any case and with or without
    diacritics, the UK's constituent countries, historical countries, ``"Region, Country"``
    (``Brandenburg, Germany``: DE with region Brandenburg; ``England, United Kingdom``:
    GB-ENG), Wikipedia disambiguators (``Georgia (country)``), a leading ``in``, and typos
    (``Grece``), the last flagged ``fuzzy``.
    """
    if text is None:
        return None
    s = re.sub(r"\s+", " ", text).strip()
    s = re.sub(r"^(?:in|the)\s+", "", s, flags=re.I)
    if not s:
        return None
    m = _exact(s) or _exact(_strip_paren(s))
    if m:
        return m
    if "," in s:
        head, _, tail = s.rpartition(",")
        head, tail = head.strip(), tail.strip()
        outer = normalise_country(tail)
        inner = _exact(head)
        if inner and inner.code and outer and outer.top and inner.top == outer.top:
            return inner  # "England, United Kingdom"
        if inner and inner.code and outer and outer.code \
                and len(inner.code) == 2 and inner.code != outer.code:
            # "Réunion, France", "Åland Islands, Finland": ISO gives the territory its own code
            return CountryMatch(inner.code, inner.top, inner.name, "name", region=None)
        if outer and outer.code:
            return CountryMatch(outer.code, outer.top, outer.name, "region", region=head)
        return None
    if len(s) >= 4:
        hit = process.extractOne(fold(s), _fuzzy_choices(), scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            code = _index()[hit[0]][0]
            return CountryMatch(code, top_of(code), _display(code), "fuzzy")
    return None


def country_records(codes: Iterable[str | None]) -> list[Locality]:
    """Country localities for the codes the builder cannot mint by itself.

    ISO 3166-1 alpha-2 codes become ``<base>country/<CODE>`` in the builder; the UK's
    constituent countries (GB-ENG), Kosovo (XK) and historical countries (SUHH) need a record
    of their own, keyed by the code, so that ``Locality.country`` can point at them.
    """
    out: list[Locality] = []
    for code in sorted({c for c in codes if c}):
        if len(code) == 2 and code != "XK":
            continue
        top = top_of(code)
        out.append(Locality(
            key=code,
            names=[(_display(code), "en")],
            scope="Country",
            country_code=code,
            country=top if top != code else None,
        ))
    return out
