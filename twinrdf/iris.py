"""Deterministic IRIs for a publisher's instance data (the policy is in docs/identifiers.md).

Every IRI is a pure function of the base IRI, the kind of thing and its key, so the same input
gives the same IRIs on every run and every machine, and data converted from different sources
meets on the same nodes. Keys that are already safe slugs (``[A-Za-z0-9][A-Za-z0-9._-]*``, the
twinrdf tables' ``id`` column) are used verbatim; other keys (names from scraped lists,
``poznan|PL``) are transliterated to a readable ASCII slug with python-slugify and suffixed with
a short hash of the exact key, so two keys that fold to the same slug never collide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache

from slugify import slugify

DEFAULT_BASE = "https://w3id.org/twinrdf/data/"

# Path segment per kind of record: ``<base><segment>/<slug>``.
SEGMENTS = {
    "locality": "locality",
    "agreement": "agreement",
    "agent": "agent",
    "source": "source",
    "document": "document",
    "activity": "activity",
    "territorial": "territorial-status",
    "country": "country",
    "graph": "graph",
}

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BASE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"{}|\\^`]*[/#]$")
HASH_LEN = 8


class BaseIRIError(ValueError):
    """A base IRI that cannot prefix instance IRIs."""


def check_base(base: str) -> str:
    """Return ``base`` if it is an absolute IRI ending in ``/`` or ``#``; raise BaseIRIError otherwise."""
    if not _BASE.match(base):
        raise BaseIRIError(
            f"base IRI {base!r} must be an absolute IRI ending in '/' or '#' "
            "(for example https://example.org/twinning/)"
        )
    return base


def short_hash(text: str) -> str:
    """First 8 hex digits of the SHA-1 of the UTF-8 text: stable across machines and Python runs."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:HASH_LEN]


@lru_cache(maxsize=1 << 18)
def slug(key: str) -> str:
    """A readable, stable path segment for ``key`` (verbatim when already safe)."""
    if _SAFE.match(key):
        return key
    readable = slugify(key, max_length=60, word_boundary=True)
    return f"{readable}-{short_hash(key)}" if readable else short_hash(key)


def partner_set_slug(partner_keys: Iterable[str]) -> str:
    """Slug for an agreement known only by its partners: order-free, so A-B and B-A coincide."""
    if isinstance(partner_keys, frozenset | set | tuple | list) and len(partner_keys) == 2:
        k1, k2 = partner_keys  # the usual pair, without building and sorting a set
        keys = [k1, k2] if k1 < k2 else [k2, k1] if k2 < k1 else [k1]
    else:
        keys = sorted(set(partner_keys))
    parts = [slug(k) for k in keys]
    joined = "--".join(parts)
    if any("--" in p for p in parts):  # the joint would be ambiguous: disambiguate by the exact keys
        joined = f"{joined}-{short_hash(chr(31).join(keys))}"
    return joined


def mint(base: str, kind: str, key: str) -> str:
    """``<base><segment>/<slug(key)>`` for a record of ``kind`` (one of SEGMENTS)."""
    return f"{base}{SEGMENTS[kind]}/{slug(key)}"


def agreement_iri(base: str, key: str | None, partner_keys: Iterable[str]) -> str:
    """The agreement's own key when it has one, else the sorted set of its partners' keys."""
    if key is not None:
        return mint(base, "agreement", key)
    return f"{base}{SEGMENTS['agreement']}/{partner_set_slug(partner_keys)}"


def graph_iri(base: str, source_file: str) -> str:
    """Named graph for the records read from one source file (by its base name, not its path)."""
    name = source_file.replace("\\", "/").rsplit("/", 1)[-1]
    return mint(base, "graph", name)
