"""Endpoint settings, kept as data.

Precedence (later wins): ``DEFAULTS`` < a config file (TOML or JSON, given as
``TWINRDF_CONFIG`` or ``--config``) < environment variables ``TWINRDF_<KEY>`` (upper case) <
the mapping passed to ``create_app(config)``. Values from the environment are coerced to the
type of the default (int, float, bool, list = comma separated).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # store spec: a directory (embedded Oxigraph), "oxigraph:PATH", or a registered backend
    "store": "",
    # public base IRI of the server (None: taken from each request's host)
    "base_iri": None,
    # query evaluation: worker processes per server process, per-query wall-clock limit
    "query_workers": 2,
    # "pool": every query runs in a query worker process (killed past the timeout); "inline":
    # evaluated in the serving process with a watchdog that ends the process past the timeout,
    # only under gunicorn sync workers (twinrdf serve --threads 1); see endpoint/inline.py
    "executor": "pool",
    "query_timeout": 30.0,
    # how long a request waits for a free query worker before 503
    "queue_timeout": 10.0,
    # max size of a query or update text in bytes (413 past it)
    "max_query_bytes": 100_000,
    # max SELECT rows / CONSTRUCT triples returned; 0 = unlimited. Truncation is signalled by
    # the response header X-Twinrdf-Truncated: true
    "max_result_rows": 100_000,
    # SPARQL Update and the Graph Store Protocol: off unless enabled AND a token is set
    "enable_updates": False,
    "update_token_env": "TWINRDF_UPDATE_TOKEN",
    # federated queries: SERVICE only to these endpoints (exact IRIs)
    "service_allowlist": ["https://query.wikidata.org/sparql"],
    "service_timeout": 10.0,
    "user_agent": "twinrdf (https://w3id.org/twinrdf; SPARQL endpoint)",
    # whole-response cache of small /sparql answers, per server process, in bytes (0 = off);
    # identical requests against the same store generation are replayed (endpoint/cache.py)
    "response_cache_bytes": 32_000_000,
    # CORS
    "cors": True,
    # data version shown in /-/versions.json (e.g. a release tag); the triple count and load
    # time are reported from the store
    "data_version": None,
    # publishing (issue 8, endpoint/publishing.py): the base IRI the data's IRIs are minted under
    # and the vocabulary IRI, both served under their paths on this host; VoID/DCAT metadata;
    # where /dumps/* are written (None: a cache folder in the system temp directory)
    "data_base_iri": "https://w3id.org/twinrdf/data/",
    "vocab_iri": "https://w3id.org/twinrdf/ns",
    "dataset_title": "twinrdf: town twinning and city diplomacy as linked data",
    "dataset_license": "https://creativecommons.org/licenses/by-sa/4.0/",
    "dumps_dir": None,
}

ENV_PREFIX = "TWINRDF_"


class SettingsError(ValueError):
    """A config file or environment value that cannot be used."""


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML (.toml) or JSON (.json) settings file; keys as in DEFAULTS.

    A TOML file may keep the keys at top level or under an ``[endpoint]`` table."""
    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read config file {p}: {exc}") from exc
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise SettingsError(f"config file {p} is not valid {p.suffix.lstrip('.') or 'TOML'}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("endpoint"), dict):
        data = data["endpoint"]
    if not isinstance(data, dict):
        raise SettingsError(f"config file {p} must hold a table/object of settings")
    return data


def _coerce(key: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list):
            return [item.strip() for item in raw.split(",") if item.strip()]
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{key.upper()}={raw!r}: expected {type(default).__name__}") from exc
    return raw


def load_settings(
    config: Mapping[str, Any] | None = None,
    *,
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Merge defaults, config file, environment and explicit config into one dict."""
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    path = config_file or (config or {}).get("config_file") or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        settings.update(read_config_file(path))
    for key, default in DEFAULTS.items():
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is not None:
            settings[key] = _coerce(key, raw, default)
    if config:
        settings.update({k: v for k, v in config.items() if k != "config_file"})
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    return settings
