"""`mason advise` (docs/docs_site.md): the slow models and what would make them cheaper, from the manifest, the
run history's timings and the warehouse's own statistics."""
