"""The README's promises stay true: the CI runs its test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def code_block_lines(text: str) -> list[str]:
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_verbatim():
    lines = code_block_lines((ROOT / "README.md").read_text())
    test_cmds = [line for line in lines if "pytest" in line]
    assert len(test_cmds) == 1, test_cmds
    assert test_cmds[0] in (ROOT / ".ci" / "run").read_text()


def test_readme_has_a_single_main_command_that_serves():
    lines = code_block_lines((ROOT / "README.md").read_text())
    assert any(line.endswith("twinrdf serve") for line in lines)


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"^```\n(.*?)^```", section, flags=re.M | re.S).group(1)
    joined = block.replace("\\\n", " ")
    cmds, current = [], ""
    for line in joined.splitlines():
        stripped = line.split("  #")[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not stripped.strip():
            continue
        # a query string continued over lines stays with its command
        if current and current.count("'") % 2 == 1:
            current += "\n" + stripped
        else:
            if current:
                cmds.append(current)
            current = stripped.strip()
    if current:
        cmds.append(current)
    return cmds


def test_quick_start_commands_run(tmp_path):
    """Every quick-start command runs as written (serve is started elsewhere); exit 0 or 1
    (1 = ran and found problems, e.g. localities left for review), never 2 or a traceback."""
    import os
    import subprocess

    from tests.support.paths import SHARED

    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "shared").symlink_to(SHARED)
    cmds = _quick_start_commands()
    assert any(c.startswith("twinrdf convert") for c in cmds)
    ran = 0
    for cmd in cmds:
        if cmd.startswith("twinrdf serve"):
            continue
        proc = subprocess.run(
            ["bash", "-c", cmd], cwd=work, capture_output=True, text=True, timeout=300,
            env={**os.environ, "TWINRDF_PROGRESS": "0"},
        )
        assert proc.returncode in (0, 1), f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, cmd
        ran += 1
    assert ran >= 8
    assert (work / "seed.ttl").stat().st_size > 10_000
    assert (work / "missing-p190.qs").exists()


def test_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"^```python\n(.*?)^```", text, flags=re.M | re.S).group(1)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["outcome"].conforms
    assert len(namespace["g"]) > 100
    assert namespace["summary"].rows_read > 100 and namespace["rejects"] == []
