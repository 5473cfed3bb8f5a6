"""`mason serve`: the semantic layer over HTTP (a front end beside the CLI; it calls `mason.api`)."""
