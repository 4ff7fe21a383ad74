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
