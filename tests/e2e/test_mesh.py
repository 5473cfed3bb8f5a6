"""The mesh (docs/mesh.md) on examples/mesh: three projects (core_data, finance_analytics, marketing_analytics)
built as a workspace on DuckDB and PostgreSQL, each reading the others' public models through their
manifests; then each error and warning of the mesh, triggered once."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .conftest import Result, run_mason

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mesh"
PROJECTS = ("core_data", "finance_analytics", "marketing_analytics")
WAREHOUSES = [w.strip() for w in os.environ.get("MASON_CONFORMANCE_ADAPTERS", "duckdb,postgres").split(",")
              if w.strip() in ("duckdb", "postgres")]


def copy_workspace(dest: Path) -> Path:
    root = dest / "company_dbt"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"))
    return root


@dataclass
class Mesh:
    root: Path
    env: dict[str, str]
    target: tuple[str, ...] = ()
    query_fn: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self, project: str, *args: str, expect: int | None = 0) -> Result:
        result = run_mason(self.root / project, *args, *self.target, env=self.env)
        if expect is not None:
            assert result.code == expect, f"mason {' '.join(args)} in {project}: {result.stdout}\n{result.stderr}"
        return result

    def workspace(self, *args: str, expect: int | None = 0) -> Result:
        result = run_mason(self.root.parent, "--workspace", self.root.name, *args, *self.target, env=self.env)
        if expect is not None:
            assert result.code == expect, f"mason --workspace {' '.join(args)}: {result.stdout}\n{result.stderr}"
        return result

    def write(self, project: str, rel: str, text: str) -> None:
        path = self.root / project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def edit(self, project: str, rel: str, old: str, new: str) -> None:
        path = self.root / project / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new))

    def manifest(self, project: str) -> dict[str, Any]:
        return json.loads((self.root / project / "target" / "manifest.json").read_text())

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.query_fn(sql)


def _duckdb_mesh(tmp: Path) -> Mesh:
    import duckdb

    root = copy_workspace(tmp)
    db = root / "company.duckdb"

    def query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(db), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    return Mesh(root, {"MESH_DUCKDB_PATH": str(db)}, (), query)


@pytest.fixture(scope="module", params=WAREHOUSES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """The example workspace built once on the warehouse: `mason --workspace company_dbt build`."""
    tmp = tmp_path_factory.mktemp(f"mesh_{request.param}")
    if request.param == "duckdb":
        mesh = _duckdb_mesh(tmp)
        server, database = None, None
    else:
        import uuid

        server = request.getfixturevalue("pg_server")
        database = server.create_database(f"mesh_{uuid.uuid4().hex[:8]}")
        root = copy_workspace(tmp)

        def query(sql: str) -> list[tuple[Any, ...]]:
            with server.connect(database) as conn:
                return conn.execute(sql).fetchall()

        env = {"MESH_PG_HOST": server.host, "MESH_PG_PORT": str(server.port), "MESH_PG_USER": server.user,
               "MESH_PG_PASSWORD": server.password, "MESH_PG_DBNAME": database}
        mesh = Mesh(root, env, ("--target", "postgres"), query)
    mesh.extra["build"] = mesh.workspace("build")
    try:
        yield mesh
    finally:
        if server is not None and database is not None:
            server.drop_database(database)


# ------------------------------------------------------------------------------------- the workspace
def test_workspace_builds_upstream_first_and_reads_production_relations(built: Mesh) -> None:
    out = built.extra["build"].stdout
    assert "core_data -> finance_analytics -> marketing_analytics" in out
    assert out.index("== core_data") < out.index("== finance_analytics") < out.index("== marketing_analytics")
    rows = built.query("select customer_id, segment from marketing.customer_segments order by customer_id")
    assert rows == [(1, "standard"), (2, "standard"), (3, "high"), (4, "standard"), (5, "standard"), (6, "high")]
    assert built.query("select region, customers from marketing.region_reach order by region") == [
        ("amer", 2), ("apac", 1), ("emea", 3)]
    # the upstream's relation, as its manifest names it (v2 of dim_customers is models/marts/dim_customers.sql)
    compiled = (built.root / "marketing_analytics" / "target" / "compiled" / "marketing_analytics" / "models"
                / "region_reach.sql").read_text()
    assert '"core"."dim_customers_v2"' in compiled


def test_manifest_records_upstream_models_as_dbt_does(built: Mesh) -> None:
    from dbt_artifacts_parser.parser import parse_manifest

    data = built.manifest("marketing_analytics")
    parse_manifest(data)  # valid against dbt's manifest schema v12
    upstream = {uid: n for uid, n in data["nodes"].items() if n["package_name"] != "marketing_analytics"}
    assert sorted(upstream) == ["model.core_data.dim_customers.v1", "model.core_data.dim_customers.v2",
                                "model.core_data.fct_orders", "model.finance_analytics.fct_revenue"]
    dim = upstream["model.core_data.dim_customers.v2"]
    assert (dim["path"], dim["original_file_path"], dim["access"], dim["version"], dim["latest_version"]) == \
        ("", "", "public", 2, 2)
    assert dim["schema"] == "core" and dim["alias"] == "dim_customers_v2"
    assert data["nodes"]["model.marketing_analytics.customer_segments"]["depends_on"]["nodes"] == [
        "model.core_data.dim_customers.v2", "model.finance_analytics.fct_revenue"]
    # only the upstream's own public models: not its protected ones, nor its own upstream's stand-ins
    finance = built.manifest("finance_analytics")
    assert "model.core_data.stg_orders" not in finance["nodes"]
    assert "model.finance_analytics.revenue_by_region" not in data["nodes"]  # private in finance


def test_ls_lists_upstream_models_and_run_never_builds_them(built: Mesh) -> None:
    ls = built.run("marketing_analytics", "ls", "-s", "+customer_segments", "--resource-type", "model")
    assert ls.lines == ["core_data.marts.dim_customers.v2", "finance_analytics.fct_revenue",
                        "marketing_analytics.customer_segments"]
    built.run("marketing_analytics", "run", "-s", "+customer_segments")
    results = json.loads((built.root / "marketing_analytics" / "target" / "run_results.json").read_text())
    assert [r["unique_id"] for r in results["results"]] == ["model.marketing_analytics.customer_segments"]


def test_ls_workspace_shows_the_lineage_across_projects(built: Mesh) -> None:
    ls = built.workspace("ls", "-s", "fct_orders+", "--resource-type", "model")
    assert ls.lines == ["core_data.marts.fct_orders", "finance_analytics.fct_revenue",
                        "finance_analytics.finance_summary", "finance_analytics.revenue_by_region",
                        "marketing_analytics.customer_segments"]


def test_each_project_deploys_alone_against_production_names(built: Mesh) -> None:
    built.run("core_data", "deploy")
    data = built.manifest("core_data")["nodes"]["model.core_data.fct_orders"]
    assert data["schema"] == "core"  # production's name, stable across deploys
    built.run("finance_analytics", "deploy", "--full")
    assert built.query("select count(*) from finance.fct_revenue") == [(7,)]
    built.run("marketing_analytics", "build")
    assert len(built.query("select * from marketing.customer_segments")) == 6


# ------------------------------------------------------------------------------------- errors and warnings
@pytest.fixture
def mesh(tmp_path: Path) -> Mesh:
    """A fresh copy of the example on DuckDB, core_data parsed (its manifest written: nothing built)."""
    m = _duckdb_mesh(tmp_path)
    m.run("core_data", "parse")
    return m


def test_cross_project_ref_to_a_protected_model(mesh: Mesh) -> None:
    mesh.write("finance_analytics", "models/raw_orders_copy.sql", "select * from {{ ref('core_data', 'stg_orders') }}")
    err = mesh.run("finance_analytics", "parse", expect=1).stderr
    assert "models/raw_orders_copy.sql:1: model.finance_analytics.raw_orders_copy refers to " \
           "model.core_data.stg_orders, which is protected in project core_data (declared in core_data: " \
           "models/staging/stg_orders.sql); only public models can be referenced from another project" in err


def test_private_model_from_outside_its_group(mesh: Mesh) -> None:
    mesh.run("finance_analytics", "parse")
    mesh.write("finance_analytics", "models/audit/audit_revenue.sql", "select * from {{ ref('revenue_by_region') }}")
    mesh.write("finance_analytics", "models/audit/_audit.yml",
               "groups:\n  - name: audit\n    owner: {email: audit@example.com}\n"
               "models:\n  - name: audit_revenue\n    group: audit\n")
    err = mesh.run("finance_analytics", "parse", expect=1).stderr
    assert "models/audit/audit_revenue.sql:1: model.finance_analytics.audit_revenue refers to " \
           "model.finance_analytics.revenue_by_region (models/revenue_by_region.sql, properties in " \
           "models/_finance.yml), which is private to group 'finance'; model.finance_analytics.audit_revenue is " \
           "in group 'audit'" in err


def test_unknown_project(mesh: Mesh) -> None:
    mesh.run("finance_analytics", "parse")
    mesh.edit("marketing_analytics", "models/region_reach.sql", "ref('core_data',", "ref('core_dta',")
    err = mesh.run("marketing_analytics", "parse", expect=1).stderr
    assert "models/region_reach.sql:2: model.marketing_analytics.region_reach refers to 'core_dta.dim_customers " \
           "(version 2)', but there is no package or project named 'core_dta'" in err
    assert "did you mean 'core_data'?" in err


def test_missing_upstream_manifest(mesh: Mesh) -> None:
    missing = mesh.root / "nowhere" / "manifest.json"
    result = run_mason(mesh.root / "finance_analytics", "parse", env={**mesh.env, "CORE_DATA_MANIFEST": str(missing)})
    assert result.code == 1
    assert f"dependencies.yml:2: project core_data (declared in dependencies.yml) has no manifest at {missing}: " \
           "there is no such file" in result.stderr
    assert "mason_mesh.yml" in result.stderr
    shutil.rmtree(mesh.root / "core_data" / "target")  # the default: the monorepo sibling's target/
    mesh.edit("finance_analytics", "mason_mesh.yml", "projects:", "unused:")
    (mesh.root / "finance_analytics" / "mason_mesh.yml").write_text("public_model_contracts: warn\n")
    err = mesh.run("finance_analytics", "parse", expect=1).stderr
    assert "has no manifest at " + str(mesh.root / "core_data" / "target" / "manifest.json") in err


def test_deprecated_version_warns_its_consumers(mesh: Mesh) -> None:
    mesh.edit("core_data", "models/marts/_marts.yml", "deprecation_date: 2030-12-31", "deprecation_date: 2024-06-30")
    own = mesh.run("core_data", "parse").stderr
    assert "model dim_customers.v1 (model.core_data.dim_customers.v1) passed its deprecation date of " \
           "2024-06-30T00:00:00" in own
    mesh.run("finance_analytics", "parse")
    mesh.edit("marketing_analytics", "models/region_reach.sql", "v=2", "v=1")
    err = mesh.run("marketing_analytics", "parse").stderr
    assert "models/region_reach.sql:2: model.marketing_analytics.region_reach refers to dim_customers.v1 " \
           "(model.core_data.dim_customers.v1), which was deprecated on 2024-06-30T00:00:00" in err
    assert "migrate now: {{ ref('core_data', 'dim_customers', v='2') }}" in err


def test_public_model_without_contract(mesh: Mesh) -> None:
    mesh.edit("finance_analytics", "models/_finance.yml", "  - name: finance_summary\n",
              "  - name: finance_summary\n    access: public\n")
    result = mesh.run("finance_analytics", "parse")  # finance's mason_mesh.yml: warn
    assert "Warning: public model model.finance_analytics.finance_summary (models/finance_summary.sql) has no " \
           "enforced contract" in result.stderr
    mesh.edit("core_data", "models/marts/_marts.yml", "    config:\n      contract: {enforced: true}\n    columns:\n"
              "      - name: order_id", "    columns:\n      - name: order_id")
    err = mesh.run("core_data", "parse", expect=1).stderr  # core_data's: error
    assert "public model model.core_data.fct_orders (models/marts/fct_orders.sql) has no enforced contract" in err


def test_mesh_check_reports_a_breaking_change_with_its_consumers(mesh: Mesh) -> None:
    mesh.run("finance_analytics", "parse")
    mesh.run("marketing_analytics", "parse")
    state = mesh.root.parent / "prod_core"
    shutil.copytree(mesh.root / "core_data" / "target", state)
    clean = mesh.run("core_data", "mesh", "check", "--state", str(state))
    assert "No breaking changes: 3 public model(s) of core_data" in clean.stdout
    assert "Downstream projects: finance_analytics, marketing_analytics" in clean.stdout
    mesh.edit("core_data", "models/marts/_marts.yml", "      - v: 2\n",  # v2's region retyped, v1 as it was
              "      - v: 2\n        columns:\n          - include: all\n            exclude: [region]\n"
              "          - name: region\n            data_type: integer\n")
    mesh.edit("core_data", "models/marts/dim_customers.sql", "region\n", "cast(null as integer) as region\n")
    result = mesh.run("core_data", "mesh", "check", "--state", str(state), expect=1)
    assert "model.core_data.dim_customers.v2 (models/marts/dim_customers.sql)" in result.stdout
    assert "column types changed: region (varchar -> integer)" in result.stdout
    assert "used by finance_analytics: revenue_by_region" in result.stdout
    assert "used by marketing_analytics: customer_segments, region_reach" in result.stdout
    assert "model.core_data.dim_customers.v1" not in result.stdout  # v1 kept as it was


def test_projects_are_refused_in_packages_yml(mesh: Mesh) -> None:
    (mesh.root / "finance_analytics" / "packages.yml").write_text("projects:\n  - name: core_data\n")
    err = mesh.run("finance_analytics", "parse", expect=1).stderr
    assert "`projects:` is not allowed in packages.yml" in err


# ------------------------------------------------------------------------------------- where manifests come from
class _Artifacts(BaseHTTPRequestHandler):
    body = b""
    etag = '"v1"'
    seen: list[tuple[str | None, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        type(self).seen.append((self.headers.get("Authorization"), self.headers.get("If-None-Match")))
        if self.headers.get("Authorization") != "Bearer s3cr3t-token":
            self.send_response(401, "Unauthorized")
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", self.etag)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


def test_manifest_over_http_with_a_secret_header_and_its_etag(mesh: Mesh) -> None:
    _Artifacts.body = (mesh.root / "core_data" / "target" / "manifest.json").read_bytes()
    _Artifacts.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Artifacts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/core_data/manifest.json"
        (mesh.root / "finance_analytics" / "mason_mesh.yml").write_text(
            "projects:\n  core_data:\n    manifest: " + url + "\n"
            "    headers:\n      Authorization: \"Bearer {{ env_var('DBT_ENV_SECRET_ARTIFACTS') }}\"\n")
        shutil.rmtree(mesh.root / "core_data" / "target")  # nothing to read beside it: the server's copy only
        env = {**mesh.env, "DBT_ENV_SECRET_ARTIFACTS": "s3cr3t-token"}
        first = run_mason(mesh.root / "finance_analytics", "ls", "-s", "+fct_revenue", env=env)
        assert first.code == 0, first.stderr
        assert first.lines == ["core_data.marts.fct_orders", "finance_analytics.fct_revenue"]
        cached = mesh.root / "finance_analytics" / "target" / "mesh"
        assert json.loads((cached / "core_data.meta.json").read_text())["etag"] == '"v1"'
        again = run_mason(mesh.root / "finance_analytics", "ls", "-s", "+fct_revenue", env=env)
        assert again.lines == first.lines
        assert _Artifacts.seen == [("Bearer s3cr3t-token", None), ("Bearer s3cr3t-token", '"v1"')]
        denied = run_mason(mesh.root / "finance_analytics", "parse", env={**env, "DBT_ENV_SECRET_ARTIFACTS": "wrong"})
        assert denied.code == 1 and "the server answered 401 Unauthorized" in denied.stderr
        assert "wrong" not in denied.stderr
    finally:
        server.shutdown()
        server.server_close()
    offline = run_mason(mesh.root / "finance_analytics", "parse", env=env)  # the last copy, said loudly
    assert offline.code == 0, offline.stderr
    assert "could not fetch core_data's manifest" in offline.stderr and "using the copy fetched" in offline.stderr


FAKE_FSSPEC = '''
"""A stand-in for fsspec in tests: s3://bucket/key is the file $FAKE_S3_ROOT/bucket/key."""
import os
from pathlib import Path

