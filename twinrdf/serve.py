"""``twinrdf serve``: serve a store over HTTP (the documented production setup).

Two servers: **granian** (Rust HTTP/1.1 with keep-alive, WSGI worker processes with blocking
threads; queries on each worker's query worker pool) and **gunicorn** (sync workers with the
inline executor, or gthread workers with the pool). granian is the default because the HTTP
layer costs a fraction of gunicorn's per request (bench/README.md, issue 6), which is most of
the time of a small query.

With no ``--store`` it serves the bundled seed dataset: the seed is loaded once into an
on-disk store in the user cache directory (keyed by the seed's hash, so an updated seed gets a
fresh store), so ``pip install -e . && twinrdf serve`` works on a fresh machine.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from twinrdf.resources import as_path, examples_dir


def cache_dir() -> Path:
    """``$TWINRDF_CACHE`` or ``$XDG_CACHE_HOME/twinrdf`` (default ``~/.cache/twinrdf``)."""
    if os.environ.get("TWINRDF_CACHE"):
        return Path(os.environ["TWINRDF_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "twinrdf"


def seed_file() -> Path:
    return as_path(examples_dir()) / "seed" / "seed.ttl"


def seed_store(cache: Path | None = None) -> Path:
    """The on-disk store holding the bundled seed dataset, created on first use (atomically:
    loaded into a temporary directory, then renamed into place)."""
    from twinrdf.store import OxigraphStore, StoreError, load_files

    seed = seed_file()
    if not seed.is_file():
        raise StoreError(
            f"the bundled seed dataset is missing ({seed}); give a store with --store PATH "
            "(create one with `twinrdf load FILE --store PATH`)"
        )
    digest = hashlib.sha256(seed.read_bytes()).hexdigest()[:16]
    root = cache or cache_dir()
    target = root / f"seed-{digest}"
    if (target / "CURRENT").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".seed-", dir=root))
    try:
        store = OxigraphStore(tmp / "store")
        report = load_files(store, [seed])
        store.close()
        del store
        if report.failed:
            raise StoreError(f"the seed dataset does not load: {report.failed[0][1]}")
        try:
            os.replace(tmp / "store", target)
        except OSError:
            if not (target / "CURRENT").exists():  # not a concurrent first run that won
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def gunicorn_options(host: str, port: int, workers: int, threads: int, timeout: float) -> dict[str, Any]:
    """Gunicorn settings for the endpoint: each worker creates its own app (no preload), so
    each opens the store read-only. threads == 1: sync workers (one request per process, the
    inline executor's setup); more: gthread workers, each with its own query worker pool."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync" if threads <= 1 else "gthread",
        "threads": max(1, threads),
        "preload_app": False,
        "control_socket_disable": True,
        # a request waits at most query_timeout for its result; leave gunicorn's own worker
        # watchdog well above that so it never kills a worker that is only waiting
        "timeout": int(timeout) + 30,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
    }


def run_gunicorn(settings: dict[str, Any], options: dict[str, Any]) -> None:
    """Run gunicorn in this process with ``create_app(settings)`` in each worker."""
    from gunicorn.app.base import BaseApplication

    from twinrdf.endpoint import create_app

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    _App().run()


SETTINGS_ENV = "TWINRDF_SERVE_SETTINGS"


def granian_app() -> Any:
    """The app factory each granian worker calls (settings handed over as JSON in the
    environment, since granian imports the target in fresh worker processes)."""
    import json

    from twinrdf.endpoint import create_app

    return create_app(json.loads(os.environ[SETTINGS_ENV]))


def run_granian(
    settings: dict[str, Any], host: str, port: int, workers: int, threads: int, access_log: bool
) -> None:
    """Run granian in this process, ``workers`` processes with ``threads`` WSGI threads each."""
    import json

    from granian import Granian
    from granian.constants import Interfaces

    os.environ[SETTINGS_ENV] = json.dumps(settings)
    Granian(
        "twinrdf.serve:granian_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=max(1, workers),
        blocking_threads=max(1, threads),
        websockets=False,
        respawn_failed_workers=True,
        log_access=access_log,
        workers_kill_timeout=10,
    ).serve()


