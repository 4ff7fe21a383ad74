"""The ``twinrdf`` command: a thin shell over the public functions of each stage.

Exit codes (all commands): 0 success; 1 the job ran but found problems (rejected rows,
validation results at the chosen level); 2 usage, input or I/O error.
"""

from __future__ import annotations

import importlib

import click

from twinrdf import __version__

# name -> "module:attribute"; imported only when the command runs, so --help stays fast and a
# stage's heavy dependencies (pyshacl, flask) load only for that stage.
COMMANDS: dict[str, str] = {
    "vocab": "twinrdf.vocab:vocab_command",
    "docs": "twinrdf.docs:docs_command",
    "convert": "twinrdf.convert:convert_command",
    "validate": "twinrdf.validate:validate_command",
    "load": "twinrdf.store:load_command",
    "query": "twinrdf.store:query_command",
    "dump": "twinrdf.store:dump_command",
    "serve": "twinrdf.serve:serve_command",
    "reconcile": "twinrdf.wikidata.reconcile:reconcile_command",
    "enrich": "twinrdf.wikidata.enrich:enrich_command",
    "diff-wikidata": "twinrdf.wikidata.diff:diff_command",
    "wikidata": "twinrdf.wikidata.cli:wikidata_group",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            # A stage not built yet is simply absent; a missing third-party module is a real error.
            if exc.name and exc.name.startswith("twinrdf"):
                return None
            raise
        return getattr(mod, attr, None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="twinrdf")
def main() -> None:
    """Linked data for town twinning and city diplomacy.

    Convert twinning tables and Wikidata data to RDF, validate it with SHACL, enrich it
    from Wikidata, and serve it over SPARQL.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
