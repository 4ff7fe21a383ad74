"""The distribution installs cleanly: the wheel holds only the ``twinrdf`` package (ontology,
shapes, examples and endpoint mapped inside it, with their data files), and ``twinrdf`` runs
from a fresh virtualenv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support.ontology import once

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
SOURCE_ITEMS = ["pyproject.toml", "README.md", "twinrdf", "endpoint", "ontology", "shapes", "examples"]
GENERIC_TOP_LEVEL = {"endpoint", "shapes", "ontology", "examples", "tests", "docs", "bench", "scripts"}


def _package_dirs() -> dict[str, str]:
    """Folder (relative to the repo) -> import package name, by pyproject's package-dir mapping."""
    return {folder.rstrip("/"): pkg for pkg, folder in SETUPTOOLS["package-dir"].items()}


def test_every_python_package_folder_is_listed_in_pyproject():
    listed = set(SETUPTOOLS["packages"])
    roots = _package_dirs()
    missing = []
    for folder, pkg in roots.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            if "__pycache__" in rel.parts:
                continue
            name = ".".join([pkg, *rel.parts]) if rel.parts else pkg
            if name not in listed:
                missing.append(f"{init.parent.relative_to(ROOT)} -> {name}")
    assert not missing, (
        "add these packages to [tool.setuptools] packages in pyproject.toml, then run "
        f"python3 -m pip install -q -e '.[test]': {missing}"
    )


def _build_wheel(work: Path) -> None:
    """Build from a clean copy of the sources (so no build/ or egg-info lands in the repo)."""
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for item in SOURCE_ITEMS:
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(path, src / item, ignore=ignore)
        else:
            shutil.copy2(path, src / item)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(work / "dist"), str(src)],
        check=True, capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The twinrdf wheel, built once per test run."""
    (whl,) = (once(tmp_path_factory, "wheel", _build_wheel) / "dist").glob("twinrdf-*.whl")
    return whl


def test_wheel_has_no_generic_top_level_names_and_ships_the_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/", 1)[0] for n in names}
    assert not (top & GENERIC_TOP_LEVEL), top
    assert {t for t in top if not t.endswith(".dist-info")} == {"twinrdf"}, top
    for needed in (
        "twinrdf/ontology/twin.ttl", "twinrdf/ontology/alignments.ttl", "twinrdf/ontology/context.jsonld",
        "twinrdf/ontology/rules/twinned-with.rq", "twinrdf/namespace.py", "twinrdf/endpoint/__init__.py",
    ):
        assert needed in names, needed
    assert any(n.startswith("twinrdf/ontology/qc/") and n.endswith("-violation.rq") for n in names)
    if (ROOT / "shapes" / "twin-shapes.ttl").exists():
        assert "twinrdf/shapes/twin-shapes.ttl" in names


def test_wheel_runs_from_a_fresh_virtualenv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    # System site-packages provide the already-installed dependencies (no network, fast); the
    # venv's own site-packages come first on sys.path, so twinrdf is imported from the wheel.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q",
         str(wheel)],
        check=True, capture_output=True, text=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run = dict(capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    where = subprocess.run([str(py), "-c", "import twinrdf; print(twinrdf.__file__)"], check=True, **run)
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout
    version = subprocess.run([str(env_dir / "bin" / "twinrdf"), "--version"], **run)
    assert version.returncode == 0, version.stderr
    assert PYPROJECT["project"]["version"] in version.stdout
    vocab = subprocess.run([str(env_dir / "bin" / "twinrdf"), "vocab"], **run)
    assert vocab.returncode == 0, vocab.stderr
    assert "owl:Ontology" in vocab.stdout and "twin:TwinningAgreement" in vocab.stdout
    ns = subprocess.run(
        [str(py), "-c", "from twinrdf.namespace import TWIN; from twinrdf.resources import ontology_file; "
         "print(TWIN.twinnedWith); print(ontology_file('twin.ttl'))"],
        check=True, **run,
    )
    assert "https://w3id.org/twinrdf/ns#twinnedWith" in ns.stdout
    assert str(env_dir) in ns.stdout  # the ontology is read from the installed package data
