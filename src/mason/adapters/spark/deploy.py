"""Spark promotes a deploy by re-pointing production views, one statement each: Spark has no transactions, so
readers may see some views re-pointed and others not while a promotion runs (mason.adapters.deploy_ops);
the deploy records what it is doing first, so an interrupted promotion is finished or undone by the next
command."""

from __future__ import annotations

from mason.adapters.deploy_ops import DeployDialect
from mason.adapters.relation import Relation


class SparkDeployDialect(DeployDialect):
    transactional = False
    text_type = "string"

    def literal(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def rename(self, relation: Relation, identifier: str) -> list[str]:
        kind = "view" if relation.type == "view" else "table"
        schema = relation.schema or ""
        return [f"alter {kind} {relation.render()} rename to {schema}.{identifier}" if schema
                else f"alter {kind} {relation.render()} rename to {identifier}"]
