"""The documentation site `mason docs generate` writes beside catalog.json (docs/docs_site.md): target/index.html
with the project's nodes, lineage, SQL, test status and a data-quality dashboard embedded as one JSON blob,
and the small hand-written app in mason_docs/ that renders it, online or from file://."""
