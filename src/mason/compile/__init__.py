"""Stage 4 (compile): render each selected node's Jinja with the runtime context; inject ephemeral CTEs."""
