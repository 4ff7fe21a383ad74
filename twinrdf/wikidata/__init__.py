"""Wikidata for twinrdf: a polite cached SPARQL client (``client``), a local mirror in the WDQS
RDF shape (``mirror``), reconciliation (``reconcile``), enrichment (``enrich``) and the diff of
twinnings with P190 (``diff``). See docs/wikidata.md. Nothing is imported here, so that the CLI
stays fast."""