def _explicit(config_file: str | None) -> set[str]:
    """Settings given explicitly (config file or environment), which ``serve`` must not override."""
    from twinrdf.endpoint.settings import ENV_PREFIX, read_config_file

    keys = {k.removeprefix(ENV_PREFIX).lower() for k in os.environ if k.startswith(ENV_PREFIX)}
    path = config_file or os.environ.get(f"{ENV_PREFIX}CONFIG")
    if path:
        keys |= set(read_config_file(path))
    return keys


@click.command("serve")
@click.option(
    "--store", "store_spec", default=None, help="Store directory (default: the bundled seed dataset)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Settings file (TOML or JSON), see docs/endpoint.md.",
)
@click.option(
    "--server",
    type=click.Choice(["granian", "gunicorn"]),
    default="granian",
    show_default=True,
    help="HTTP server: granian (fastest per request, query worker pool) or gunicorn.",
)
@click.option("--workers", default=2, show_default=True, type=int, help="Server worker processes.")
@click.option(
    "--threads",
    default=None,
    type=int,
    help="Threads per worker (default: granian 2, gunicorn 8); with granian each thread gets a "
    "query worker process; with gunicorn, 1 = sync workers with in-process (inline) evaluation.",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log every request to stderr (costs about a third of the throughput of small cached queries).",
)
@click.option(
    "--enable-updates",
    is_flag=True,
    default=False,
    help="Accept SPARQL Update / Graph Store writes (needs TWINRDF_UPDATE_TOKEN; one worker).",
)
def serve_command(
    store_spec: str | None,
    host: str,
    port: int,
    config_file: str | None,
    server: str,
    workers: int,
    threads: int | None,
    access_log: bool,
    enable_updates: bool,
) -> None:
    """Serve a store at http://HOST:PORT/sparql (SPARQL 1.1 Protocol)."""
    from twinrdf.endpoint.settings import SettingsError, load_settings
    from twinrdf.store import StoreError

    overrides: dict[str, Any] = {}
    if config_file:
        overrides["config_file"] = config_file
    if enable_updates:
        overrides["enable_updates"] = True
    try:
        settings = load_settings(overrides)
        spec = store_spec or settings.get("store")
        if not spec:
            spec = str(seed_store())
            click.echo(f"serving the bundled seed dataset (store: {spec})", err=True)
        elif not Path(spec).exists() and ":" not in spec:
            raise StoreError(f"no store at {spec} (create it with `twinrdf load FILE --store {spec}`)")
        settings["store"] = str(spec)
        # one request per process (sync workers): evaluate in-process with a watchdog, unless
        # the settings chose otherwise; with threads the query worker pool is the only safe mode
        if threads is None:
            threads = 2 if server == "granian" else 8
        if server == "granian":
            if settings["executor"] == "inline":
                click.echo("executor = inline needs gunicorn sync workers; using the pool", err=True)
            settings["executor"] = "pool"
            # one query worker per WSGI thread: every thread can have a query running
            if "query_workers" not in _explicit(config_file):
                settings["query_workers"] = max(1, threads)
        elif threads <= 1 and "executor" not in _explicit(config_file):
            settings["executor"] = "inline"
        elif threads > 1 and settings["executor"] == "inline":
            click.echo("executor = inline needs --threads 1 (sync workers); using the pool", err=True)
            settings["executor"] = "pool"
        if settings["enable_updates"] and workers > 1:
            click.echo(
                "updates enabled: using one worker process (one process may write the store)", err=True
            )
            workers = 1
        # fail here, with a message, rather than in every gunicorn worker
        from twinrdf.endpoint import create_app

        probe = create_app({**settings, "query_workers": 1, "enable_updates": False, "executor": "pool"})
        probe.extensions["twinrdf_close"]()
        del probe
    except (SettingsError, StoreError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"SPARQL endpoint: http://{host}:{port}/sparql", err=True)
    if server == "granian":
        run_granian(dict(settings), host, port, workers, threads, access_log)
        return
    options = gunicorn_options(host, port, workers, threads, float(settings["query_timeout"]))
    if not access_log:
        options["accesslog"] = None
    run_gunicorn(
        {k: v for k, v in settings.items()},
        options,
    )
