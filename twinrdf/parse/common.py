"""Helpers the converters share: one wording for broken JSON, whatever the parser."""

from __future__ import annotations

import json


def json_error(file: str, exc: json.JSONDecodeError, length: int) -> str:
    """``file: line L column C: invalid JSON (msg)``, saying so when the text simply stops."""
    at_end = exc.pos >= length - 1 or exc.msg.startswith("Unterminated string")
    trunc = " — the file looks truncated" if at_end else ""
    return f"{file}: line {exc.lineno} column {exc.colno}: invalid JSON ({exc.msg}){trunc}"
