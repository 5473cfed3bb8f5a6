"""`mason advise`'s statistics on Spark: each table's size and row count from DESCRIBE TABLE EXTENDED's
Statistics (a count where it has no row count), and the configs that lay a table out (partitions, buckets,
clustering)."""

from __future__ import annotations

import re
from typing import Any

LAYOUT_CONFIGS = ("partition_by", "clustered_by", "cluster_by", "liquid_clustered_by")
_STATS = re.compile(r"(\d+)\s+bytes(?:,\s*(\d+)\s+rows)?", re.I)


def relation_stats(adapter: Any, database: str | None, schema: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for rel in adapter.list_relations(database, schema):
        if rel.type != "table" or not rel.identifier:
            continue
        name = rel.render()
        size: int | None = None
        rows: int | None = None
        _, described = adapter.execute(f"describe table extended {name}", fetch=True)
        for row in described.rows if described else ():
            if str(row[0]).strip().lower() == "statistics":
                found = _STATS.search(str(row[1]))
                if found:
                    size = int(found.group(1))
                    rows = int(found.group(2)) if found.group(2) else None
        if rows is None:
            _, counted = adapter.execute(f"select count(*) from {name}", fetch=True)
            rows = int(counted.rows[0][0]) if counted and counted.rows else None
        out[rel.identifier.lower()] = {"rows": rows, "bytes": size}
    return out
