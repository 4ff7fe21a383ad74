"""A private Virtuoso (Debian's virtuoso-opensource 7) on 127.0.0.1, for tests that compare engines.

API: ``start_virtuoso(tmpdir) -> VirtuosoServer`` with ``url`` (SPARQL endpoint),
``graph_crud_url`` (Graph Store Protocol), ``load(data, graph, content_type)`` and ``stop()``;
``shared_virtuoso()`` for the one instance of the test process; and the pytest fixture
``virtuoso`` (skips when virtuoso-t is not installed). Each xdist worker starts its own
instance on free ports, with its own ini and database in a temporary folder (recipe:
../shared/notes/virtuoso.md). Use distinct graph IRIs per area: the instance is shared.
Every start copies an empty, checkpointed database made once per machine (under
$TMPDIR/twinrdf-virtuoso-template-UID, behind a file lock): Virtuoso takes seconds to create a
database and almost none to open one.

Quirks a client must handle: JSON results use ``"type": "typed-literal"``; without an Accept
header Virtuoso answers SPARQL/XML (or HTML for a browser); an empty query returns its HTML form.
"""

from __future__ import annotations

import atexit
import configparser
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
DB_DIR = "/var/lib/virtuoso-opensource-7/db/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class VirtuosoServer:
    url: str
    graph_crud_url: str
    sql_port: int
    folder: Path
    process: subprocess.Popen = field(repr=False)

    def load(self, data: bytes | str, graph: str = "urn:twinrdf:test",
             content_type: str = "text/turtle") -> None:
        """Replace ``graph`` with ``data`` through the Graph Store Protocol (PUT)."""
        body = data.encode() if isinstance(data, str) else data
        url = self.graph_crud_url + "?" + urllib.parse.urlencode({"graph-uri": graph})
        req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=120) as resp:
            if resp.status not in (200, 201, 204):
                raise RuntimeError(f"Virtuoso refused the load: HTTP {resp.status}")

    def isql(self, sql: str) -> str:
        out = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0 or "*** Error" in out.stdout + out.stderr:
            raise RuntimeError(f"isql failed: {out.stdout}{out.stderr}")
        return out.stdout

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def available() -> bool:
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None and INI.is_file()


def _configure(folder: Path) -> tuple[Path, int, int]:
    """Write virtuoso.ini for ``folder``: its database there, SQL and HTTP on free loopback ports."""
    sql_port, http_port = _free_port(), _free_port()
    cfg = configparser.RawConfigParser(strict=False, delimiters=("=",), comment_prefixes=(";",),
                                       inline_comment_prefixes=None)
    cfg.optionxform = str  # keep the case of keys
    cfg.read(INI)
    for section in cfg.sections():
        for key, value in cfg.items(section):
            if DB_DIR in value:
                cfg.set(section, key, value.replace(DB_DIR, str(folder) + "/"))
    cfg.set("Parameters", "ServerPort", f"127.0.0.1:{sql_port}")
    cfg.set("HTTPServer", "ServerPort", f"127.0.0.1:{http_port}")
    cfg.set("Parameters", "DirsAllowed", f"., {folder}, /usr/share/virtuoso-opensource-7/vad")
    # no Conductor: installing its VAD into a fresh database costs seconds at every start
    (folder / "vad").mkdir(exist_ok=True)
    cfg.set("Parameters", "VADInstallDir", f"{folder}/vad/")
    # keep the footprint small: tests load a few thousand triples
    cfg.set("Parameters", "NumberOfBuffers", "10000")
    cfg.set("Parameters", "MaxDirtyBuffers", "6000")
    ini = folder / "virtuoso.ini"
    with open(ini, "w") as fh:
        cfg.write(fh)
    return ini, sql_port, http_port


