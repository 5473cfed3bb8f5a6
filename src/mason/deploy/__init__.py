"""Blue/green deploys: a deploy builds what changed into an environment (a parallel set of schemas), tests it
there and promotes it into production atomically; rollback restores the production it replaced.
`records.py` holds what is known about each environment, `store.py` keeps it in the warehouse, `promote.py`
moves relations (see mason.adapters.deploy_ops for each warehouse's way)."""
