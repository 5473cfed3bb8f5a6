"""The environments' records, kept in the warehouse (`<schema>.mason_environments`, text columns), so any
machine that deploys sees what production is and how to roll it back.

The table is only ever appended to (Spark's plain tables cannot delete or update rows): each change of an
environment appends its whole record, and the latest row of each environment (by `saved_at`) is the record.
The manifest that built an environment is written once, with its first row."""

from __future__ import annotations

from typing import Any

from mason.deploy.records import PRODUCTION, Environment

TABLE = "mason_environments"
COLUMNS = ("env_id", "status", "target", "created_at", "owner", "promoted_at", "replaced", "note", "detail",
           "manifest", "saved_at")
DROPPED = "dropped"


class Store:
    def __init__(self, adapter: Any, dialect: Any, database: str | None, schema: str, target: str) -> None:
        self.adapter = adapter
        self.dialect = dialect
        self.database = database
        self.schema = schema
        self.target = target
        self.relation = adapter.make_relation(database, schema, TABLE, "table")

    def ensure(self) -> None:
        if self.adapter.get_relation(self.database, self.schema, TABLE) is not None:
            return
        if not self.adapter.list_relations(self.database, self.schema):
            self.adapter.create_schema(self.database, self.schema)
        columns = ", ".join(f"{c} {self.dialect.text_type}" for c in COLUMNS)
        self.adapter.execute(f"create table if not exists {self.relation.render()} ({columns})")
        self.adapter.cache.add(self.relation)

    def all(self) -> list[Environment]:
        """Every environment of this target (but dropped ones), oldest first."""
        if self.adapter.get_relation(self.database, self.schema, TABLE) is None:
            return []
        _, table = self.adapter.execute(
            f"select {', '.join(COLUMNS)} from {self.relation.render()} "
            f"where target = {self.dialect.literal(self.target)}", fetch=True)
        latest: dict[str, dict[str, Any]] = {}
        manifests: dict[str, str] = {}
        for raw in sorted(table.rows if table is not None else [], key=lambda r: str(r[-1])):
            row = dict(zip(COLUMNS, raw, strict=True))
            latest[str(row["env_id"])] = row
            if row.get("manifest"):
                manifests[str(row["env_id"])] = row["manifest"]
        return [Environment.from_row({**row, "manifest": manifests.get(env_id, "")})
                for env_id, row in sorted(latest.items()) if row["status"] != DROPPED]

    def get(self, env_id: str) -> Environment | None:
        return next((e for e in self.all() if e.env_id == env_id), None)

    def production(self) -> Environment | None:
        return next((e for e in reversed(self.all()) if e.status == PRODUCTION), None)

    def save_sql(self, env: Environment, with_manifest: bool = False) -> list[str]:
        """The statement appending `env`'s record (run inside the caller's transaction, where there is one)."""
        from datetime import UTC, datetime

        row = {**env.to_row(), "saved_at": datetime.now(UTC).isoformat(timespec="microseconds")}
        if not with_manifest:
            row["manifest"] = ""
        values = ", ".join(self.dialect.literal(row[c]) for c in COLUMNS)
        return [f"insert into {self.relation.render()} ({', '.join(COLUMNS)}) values ({values})"]

    def save(self, env: Environment, with_manifest: bool = False) -> None:
        for sql in self.save_sql(env, with_manifest):
            self.adapter.execute(sql)

    def drop(self, env: Environment) -> None:
        self.save(env.with_status(DROPPED))
