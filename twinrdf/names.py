"""Locality names as scraped lists write them: cleaning, folding and qualifiers.

Entity resolution compares names, so three things are separated here:
- :func:`clean_name` removes what is not part of the name at all (wiki markup, footnote
  markers, HTML entities, stray whitespace) and is what the output keeps as the label;
- :func:`split_qualifier` separates a disambiguator (``Świdnica (rural gmina)``,
  ``Kinross, Perth and Kinross``) from the name itself;
- :func:`fold` is the comparison form: case, diacritics and punctuation removed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_LINK = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]")  # [[Target|Text]] -> Text, [[Text]] -> Text
_EXTLINK = re.compile(r"\[(?:https?:)?//\S+\s+([^\]]*)\]")  # [http://x Text] -> Text
_REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>.*?</ref>", re.S | re.I)
_TAG = re.compile(r"</?[a-z][^>]*>", re.I)
_LANG_TPL = re.compile(r"\{\{\s*(?:lang|langx|nowrap|transl|ill)\s*\|(?:[^|{}]*\|)?([^|{}]*)\}\}", re.I)
_TPL = re.compile(r"\{\{[^{}]*\}\}")
_FOOTNOTE = re.compile(r"\[(?:\d+|[a-z]|note \d+|nb \d+|citation needed|clarification needed)\]", re.I)
_QUOTES = re.compile(r"'{2,}")
_MARKERS = re.compile(r"[*†‡§¶#]+$")
_SPACE = re.compile(r"\s+")

_PUNCT_SPACE = str.maketrans({c: " " for c in "-–—‐‑‒―/\\_.,;:·•()[]{}&+"})
_PUNCT_DROP = str.maketrans({c: None for c in "'’‘`´ʻʼ\"“”„«»!?"})
# Letters that NFKD does not decompose into a base letter plus a combining mark.
_LETTERS = str.maketrans({
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "æ": "ae",
    "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ß": "ss", "ħ": "h", "ŧ": "t",
})


def clean_name(text: str) -> str:
    """The name as it should be shown: markup, footnotes and entities removed, spaces collapsed."""
    s = text
    if "&" in s:
        s = html.unescape(s)
    if "<" in s:
        s = _REF.sub("", s)
        s = _TAG.sub("", s)
    if "{{" in s:
        s = _LANG_TPL.sub(r"\1", s)
        s = _TPL.sub("", s)
    if "[" in s:
        s = _LINK.sub(r"\1", s)
        s = _EXTLINK.sub(r"\1", s)
        s = _FOOTNOTE.sub("", s)
    if "''" in s:
        s = _QUOTES.sub("", s)
    s = _MARKERS.sub("", s.strip())
    s = _SPACE.sub(" ", s).strip()
    return unicodedata.normalize("NFC", s)


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Comparison form: casefolded, without diacritics or punctuation, single-spaced.

    ``Świdnica`` and ``swidnica``, ``Saint-Étienne`` and ``Saint Etienne``, ``Ch’ŏngjin`` and
    ``Chongjin`` fold to the same string; letters of other scripts are kept as they are.
    """
    if text.isascii():  # nothing to decompose or strip (most names; issue 4 speed)
        s = text
    else:
        s = text.translate(_LETTERS)
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().translate(_PUNCT_DROP).translate(_PUNCT_SPACE)
    return " ".join(s.split())


_PAREN_Q = re.compile(r"^(?P<base>.+?)\s*\((?P<q>[^()]+)\)$")

# Qualifiers that name a KIND of unit rather than where it is: "Świdnica (rural gmina)" is a
# different unit from the town Świdnica, so such a qualifier is never dropped to merge.
KIND_WORDS = frozenset(
    """gmina rural urban municipality municipal commune comune county district borough city town
    village township parish province prefecture region department canton raion rayon oblast
    community council metropolitan regional unitary island islands state ward""".split()
)


def split_qualifier(name: str) -> tuple[str, str | None]:
    """``("Świdnica", "rural gmina")`` from ``Świdnica (rural gmina)``; ``("Kinross", "Perth and
    Kinross")`` from ``Kinross, Perth and Kinross``; ``(name, None)`` when there is none."""
    m = _PAREN_Q.match(name)
    if m:
        return m.group("base").strip(), m.group("q").strip()
    if ", " in name:
        base, _, q = name.partition(", ")
        if base and q:
            return base.strip(), q.strip()
    return name, None


def is_kind_qualifier(qualifier: str) -> bool:
    """True when the qualifier says what kind of unit it is (``rural gmina``, ``district``)."""
    words = fold(qualifier).split()
    return bool(words) and any(w in KIND_WORDS for w in words)


_SLUG_DROP = re.compile(r"[^\w]+", re.U)


@lru_cache(maxsize=200_000)
def slug(text: str) -> str:
    """An identifier fragment from a name: folded, words joined by ``-`` (other scripts kept)."""
    return _SLUG_DROP.sub("-", fold(text)).strip("-_") or "x"
