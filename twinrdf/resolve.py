"""Entity resolution: the same locality written differently becomes one node, on evidence.

Scraped lists name each locality once per row, in the spelling of the page it came from:
``Świdnica`` / ``Swidnica``, ``Keighley, England`` / ``Keighley, England, United Kingdom``,
``Kinross`` / ``Kinross, Perth and Kinross``. A parser hands every such *mention* to a
:class:`Resolver`; :meth:`Resolver.finish` groups them into localities and says which key
each mention got. The rules, from strongest evidence to weakest:

1. the same Wikidata Q-id is the same locality; different Q-ids never merge;
2. the same folded name (case, diacritics, punctuation and wiki markup ignored), the same
   qualifier and the same state (``England`` and ``United Kingdom`` are both GB) is the same
   locality, unless their coordinates are further apart than the tolerance;
3. a name without qualifier and the *only* qualified variant of that name in the same state
   (``Kinross`` and ``Kinross, Perth and Kinross``) merge when the qualifier names a place,
   not a kind of unit (``(rural gmina)`` is a different unit from the town), and their
   coordinates, when both have them, agree;
4. two different spellings in the same state whose coordinates agree within 1 km and whose
   names are near-identical (rapidfuzz ratio >= 90) merge.

Every merge by rule 3 or 4 and every case the rules could not decide (several qualified
variants, a kind qualifier, coordinates that disagree, near-identical names without
coordinates, a country guessed from a typo) goes into the review report: nothing uncertain
is merged silently.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import struct
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from twinrdf.countries import CountryMatch, normalise_country
from twinrdf.names import clean_name, fold, is_kind_qualifier, slug, split_qualifier
from twinrdf.perf import fork_enabled
from twinrdf.records import Locality, Name, Origin, ReviewItem

DEFAULT_TOLERANCE_KM = 10.0
NEAR_KM = 1.0
NEAR_NAME = 90.0
REVIEW_NAME = 92.0
MAX_BLOCK = 400  # fuzzy review compares names pairwise inside a block; larger blocks are split by prefix


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine), enough to tell a town from its namesake."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class _Mention:
    name: str
    country: str | None
    lat: float | None
    lon: float | None
    wikidata: str | None
    geonames: str | None
    lang: str | None
    origin: Origin | None
    count: int = 1
    extra: list[Name] = field(default_factory=list)  # aliases
    descriptions: list[Name] = field(default_factory=list)
    # derived in finish()
    base: str = ""
    qual: str | None = None
    fbase: str = ""
    fqual: str = ""
    top: str = ""
    cm: CountryMatch | None = None
    single_key: str = ""

    @property
    def coords(self) -> tuple[float, float] | None:
        return (self.lat, self.lon) if self.lat is not None and self.lon is not None else None


Derived = tuple  # (cm, base, qual, fbase, fqual, top, single_key): see _derived


def _derived(name: str, country: str | None) -> Derived:
    """What :meth:`Resolver.finish` needs of one mention besides its raw fields: the country
    match, name and qualifier (split, folded) and the state to compare in, and the key a
    locality made of this mention alone gets (without a Q-id). A pure function of the
    cleaned name and the stripped country, so a helper process can compute it."""
    cm = normalise_country(country)
    base, qual = split_qualifier(name) if name else ("", None)
    if qual is not None:
        qc = normalise_country(qual)
        if qc is not None and qc.code and qc.certain:
            if cm is None or not cm.code:
                cm = qc  # "Varna, Bulgaria" with an empty country column
                qual = None
            elif qc.top == cm.top:
                qual = None  # "Córdoba, Spain" in Spain: the qualifier only repeats the country
                if len(qc.code) > len(cm.code or ""):
                    cm = qc
    fbase, fqual = fold(base), fold(qual) if qual else ""
    if cm is not None and cm.top:
        top = cm.top
    elif country:
        top = "?" + fold(country)
    else:
        top = ""
    key = f"{slug((top or 'xx').lstrip('?'))}.{slug(base) if base else 'unnamed'}"
    if fqual:
        key += f".{slug(qual or '')}"
    return cm, base, qual, fbase, fqual, top, key


HELPER_MIN = 2000  # mentions before a helper process pays for its fork
HELPER_PATIENCE = 60.0  # seconds (plus 0.1 ms per mention) to wait for the helper's answer
_BATCH = 1024
_LEN = struct.Struct("!I")


class _DeriveHelper:
    """Computes :func:`_derived` for the mentions in a forked process while the parser is still
    reading rows (issue 4 speed: on the 26k-row Wikipedia list that work, ~0.25 s, then costs
    the parser nothing but sending the names). Only an accelerator: if the helper cannot be
    started or fails, :meth:`results` returns None and the resolver derives everything itself,
    with the same results."""

    def __init__(self) -> None:
        self.pid = 0
        self.wfd = self.rfd = -1
        self.batch: list[tuple[str, str | None]] = []
        self.failed = False

    def start(self) -> bool:
        try:
            r1, w1 = os.pipe()
            r2, w2 = os.pipe()
        except OSError:
            return False
        try:
            pid = os.fork()
        except OSError:
            for fd in (r1, w1, r2, w2):
                os.close(fd)
            return False
        if pid == 0:
            self._serve(r1, w2)  # never returns
        with contextlib.suppress(OSError, ImportError):  # room for bursts: the parser never waits
            import fcntl

            fcntl.fcntl(w1, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        os.close(r1)
        os.close(w2)
        os.set_blocking(w1, False)  # see _flush: a stuck helper must not stop the parser
        self.pid, self.wfd, self.rfd = pid, w1, r2
        return True

    @staticmethod
    def _serve(rfd: int, wfd: int) -> None:
        code = 1
        try:
            with contextlib.suppress(OSError):  # inherited descriptors (other pipes) stay the parent's
                for name in os.listdir("/proc/self/fd"):
                    fd = int(name)
                    if fd > 2 and fd not in (rfd, wfd):
                        with contextlib.suppress(OSError):
                            os.close(fd)
            out: list[Derived] = []
            with os.fdopen(rfd, "rb") as src:
                while head := src.read(_LEN.size):
                    batch = pickle.loads(src.read(_LEN.unpack(head)[0]))
                    out.extend(_derived(n, c) for n, c in batch)
            data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(wfd, "wb") as dst:
                dst.write(data)
            code = 0
        finally:
            os._exit(code)

    def add(self, name: str, country: str | None) -> None:
        self.batch.append((name, country))
        if len(self.batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch and self.wfd >= 0:
            data = pickle.dumps(self.batch, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(_LEN.pack(len(data)) + data)
            while view:
                try:
                    view = view[os.write(self.wfd, view):]
                except BlockingIOError:  # the helper is behind: wait for it, not forever
                    if not select.select([], [self.wfd], [], HELPER_PATIENCE)[1]:
                        self.failed = True
                        break
                except OSError:  # the helper is gone
                    self.failed = True
                    break
            if self.failed:
                os.close(self.wfd)
                self.wfd = -1
        self.batch = []

    def results(self, expected: int) -> list[Derived] | None:
        """The derivations of the ``expected`` mentions sent, in order; None if the helper failed."""
        self._flush()
        if self.wfd >= 0:
            os.close(self.wfd)
            self.wfd = -1
        got = None
        if self.failed:
            self.stop()
            return None
        try:
            # a helper that never answers (say, a lock held by another thread at fork time)
            # must not hang the conversion: past the deadline the resolver derives itself
            deadline = time.monotonic() + HELPER_PATIENCE + expected * 1e-4
            chunks = []
            while (left := deadline - time.monotonic()) > 0:
                if not select.select([self.rfd], [], [], left)[0]:
                    break
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:  # the helper is done
                    got = pickle.loads(b"".join(chunks)) if chunks else None
                    break
                chunks.append(chunk)
        except Exception:  # noqa: BLE001 - any failure means: derive here instead
            got = None
        finally:
            self.stop()
        return got if got is not None and len(got) == expected else None

    def stop(self) -> None:
        if self.wfd >= 0:
            os.close(self.wfd)
            self.wfd = -1
        if self.rfd >= 0:
            os.close(self.rfd)
            self.rfd = -1
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        p = self.parent
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class Resolution:
    """What :meth:`Resolver.finish` decided: a key per mention, the localities, the report."""

    keys: list[str]
    localities: list[Locality]
    review: list[ReviewItem] = field(default_factory=list)


class Resolver:
    """Collects locality mentions, then groups them (see the module docstring for the rules)."""

    def __init__(self, tolerance_km: float = DEFAULT_TOLERANCE_KM, review_fuzzy: bool = True) -> None:
        self.tolerance_km = tolerance_km
        self.review_fuzzy = review_fuzzy
        self._mentions: list[_Mention] = []
        self._seen: dict[tuple, int] = {}
        self._helper: _DeriveHelper | None = None
        self._helper_tried = False

    def add(
        self,
        name: str | None,
        country: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        wikidata: str | None = None,
        geonames: str | None = None,
        lang: str | None = None,
        origin: Origin | None = None,
        aliases: list[str] | None = None,
        description: str | None = None,
    ) -> int:
        """Register one mention; returns its id (identical mentions share an id).

        ``aliases`` and ``description`` (from Wikidata's label service) are carried to the
        locality but are no evidence of identity."""
        cleaned = _clean(name) if name else ""
        country = country.strip() if country and country.strip() else None
        mid = self._register((cleaned, country, lat, lon, wikidata, geonames, lang), origin)
        if aliases or description:
            m = self._mentions[mid]
            for a in aliases or ():
                if (a, lang) not in m.extra:
                    m.extra.append((a, lang))
            if description and (description, lang) not in m.descriptions:
                m.descriptions.append((description, lang))
        return mid

    def add_name(self, name: str, country: str | None, lang: str | None, origin: Origin | None) -> int:
        """:meth:`add` for a mention made of a non-empty stripped name and an optional stripped,
        non-empty country only (issue 4 speed: the common row of a scraped list)."""
        return self._register((_clean(name), country, None, None, None, None, lang), origin)

    def _register(self, sig: tuple, origin: Origin | None) -> int:
        """The id of the mention with these fields (name, country, lat, lon, wikidata,
        geonames, lang): a new one (its derivations sent to the helper), or a repeat counted."""
        mid = self._seen.get(sig)
        if mid is None:
            mid = self._seen[sig] = len(self._mentions)
            self._mentions.append(_Mention(*sig, origin))
            if self._helper is not None:
                self._helper.add(sig[0], sig[1])
            elif mid >= HELPER_MIN and not self._helper_tried:
                self._start_helper()
        else:
            self._mentions[mid].count += 1
        return mid

    def _start_helper(self) -> None:
        """Past HELPER_MIN mentions, hand the derivations to a helper process (_DeriveHelper)."""
        self._helper_tried = True
        if not fork_enabled():
            return
        helper = _DeriveHelper()
        if helper.start():
            self._helper = helper
            for m in self._mentions:
                helper.add(m.name, m.country)

    # -- grouping ---------------------------------------------------------------------------
    def _derive(self, review: list[ReviewItem]) -> None:
        ms = self._mentions
        derived = None
        if self._helper is not None:
            derived = self._helper.results(len(ms))
            self._helper = None
        if derived is None:
            derived = [_derived(m.name, m.country) for m in ms]
        for m, (cm, base, qual, fbase, fqual, top, key) in zip(ms, derived, strict=True):
            m.cm, m.base, m.qual, m.fbase, m.fqual = cm, base, qual, fbase, fqual
            m.top, m.single_key = top, key
            if cm is not None and not cm.certain:
                review.append(ReviewItem(
                    "country-guessed", [m.name], f"country {m.country!r} read as {m.cm.code} ({m.cm.name})",
                    merged=False, origin=m.origin,
                ))

    def finish(self) -> Resolution:
        review: list[ReviewItem] = []
        self._derive(review)
        ms = self._mentions
        uf = _UnionFind(len(ms))
        tol = self.tolerance_km

        # Rule 1: the same Q-id.
        by_qid: dict[str, int] = {}
        for i, m in enumerate(ms):
            if m.wikidata:
                j = by_qid.setdefault(m.wikidata, i)
                uf.union(i, j)

        # Rule 2: the same folded name, qualifier and state, coordinates permitting.
        exact: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for i, m in enumerate(ms):
            if m.fbase:
                exact[(m.top, m.fbase, m.fqual)].append(i)
        for key, idxs in exact.items():
            if len(idxs) > 1:  # one mention: nothing to merge
                self._merge_exact(key, idxs, uf, review)

        # Rule 3: qualifier dropped, when exactly one qualified variant names a place.
        variants: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        qualified_bases = {(top, fb) for top, fb, fq in exact if fq}  # only these can merge
        for (top, fb, fq), idxs in exact.items():
            if (top, fb) in qualified_bases:
                variants[(top, fb)][fq].extend(idxs)
        for (top, _fb), quals in variants.items():
            if "" not in quals or len(quals) < 2:
                continue
            plain = quals[""]
            qualified = {q: v for q, v in quals.items() if q}
            names = sorted({ms[i].name for v in qualified.values() for i in v})
            plain_name = ms[plain[0]].name
            if len(qualified) > 1:
                review.append(ReviewItem(
                    "ambiguous-qualifier", [plain_name, *names],
                    f"{plain_name!r} could be any of {len(qualified)} qualified localities; not merged",
                    merged=False, origin=ms[plain[0]].origin,
                ))
                continue
            (q, qidx), = qualified.items()
            qual_text = ms[qidx[0]].qual or q
            if is_kind_qualifier(qual_text):
                review.append(ReviewItem(
                    "kind-qualifier", [plain_name, *names],
                    f"qualifier ({qual_text}) names a kind of unit; {plain_name!r} may be a different unit, "
                    "not merged",
                    merged=False, origin=ms[plain[0]].origin,
                ))
                continue
            if self._coords_conflict(plain, qidx):
                review.append(ReviewItem(
                    "coordinates-disagree", [plain_name, *names],
                    f"{plain_name!r} and {names[0]!r} are more than {tol:g} km apart; not merged",
                    merged=False, origin=ms[plain[0]].origin,
                ))
                continue
            if self._qid_conflict(plain + qidx):
                continue
            for i in qidx:
                uf.union(plain[0], i)
            review.append(ReviewItem(
                "qualifier-dropped", [plain_name, *names],
                f"merged: {plain_name!r} is the only locality of that name in {top} besides {names[0]!r}",
                merged=True, origin=ms[plain[0]].origin,
            ))

        # Rule 4: near-identical names at the same place.
        self._merge_near(uf, review)

        if self.review_fuzzy:
            self._review_similar(uf, review)

        return self._build(uf, review)

    def _qid_conflict(self, idxs: list[int]) -> bool:
        return len({self._mentions[i].wikidata for i in idxs if self._mentions[i].wikidata}) > 1

    def _coords_conflict(self, a: list[int], b: list[int]) -> bool:
        ca = [self._mentions[i].coords for i in a if self._mentions[i].coords]
        cb = [self._mentions[i].coords for i in b if self._mentions[i].coords]
        return any(distance_km(x, y) > self.tolerance_km for x in ca for y in cb)

    def _merge_exact(self, key: tuple[str, str, str], idxs: list[int], uf: _UnionFind,
                     review: list[ReviewItem]) -> None:
        ms = self._mentions
        if len(idxs) == 1:
            return
        # "Newport" in Wales and "Newport" in England share the state GB but are two towns: split
        # by the specific code; a mention that says only "United Kingdom" joins the one
        # specific variant when there is exactly one, and is reported otherwise.
        specific: dict[str, list[int]] = defaultdict(list)
        generic: list[int] = []
        for i in idxs:
            cm = ms[i].cm
            if cm is not None and cm.code and cm.code != cm.top:
                specific[cm.code].append(i)
            else:
                generic.append(i)
        if len(specific) > 1:
            review.append(ReviewItem(
                "same-name-subdivisions", sorted({f"{ms[i].name} ({ms[i].country})" for i in idxs}),
                f"{ms[idxs[0]].name!r} appears in {', '.join(sorted(specific))}; kept apart"
                + (f", {len(generic)} mention(s) naming only {key[0]} left unattached" if generic else ""),
                merged=False, origin=ms[idxs[0]].origin,
            ))
            for part in [*specific.values(), generic]:
                if part:
                    self._merge_exact_part(key, part, uf, review)
            return
        self._merge_exact_part(key, idxs, uf, review)

    def _merge_exact_part(self, key: tuple[str, str, str], idxs: list[int], uf: _UnionFind,
                          review: list[ReviewItem]) -> None:
        ms = self._mentions
        if len(idxs) == 1:
            return
        # Cluster the mentions that carry coordinates; those without join the only cluster.
        clusters: list[list[int]] = []
        bare: list[int] = []
        for i in idxs:
            c = ms[i].coords
            if c is None:
                bare.append(i)
                continue
            for cl in clusters:
                if distance_km(ms[cl[0]].coords, c) <= self.tolerance_km:  # type: ignore[arg-type]
                    cl.append(i)
                    break
            else:
                clusters.append([i])
        qids: dict[str, list[int]] = defaultdict(list)
        for i in idxs:
            if ms[i].wikidata:
                qids[ms[i].wikidata].append(i)
        groups = clusters if clusters else [bare]
        if clusters and len(clusters) == 1:
            groups = [clusters[0] + bare]
        elif len(clusters) > 1:
            review.append(ReviewItem(
                "same-name-apart", sorted({ms[i].name for i in idxs}),
                f"{len(clusters)} places called {ms[idxs[0]].name!r} in {key[0]} more than "
                f"{self.tolerance_km:g} km apart; kept apart"
                + (f", {len(bare)} mention(s) without coordinates left unattached" if bare else ""),
                merged=False, origin=ms[idxs[0]].origin,
            ))
            # mentions without coordinates stay together as their own node
            groups = [*clusters, bare] if bare else clusters
        for g in groups:
            if not g:
                continue
            first = g[0]
            gq = {ms[i].wikidata for i in g if ms[i].wikidata}
            for i in g[1:]:
                qa, qb = ms[i].wikidata, ms[first].wikidata
                if len(gq) > 1 and qa and qb and qa != qb:
                    continue  # two Q-ids with one name: homonyms, never merged
                uf.union(first, i)
        if len(qids) > 1:
            review.append(ReviewItem(
                "homonyms", sorted({ms[i].name for i in idxs}),
                f"{len(qids)} Wikidata items share the name {ms[idxs[0]].name!r} in {key[0]}: {sorted(qids)}",
                merged=False, origin=ms[idxs[0]].origin,
            ))

    def _merge_near(self, uf: _UnionFind, review: list[ReviewItem]) -> None:
        ms = self._mentions
        cells: dict[tuple[str, int, int], list[int]] = defaultdict(list)
        for i, m in enumerate(ms):
            c = m.coords
            if c is not None and m.fbase:
                cells[(m.top, int(c[0] * 50), int(c[1] * 50))].append(i)  # ~2 km cells
        done: set[tuple[int, int]] = set()
        for (top, cy, cx), idxs in cells.items():
            neigh = [j for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                     for j in cells.get((top, cy + dy, cx + dx), ())]
            for i in idxs:
                for j in neigh:
                    if j <= i:
                        continue
                    ri, rj = uf.find(i), uf.find(j)
                    if ri == rj or (ri, rj) in done:
                        continue
                    a, b = ms[i], ms[j]
                    if a.fqual != b.fqual or (a.wikidata and b.wikidata and a.wikidata != b.wikidata):
                        continue
                    if distance_km(a.coords, b.coords) > NEAR_KM:  # type: ignore[arg-type]
                        continue
                    if fuzz.ratio(a.fbase, b.fbase) < NEAR_NAME:
                        continue
                    done.add((ri, rj))
                    uf.union(i, j)
                    review.append(ReviewItem(
                        "near-duplicate-merged", sorted({a.name, b.name}),
                        f"merged: {a.name!r} and {b.name!r} are within {NEAR_KM:g} km and spelled alike",
                        merged=True, origin=a.origin,
                    ))

    def _review_similar(self, uf: _UnionFind, review: list[ReviewItem]) -> None:
        """Report (never merge) near-identical names in one state that stayed apart."""
        ms = self._mentions
        reps: dict[int, int] = {}
        for i, m in enumerate(ms):
            if m.fbase:
                reps.setdefault(uf.find(i), i)
        blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
        for _root, i in reps.items():
            m = ms[i]
            if m.wikidata:
                continue  # items with Q-ids are distinct on purpose
            blocks[(m.top, m.fbase[:3])].append(i)
        for idxs in blocks.values():
            if len(idxs) < 2:
                continue
            if len(idxs) > MAX_BLOCK:
                continue
            names = [ms[i].fbase for i in idxs]
            for x in range(len(idxs) - 1):
                a = ms[idxs[x]]
                # rapidfuzz scores the rest of the block in C; only near-identical names come back
                for _text, _score, y in process.extract(a.fbase, names[x + 1:], scorer=fuzz.ratio,
                                                        score_cutoff=REVIEW_NAME, limit=None):
                    b = ms[idxs[x + 1 + y]]
                    if a.fbase == b.fbase:
                        continue  # same name, kept apart on purpose (already reported)
                    review.append(ReviewItem(
                            "similar-names", sorted({a.name, b.name}),
                            f"{a.name!r} and {b.name!r} in {a.top} are spelled almost alike; "
                            "not merged without coordinates or an identifier",
                            merged=False, origin=a.origin,
                        ))

    def _build(self, uf: _UnionFind, review: list[ReviewItem]) -> Resolution:
        ms = self._mentions
        groups: dict[int, list[int]] = defaultdict(list)
        roots = [uf.find(i) for i in range(len(ms))]
        for i, root in enumerate(roots):
            groups[root].append(i)
        used: set[str] = set()
        root_key: dict[int, str] = {}
        localities: list[Locality] = []
        for root in sorted(groups):
            idxs = groups[root]
            loc = self._locality(idxs)
            key = loc.key
            n = 2
            while key in used:
                key = f"{loc.key}-{n}"
                n += 1
            loc.key = key
            used.add(key)
            root_key[root] = key
            localities.append(loc)
        keys = [root_key[root] for root in roots]
        return Resolution(keys, localities, review)

    def _single(self, m: _Mention) -> Locality:
        """The common case, one mention for one locality, without the grouping machinery."""
        code = m.cm.code if m.cm is not None else None
        names: list[Name] = [(m.name, m.lang)] if m.name else []
        if m.extra:
            names.extend(a for a in m.extra if a not in names)
        if not names and m.wikidata:
            names = [(m.wikidata, None)]
        key = m.wikidata or m.single_key
        return Locality(key=key, names=names, country=code, country_name=None if code else m.country,
                        lat=m.lat, lon=m.lon, wikidata=m.wikidata, geonames=m.geonames, origin=m.origin,
                        descriptions=list(m.descriptions))

    def _locality(self, idxs: list[int]) -> Locality:
        ms = self._mentions
        if len(idxs) == 1:
            return self._single(ms[idxs[0]])
        qids = Counter(ms[i].wikidata for i in idxs if ms[i].wikidata)
        qid = qids.most_common(1)[0][0] if qids else None
        if len(idxs) == 1:
            names: list[Name] = [(ms[idxs[0]].name, ms[idxs[0]].lang)] if ms[idxs[0]].name else []
        else:
            spellings: dict[tuple[str, str | None], list[int]] = {}
            for i in idxs:
                m = ms[i]
                if m.name:
                    entry = spellings.setdefault((m.name, m.lang), [1 if m.qual else 0, 0])
                    entry[1] -= m.count
            # Prefer the plain name over a qualified variant as the label, then the commonest.
            names = sorted(spellings, key=lambda nl: (*spellings[nl], nl[0]))
        for i in idxs:
            for a in ms[i].extra:
                if a not in names:
                    names.append(a)
        if not names and qid:
            names = [(qid, None)]  # known only by its Q-id: Wikidata shows the id as the label
        descriptions = [d for i in idxs for d in ms[i].descriptions]
        codes = [ms[i].cm.code for i in idxs if ms[i].cm is not None and ms[i].cm.code]
        code = max(codes, key=lambda c: (len(c), codes.count(c))) if codes else None
        raw_country = next((ms[i].country for i in idxs if ms[i].country), None)
        coords = [ms[i].coords for i in idxs if ms[i].coords]
        lat = lon = None
        if coords:
            lat = round(sum(c[0] for c in coords) / len(coords), 6)
            lon = round(sum(c[1] for c in coords) / len(coords), 6)
        geonames = next((ms[i].geonames for i in idxs if ms[i].geonames), None)
        first = min(idxs)
        m0 = ms[first]
        plain = [i for i in idxs if ms[i].fbase and not ms[i].fqual]
        rep = ms[plain[0]] if plain else m0
        if qid:
            key = qid
        else:
            top = (m0.top or "xx").lstrip("?")
            key = f"{slug(top)}.{slug(rep.base) if rep.base else 'unnamed'}"
            if rep.fqual:
                key += f".{slug(rep.qual or '')}"
        return Locality(
            key=key,
            names=names,
            country=code,
            country_name=None if code else raw_country,
            lat=lat,
            lon=lon,
            wikidata=qid,
            geonames=geonames,
            origin=m0.origin,
            descriptions=list(dict.fromkeys(descriptions)),
        )


_clean = lru_cache(maxsize=200_000)(clean_name)
