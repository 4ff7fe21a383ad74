"""Publishing blueprints: resource pages, the query UI, VoID/service description and dumps.

``register_publishing(app)`` is called by ``create_app`` after the protocol blueprints, so the
SPARQL endpoint's own routes always take precedence.
"""

from __future__ import annotations

from flask import Flask, Response


def register_publishing(app: Flask) -> None:
    from twinrdf.endpoint import describe, pages, ui
    from twinrdf.endpoint.rdfviews import QueryUnavailable

    from twinrdf.store import StoreError

    app.register_blueprint(ui.bp)
    app.register_blueprint(describe.bp)
    pages.register(app)

    @app.errorhandler(QueryUnavailable)
    def _unavailable(exc: QueryUnavailable) -> Response:
        return Response(f"the store did not answer in time: {exc}\n", 503, mimetype="text/plain")

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError) -> Response:
        # a remote store that fails or refuses: the gateway's problem, not the client's
        return Response(f"the store failed: {exc}\n", 502, mimetype="text/plain")


def endpoint_home() -> Response:
    """``GET /sparql`` without a query: YASGUI for a browser (``Accept: text/html`` preferred),
    the SPARQL 1.1 Service Description (Turtle by default) for everyone else."""
    from twinrdf.endpoint import describe, ui
    from twinrdf.endpoint.rdfviews import negotiate

    best = negotiate(
        [
            "text/turtle",
            "text/html",
            "application/xhtml+xml",
            "application/n-triples",
            "application/ld+json",
            "application/rdf+xml",
        ]
    )
    if best in ("text/html", "application/xhtml+xml"):
        return ui.query_ui()
    return describe.service_description()
