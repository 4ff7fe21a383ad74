"""twinrdf: linked data for town twinning and city diplomacy.

The stages of the pipeline live in modules named after them: ``parse`` (source files to
records), ``build`` (records to triples, the single place where IRIs are minted),
``convert`` (parse + build + write), ``validate`` (SHACL), ``wikidata`` (client, mirror,
reconcile, enrich, diff), ``store`` (Oxigraph on disk or a remote SPARQL store) and the
``endpoint`` web app.
"""

import sys
import types
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twinrdf")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "validate"]


class _Package(types.ModuleType):
    """``twinrdf.validate`` is always the function ``twinrdf.validate.validate``.

    The module ``twinrdf.validate`` and the function share a name. Left alone, importing the
    module (``import twinrdf.validate``, or the CLI loading the command) would make the import
    system overwrite the package attribute with the module, so ``twinrdf.validate(...)`` would
    work or fail depending on import order. This data descriptor keeps the function, and is lazy
    so that ``import twinrdf`` stays cheap (no pyshacl import for the CLI's --version). The module
    itself stays reachable as ``sys.modules["twinrdf.validate"]`` and through
    ``from twinrdf.validate import ...``.
    """

    @property
    def validate(self):  # noqa: ANN201 - the function, typed in twinrdf.validate
        from twinrdf.validate import validate

        return validate

    @validate.setter
    def validate(self, value: object) -> None:
        # The import system records the submodule here after loading it: keep the function.
        pass


sys.modules[__name__].__class__ = _Package
