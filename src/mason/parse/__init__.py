"""Stage 2 (parse): files to frozen nodes, statically where the Jinja allows, rendering where it does not."""
