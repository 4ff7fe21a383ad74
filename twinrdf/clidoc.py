"""The CLI reference (docs/cli.md), generated from the ``--help`` of every command, so that the
documentation cannot drift from the code. Regenerate with ``scripts/generate-cli-reference``."""

from __future__ import annotations

from pathlib import Path

import click

from twinrdf.cli import main

WIDTH = 100
REGENERATE = "scripts/generate-cli-reference"


def _context(cmd: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as the command itself would make it (its context_settings, such as -h), at a
    fixed width so the text does not depend on the terminal."""
    return cmd.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH
    )


def _walk(cmd: click.Command, ctx: click.Context, path: list[str]) -> list[tuple[list[str], str]]:
    out = [(path, cmd.get_help(ctx))]
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = _context(sub, name, ctx)
            out += _walk(sub, sub_ctx, [*path, name])
    return out


def cli_reference() -> str:
    """Markdown: one section per command and subcommand, each holding its ``--help`` text."""
    ctx = _context(main, "twinrdf", None)
    sections = _walk(main, ctx, ["twinrdf"])
    lines = [
        "# CLI reference",
        "",
        f"Generated from `--help` by `{REGENERATE}`; do not edit by hand.",
        "tests/test_cli_reference.py fails when this file is stale.",
        "",
        "Exit codes (all commands): 0 success; 1 the job ran but found problems;"
        " 2 usage, input or I/O error.",
        "",
        "Commands: " + ", ".join(f"[`{' '.join(p)}`](#{'-'.join(p)})" for p, _ in sections[1:]),
        "",
    ]
    for path, text in sections:
        lines += [f"## {' '.join(path)}", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(lines)


def write_cli_reference(path: Path) -> bool:
    """Write the reference to ``path`` atomically; return whether the content changed."""
    text = cli_reference()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    from twinrdf.rdfio import atomic_text

    with atomic_text(path) as f:
        f.write(text)
    return True