class _FS:
    def info(self, path):
        p = Path(os.environ["FAKE_S3_ROOT"]) / path
        if not p.exists():
            raise FileNotFoundError(path)
        st = p.stat()
        return {"ETag": f"{st.st_mtime_ns}-{st.st_size}", "LastModified": str(st.st_mtime_ns)}

    def open(self, path, mode="rb"):
        return open(Path(os.environ["FAKE_S3_ROOT"]) / path, mode)

class core:
    @staticmethod
    def url_to_fs(url):
        return _FS(), url.split("://", 1)[1]
'''


def test_manifest_from_an_object_store(mesh: Mesh, tmp_path: Path) -> None:
    (mesh.root / "finance_analytics" / "mason_mesh.yml").write_text(
        "projects:\n  core_data:\n    manifest: s3://artifacts/core_data/manifest.json\n")
    missing = mesh.run("finance_analytics", "parse", expect=1).stderr
    assert "reading core_data's manifest from s3:// needs fsspec and s3fs, which are not installed" in missing
    assert "pip install fsspec s3fs" in missing
    fake = tmp_path / "fake_fsspec"
    fake.mkdir()
    (fake / "fsspec.py").write_text(FAKE_FSSPEC)
    bucket = tmp_path / "s3" / "artifacts" / "core_data"
    bucket.mkdir(parents=True)
    shutil.copy(mesh.root / "core_data" / "target" / "manifest.json", bucket / "manifest.json")
    env = {**mesh.env, "FAKE_S3_ROOT": str(tmp_path / "s3"),
           "PYTHONPATH": os.pathsep.join([str(fake), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = run_mason(mesh.root / "finance_analytics", "ls", "-s", "+fct_revenue", env=env)
    assert result.code == 0, result.stderr
    assert result.lines == ["core_data.marts.fct_orders", "finance_analytics.fct_revenue"]
    assert (mesh.root / "finance_analytics" / "target" / "mesh" / "core_data.manifest.json").is_file()


def test_an_upstream_change_reparses_and_an_unchanged_one_does_not(mesh: Mesh) -> None:
    first = mesh.run("finance_analytics", "parse").stdout
    assert "Parsed" in first
    assert "Nothing changed" in mesh.run("finance_analytics", "parse").stdout
    mesh.edit("core_data", "models/marts/_marts.yml", "description: One row per order, amounts in dollars.",
              "description: One row per order.")
    mesh.run("core_data", "parse")
    assert "Parsed" in mesh.run("finance_analytics", "parse").stdout
    node = mesh.manifest("finance_analytics")["nodes"]["model.core_data.fct_orders"]
    assert node["description"] == "One row per order."



def test_a_failing_project_stops_the_workspace_before_its_consumers(mesh: Mesh) -> None:
    mesh.edit("finance_analytics", "models/finance_summary.sql", "sum(revenue)", "sum(no_such_column)")
    result = mesh.workspace("build", "--exclude", "resource_type:test", expect=1)
    assert "== core_data" in result.stdout and "== finance_analytics" in result.stdout
    assert "== marketing_analytics" not in result.stdout
    assert "finance_analytics failed (exit 1); not run: marketing_analytics" in result.stderr


def test_deps_knows_projects_are_not_packages(mesh: Mesh) -> None:
    out = mesh.run("marketing_analytics", "deps").stdout
    assert "No packages to install; the projects of dependencies.yml (core_data, finance_analytics) are read " \
           "from their manifests" in out