def _launch(folder: Path, timeout: float, grant: bool = True) -> VirtuosoServer:
    folder.mkdir(parents=True, exist_ok=True)
    ini, sql_port, http_port = _configure(folder)
    log = open(folder / "stdout.log", "wb")
    proc = subprocess.Popen(["virtuoso-t", "-f", "-c", str(ini)], cwd=folder, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
    log.close()
    server = VirtuosoServer(url=f"http://127.0.0.1:{http_port}/sparql",
                            graph_crud_url=f"http://127.0.0.1:{http_port}/sparql-graph-crud",
                            sql_port=sql_port, folder=folder, process=proc)
    deadline = time.monotonic() + timeout
    probe = server.url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while True:
        if proc.poll() is not None:
            text = (folder / "stdout.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"virtuoso-t exited with {proc.returncode}:\n{text}")
        try:
            req = urllib.request.Request(probe, headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("Virtuoso did not come online in time")
        time.sleep(0.1)
    if grant:  # a database copied from the template has the grants already
        try:
            server.isql('DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7); GRANT SPARQL_UPDATE TO "SPARQL";')
        except (RuntimeError, OSError, subprocess.SubprocessError):
            server.stop()
            raise
    return server


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the test process ends, however it ends (an xdist worker
    exits without running atexit handlers)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _template_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"twinrdf-virtuoso-template-{os.getuid()}"


def _template(timeout: float) -> Path | None:
    """A freshly created, checkpointed, empty database (with the grants), made once per machine
    and copied for every start: creating a database costs Virtuoso seconds, copying it nothing.
    Safe between xdist workers (a file lock); None if it cannot be made."""
    tdir = _template_dir()
    tdir.mkdir(parents=True, exist_ok=True)
    db = tdir / "virtuoso.db"
    with open(tdir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (tdir / "ready").exists() and db.exists():
            return db
        build = tdir / "build"
        shutil.rmtree(build, ignore_errors=True)
        try:
            server = _launch(build, timeout)
            try:
                server.isql("checkpoint;")
            finally:
                server.process.send_signal(signal.SIGTERM)
                try:
                    server.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait(timeout=10)
                    raise
            os.replace(build / "virtuoso.db", db)
            (tdir / "ready").write_text("ok")
        except (RuntimeError, OSError, subprocess.SubprocessError):
            return None
        finally:
            shutil.rmtree(build, ignore_errors=True)
        return db


def start_virtuoso(tmpdir: str | Path, timeout: float = 90.0) -> VirtuosoServer:
    """Start Virtuoso with its own ini and database in ``tmpdir``; return when SPARQL answers."""
    folder = Path(tmpdir) / "virtuoso"
    folder.mkdir(parents=True, exist_ok=True)
    template = _template(timeout)
    if template is not None:
        for _ in range(3):  # a free port can be taken by another process before Virtuoso binds it
            shutil.copyfile(template, folder / "virtuoso.db")
            try:
                return _launch(folder, timeout, grant=False)
            except RuntimeError:
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
        # a template that does not start is discarded; start from an empty folder instead
        (_template_dir() / "ready").unlink(missing_ok=True)
    return _launch(folder, timeout)


_SHARED: VirtuosoServer | None = None


def shared_virtuoso() -> VirtuosoServer:
    """The one Virtuoso of this test process (xdist worker), started on first use and stopped
    at exit. A cache at module level rather than a session fixture alone: a fixture imported into
    several test modules is a separate fixture in each, and would start one server per module."""
    global _SHARED
    if _SHARED is None or _SHARED.process.poll() is not None:
        parent = Path(tempfile.mkdtemp(prefix="twinrdf-virtuoso-"))
        _SHARED = start_virtuoso(parent)
        atexit.register(shutil.rmtree, parent, True)
        atexit.register(_SHARED.stop)  # runs first (atexit is last in, first out)
    return _SHARED


@pytest.fixture(scope="session")
def virtuoso(request: pytest.FixtureRequest) -> VirtuosoServer:
    """One Virtuoso per test process (per xdist worker); skipped when it is not installed.
    Stopped when pytest ends (config cleanup runs in xdist workers too, atexit does not)."""
    if not available() and not os.environ.get("TWINRDF_REQUIRE_VIRTUOSO"):
        pytest.skip("virtuoso-opensource is not installed (scripts/install-system-deps)")
    first = _SHARED is None
    server = shared_virtuoso()
    if first:
        request.config.add_cleanup(server.stop)
        request.config.add_cleanup(lambda: shutil.rmtree(server.folder.parent, ignore_errors=True))
    return server
