"""twinrdf: linked data for town twinning and city diplomacy.

The stages of the pipeline live in modules named after them: ``parse`` (source files to
records), ``build`` (records to triples, the single place where IRIs are minted),
``convert`` (parse + build + write), ``validate`` (SHACL), ``wikidata`` (client, mirror,
reconcile, enrich, diff), ``store`` (Oxigraph on disk or a remote SPARQL store) and the
``endpoint`` web app.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twinrdf")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "validate"]


def __getattr__(name: str):
    # Lazy, so that ``import twinrdf`` stays cheap (no pyshacl import for the CLI's --version).
    if name == "validate":
        from twinrdf.validate import validate

        return validate
    raise AttributeError(name)
