"""Parsers: source files to records (:class:`twinrdf.records.RecordSet`), and the registry that
picks the parser for each input.

Each parser module registers itself at import time::

    from twinrdf.parse import register
    register("wikidata-json", claims=my_claims, parse=my_parse)

``claims(path, mapping)`` says whether the parser reads that input (a file or a folder; ``mapping``
is the ``--mapping FILE`` given to ``twinrdf convert``, or None); ``parse(paths, mapping)`` reads all
the inputs it claimed in one call (so that ids can refer across files) and returns a RecordSet.
:func:`detect_and_parse` asks the parsers in registration order and merges their RecordSets.
Modules listed in ``BUILTIN`` are imported on first use; a listed module that does not exist
yet is skipped, so converters can be added one by one.

A file that cannot be read at all (not UTF-8, a header the parser cannot use, no parser for it)
raises :class:`InputError` (the CLI exits 2); a bad row becomes a ``Reject`` instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from twinrdf.records import RecordSet

BUILTIN = (
    "twinrdf.parse.tables",
    "twinrdf.parse.mapping",
    "twinrdf.parse.wikidata_json",
    "twinrdf.parse.wdqs",
)

Claims = Callable[[Path, "Path | None"], bool]
Parse = Callable[[list[Path], "Path | None"], RecordSet]


class InputError(Exception):
    """An input that cannot be read at all; the message names the file and says why."""


@dataclass(frozen=True)
class ParserEntry:
    name: str
    claims: Claims
    parse: Parse


_REGISTRY: list[ParserEntry] = []
_loaded = False


def register(name: str, claims: Claims, parse: Parse) -> None:
    """Add (or replace, by name) a parser; see the module docstring."""
    for i, entry in enumerate(_REGISTRY):
        if entry.name == name:
            _REGISTRY[i] = ParserEntry(name, claims, parse)
            return
    _REGISTRY.append(ParserEntry(name, claims, parse))


def parsers() -> list[ParserEntry]:
    """The registered parsers, in the order they are asked."""
    global _loaded
    if not _loaded:
        _loaded = True
        for module in BUILTIN:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
    return list(_REGISTRY)


def detect_and_parse(inputs: Sequence[Path], mapping: Path | None = None) -> RecordSet:
    """Parse every input with the first parser that claims it; InputError if none does."""
    entries = parsers()
    claimed: dict[str, list[Path]] = {}
    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        for entry in entries:
            if entry.claims(path, mapping):
                claimed.setdefault(entry.name, []).append(path)
                break
        else:
            names = ", ".join(e.name for e in entries) or "none"
            raise InputError(
                f"{path}: no parser reads this input (parsers: {names}); twinrdf tables are "
                "folders or files named like localities.csv, agreements.csv (see docs/tables.md)"
            )
    result = RecordSet()
    for entry in entries:
        if entry.name in claimed:
            result.extend(entry.parse(claimed[entry.name], mapping))
    return result
