"""dbt behaviours the real package suites rely on (dbt-codegen's and dbt-audit-helper's integration tests,
compared with dbt-core 1.11 on the same checkouts): each here on a project of our own."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_mason
from .test_failures import make_project, results


def test_a_failing_test_on_a_source_skips_what_reads_the_source(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "seeds/raw.csv": "id\n1\n1\n",
        "models/sources.yml": "version: 2\nsources:\n  - name: src\n    schema: main\n    tables:\n"
                              "      - name: raw\n        columns:\n          - name: id\n"
                              "            data_tests: [unique]\n",
        "tests/raw_has_two.sql": "select * from (select count(*) as n from {{ source('src', 'raw') }}) c where n <> 3",
        "models/from_raw.sql": "select * from {{ source('src', 'raw') }}",
        "models/other.sql": "select 1 as id",
    })
    assert run_mason(root, "seed").code == 0
    res = run_mason(root, "build", "--exclude", "resource_type:seed")
    assert res.code == 1
    r = results(root)
    assert r["test.p.raw_has_two"]["status"] == "fail"
    assert next(v for k, v in r.items() if k.startswith("test.p.source_unique_src_raw_id"))["status"] == "fail"
    assert r["model.p.from_raw"]["status"] == "skipped"
    assert r["model.p.other"]["status"] == "success"


def test_unit_tests_without_inputs_and_expecting_no_rows(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/listed.sql": "{% for v in var('items', []) %}select '{{ v }}' as item, {{ loop.index }} as n"
                             "{% if not loop.last %} union all {% endif %}{% endfor %}"
                             "{% if not var('items', []) %}select 'x' as item, 0 as n limit 0{% endif %}",
        "models/unit.yml": """
unit_tests:
  - name: lists_two
    model: listed
    given: []
    overrides: {vars: {items: [a, b]}}
    expect: {rows: [{item: a, n: 1}, {item: b, n: 2}]}
  - name: lists_none
    model: listed
    given: []
    overrides: {vars: {items: []}}
    expect: {rows: []}
  - name: expects_none_but_gets_one
    model: listed
    given: []
    overrides: {vars: {items: [a]}}
    expect: {rows: []}
""",
    })
    res = run_mason(root, "test")
    r = results(root)
    status = {k.split(".")[-1]: v["status"] for k, v in r.items()}
    assert status == {"lists_two": "pass", "lists_none": "pass", "expects_none_but_gets_one": "fail"}, (res.stdout + res.stderr)
    assert res.code == 1


def test_unit_test_overrides_a_package_qualified_macro(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "macros/bounds.sql": "{% macro bounds() %}{{ return({'low': 0, 'high': 100}) }}{% endmacro %}"
                             "{% macro limits_sql() %}{% set b = bounds() %}"
                             "select {{ b['low'] }} as low, {{ b['high'] }} as high{% endmacro %}",
        "models/limits.sql": "{{ p.limits_sql() }} union all select {{ p.bounds()['low'] }}, 1",
        "models/unit.yml": """
unit_tests:
  - name: narrowed
    model: limits
    given: []
    overrides:
      macros:
        p.bounds: {low: 5, high: 6}
    expect: {rows: [{low: 5, high: 6}, {low: 5, high: 1}]}
""",
    })
    res = run_mason(root, "test")
    assert res.code == 0, (res.stdout + res.stderr)
    assert results(root)["unit_test.p.limits.narrowed"]["status"] == "pass"


def test_files_in_the_fixtures_folder_are_not_singular_tests(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "models/m.sql": "select 1 as id",
        "tests/fixtures/rows_for_m.sql": "select 1 as id",
        "tests/fixtures/nested/more.csv": "id\n1\n",
        "tests/real_check.sql": "select * from {{ ref('m') }} where id <> 1",
    })
    assert run_mason(root, "parse").code == 0
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    assert sorted(k for k in manifest["nodes"] if k.startswith("test.")) == ["test.p.real_check"]


def test_unit_test_rows_from_fixture_files(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", {
        "seeds/people.csv": "id,name\n1,a\n",
        "models/upper.sql": "select id, upper(name) as name from {{ ref('people') }}",
        "tests/fixtures/people_rows.csv": "id,name\n1,ann\n2,bob\n",
        "tests/fixtures/sql/upper_rows.sql": "select 1 as id, '{{ 'ANN' }}' as name union all select 2, 'BOB'",
        "models/unit.yml": """
unit_tests:
  - name: from_files
    model: upper
    given:
      - input: ref('people')
        format: csv
        fixture: people_rows
    expect:
      format: sql
      fixture: upper_rows
  - name: missing_file
    model: upper
    given:
      - input: ref('people')
        format: csv
        fixture: nobody
    expect: {rows: []}
""",
    })
    res = run_mason(root, "parse")
    assert res.code == 1
    assert "fixture file nobody.csv not found" in (res.stdout + res.stderr) and "models/unit.yml" in (res.stdout + res.stderr)
    (root / "models" / "unit.yml").write_text((root / "models" / "unit.yml").read_text().split("  - name: missing")[0])
    assert run_mason(root, "seed").code == 0
    res = run_mason(root, "test")
    assert res.code == 0, (res.stdout + res.stderr)
    assert results(root)["unit_test.p.upper.from_files"]["status"] == "pass"


UNIT_TESTS = """
unit_tests:
  - name: ok_one
    model: dbl
    given: [{input: ref('base'), rows: [{id: 1}]}]
    expect: {rows: [{d: 2}]}
  - name: bad_one
    model: dbl
    given: [{input: ref('base'), rows: [{id: %s}]}]
    expect: {rows: [{d: 3}]}
  - name: bad_two
    model: dbl
    given: [{input: ref('base'), rows: [{id: 1}]}]
    expect: {rows: [{d: 4}]}
  - name: ok_two
    model: dbl
    given: [{input: ref('base'), rows: [{id: 2}]}]
    expect: {rows: [{d: 4}]}
"""


def test_a_unit_test_error_skips_the_models_other_unit_tests_but_a_failure_does_not(tmp_path: Path) -> None:
    """As dbt-core 1.11 builds it (checked with 4 threads): failing unit tests all run and the model is
    skipped; a unit test that errors (here a value that is no integer) skips the model's unit tests not yet
    run, the model and what follows it."""
    files = {"models/base.sql": "select 1 as id", "models/dbl.sql": "select id * 2 as d from {{ ref('base') }}",
             "models/after.sql": "select d from {{ ref('dbl') }}"}
    failing = make_project(tmp_path / "fails", {**files, "models/unit.yml": UNIT_TESTS % "1"})
    assert run_mason(failing, "build", "--threads", "4").code == 1
    status = {k.split(".")[-1]: v["status"] for k, v in results(failing).items()}
    assert status == {"base": "success", "ok_one": "pass", "ok_two": "pass", "bad_one": "fail", "bad_two": "fail",
                      "dbl": "skipped", "after": "skipped"}

    erring = make_project(tmp_path / "errs", {**files, "models/unit.yml": UNIT_TESTS % "abc"})
    assert run_mason(erring, "build", "--threads", "4").code == 1
    status = {k.split(".")[-1]: v["status"] for k, v in results(erring).items()}
    units = sorted(status.pop(n) for n in ("ok_one", "ok_two", "bad_one", "bad_two"))
    assert status == {"base": "success", "dbl": "skipped", "after": "skipped"}
    assert units.count("error") == 1 and units.count("skipped") == 4 - 1 - units.count("pass")


def test_root_project_configs_win_over_a_package_nodes_own_configs(tmp_path: Path) -> None:
    # dbt 1.11: a package's tree < its properties YAML < config() in the file < the root project's tree;
    # unrendered_config replaces key by key in that order; node tags: package tree, file, root tree, YAML
    root = make_project(tmp_path / "p", {
        "dbt_project.yml": "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n"
                           "models:\n  +tags: [root_top]\n  pb:\n    +schema: from_root\n    +tags: [root_t]\n"
                           "    +meta: {who: root, r: 1}\n"
                           "seeds:\n  pb:\n    +schema: seed_root\n    +tags: [root_seed]\n"
                           "snapshots:\n  pb:\n    +schema: snap_root\n"
                           "data_tests:\n  pb:\n    +severity: warn\n    +tags: [root_test]\n"
                           "sources:\n  pb:\n    +meta: {who: root}\n    +tags: [root_src]\n",
        "models/m.sql": "{{ config(post_hook='select 1') }}\nselect 1 as id",
        "dbt_packages/pb/dbt_project.yml": "name: pb\nversion: '1'\nconfig-version: 2\n"
                                           "models:\n  pb:\n    +schema: pkg_own\n    +tags: [pkg_t]\n"
                                           "    +meta: {who: pkg, p: 1}\n    +materialized: table\n"
                                           "sources:\n  pb:\n    +tags: [pkg_src]\n",
        "dbt_packages/pb/models/m_pb.sql": "{{ config(schema='file_s', tags=['file_t'], meta={'who': 'file', 'f': 1}) }}"
                                           "\nselect 1 as id",
        "dbt_packages/pb/models/props.yml": """
models:
  - name: m_pb
    config: {schema: yaml_s, tags: [yaml_t], meta: {who: yaml, y: 1}, full_refresh: true}
    columns:
      - name: id
        data_tests:
          - not_null:
              config: {severity: error, tags: [ytest]}
seeds:
  - name: sd
    config: {schema: seed_yaml, tags: [seed_yaml]}
sources:
  - name: s1
    config: {meta: {who: yaml}, tags: [src_yaml]}
    tables: [{name: t}]
""",
        "dbt_packages/pb/seeds/sd.csv": "id\n1\n",
        "dbt_packages/pb/snapshots/sn.sql": "{% snapshot sn %}\n{{ config(schema='snap_file', unique_key='id', "
                                            "strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}",
    })
    res = run_mason(root, "parse")
    assert res.code == 0, res.stdout + res.stderr
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    model = manifest["nodes"]["model.pb.m_pb"]
    assert model["config"]["schema"] == "from_root"
    assert model["config"]["tags"] == ["pkg_t", "yaml_t", "file_t", "root_top", "root_t"]
    assert model["config"]["meta"] == {"who": "root", "p": 1, "y": 1, "f": 1, "r": 1}
    assert model["tags"] == ["pkg_t", "file_t", "root_top", "root_t", "yaml_t"]
    assert model["unrendered_config"] == {"schema": "from_root", "tags": ["root_t"], "meta": {"who": "root", "r": 1},
                                          "materialized": "table", "full_refresh": True}
    seed = manifest["nodes"]["seed.pb.sd"]
    assert (seed["config"]["schema"], seed["config"]["tags"], seed["tags"]) == (
        "seed_root", ["seed_yaml", "root_seed"], ["root_seed", "seed_yaml"])
    assert seed["unrendered_config"] == {"schema": "seed_root", "tags": ["root_seed"]}
    assert manifest["nodes"]["snapshot.pb.sn"]["config"]["schema"] == "snap_root"
    test = next(v for k, v in manifest["nodes"].items() if k.startswith("test.pb.not_null_m_pb_id"))
    assert (test["config"]["severity"], test["config"]["tags"]) == ("warn", ["ytest", "root_test"])
    assert test["unrendered_config"] == {"severity": "warn", "tags": ["root_test"]}
    source = manifest["sources"]["source.pb.s1.t"]
    assert (source["config"]["meta"], source["config"]["tags"]) == ({"who": "root"}, ["root_src"])
    root_model = manifest["nodes"]["model.p.m"]
    assert root_model["config"]["tags"] == ["root_top"]
    assert root_model["unrendered_config"] == {"tags": ["root_top"], "post-hook": "select 1"}  # as written


def test_doc_calls_resolve_root_first_and_record_doc_blocks(tmp_path: Path) -> None:
    # dbt 1.11: doc('name') looks in the root project, then the node's package, then any package; the doc
    # blocks used are recorded on the node (the table's, for a source) and on each column
    root = make_project(tmp_path / "p", {
        "models/docs.md": "{% docs d1 %}root d1{% enddocs %}\n{% docs d3 %}root d3{% enddocs %}\n",
        "models/m.sql": "select 1 as id",
        "models/src.yml": """
sources:
  - name: s1
    description: "{{ doc('d1') }}"
    tables:
      - name: t
        description: "{{ doc('d3') }}"
        columns: [{name: c, description: "{{ doc('d1') }}"}, {name: plain, description: plain}]
""",
        "dbt_packages/pb/dbt_project.yml": "name: pb\nversion: '1'\nconfig-version: 2\n",
        "dbt_packages/pb/models/docs.md": "{% docs d1 %}pb d1{% enddocs %}\n{% docs d2 %}pb d2{% enddocs %}\n",
        "dbt_packages/pz/dbt_project.yml": "name: pz\nversion: '1'\nconfig-version: 2\n",
        "dbt_packages/pz/models/docs.md": "{% docs d2 %}pz d2{% enddocs %}\n",
        "dbt_packages/pz/models/m_pz.sql": "select 1 as id",
        "dbt_packages/pz/models/props.yml": """
models:
  - name: m_pz
    description: "x {{ doc('d1') }} {{ doc('d2') }}"
    columns:
      - name: id
        description: "{{ doc('d1') }}"
      - name: b
        description: "{{ doc('pb', 'd2') }} and {{ doc('d3') }}"
""",
    })
    res = run_mason(root, "parse")
    assert res.code == 0, res.stdout + res.stderr
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    model = manifest["nodes"]["model.pz.m_pz"]
    assert (model["description"], model["doc_blocks"]) == ("x root d1 pz d2", ["doc.p.d1", "doc.pz.d2"])
    assert {c: (v["description"], v["doc_blocks"]) for c, v in model["columns"].items()} == {
        "id": ("root d1", ["doc.p.d1"]), "b": ("pb d2 and root d3", ["doc.pb.d2", "doc.p.d3"])}
    source = manifest["sources"]["source.p.s1.t"]
    assert (source["description"], source["source_description"], source["doc_blocks"]) == (
        "root d3", "root d1", ["doc.p.d3"])
    assert {c: v["doc_blocks"] for c, v in source["columns"].items()} == {"c": ["doc.p.d1"], "plain": []}


def test_source_loaded_at_field_in_config_and_its_precedence(tmp_path: Path) -> None:
    # dbt 1.11: the table's property, then the table's config, the source's property, the source's config;
    # the source's config.loaded_at_field says the same as its loaded_at_field
    root = make_project(tmp_path / "p", {
        "models/src.yml": """
sources:
  - name: s1
    loaded_at_field: src_level
    tables: [{name: t, loaded_at_field: tbl_level}, {name: u}]
  - name: s5
    loaded_at_field: src_level
    config: {loaded_at_field: src_cfg}
    tables:
      - {name: t, config: {loaded_at_field: tbl_cfg}}
      - {name: u, loaded_at_field: tbl_level, config: {loaded_at_field: tbl_cfg}}
      - {name: v}
  - name: s6
    tables: [{name: t}]
""",
    })
    res = run_mason(root, "parse")
    assert res.code == 0, res.stdout + res.stderr
    sources = json.loads((root / "target" / "manifest.json").read_text())["sources"]
    got = {k.split(".", 2)[2]: (v["loaded_at_field"], v["config"]["loaded_at_field"]) for k, v in sources.items()}
    assert got == {"s1.t": ("tbl_level",) * 2, "s1.u": ("src_level",) * 2, "s5.t": ("tbl_cfg",) * 2,
                   "s5.u": ("tbl_level",) * 2, "s5.v": ("src_level",) * 2, "s6.t": (None, None)}


def test_data_tests_store_failures_and_store_failures_as_agree(tmp_path: Path) -> None:
    # dbt 1.11: store_failures_as wins (store_failures true unless `ephemeral`); else store_failures
    # true -> `table`, false -> `ephemeral`; neither set: both None
    tests = {f"tests/{d}/s_{d}.sql": "select * from {{ ref('m') }} where false" for d in ("f", "t", "ft", "v", "n")}
    root = make_project(tmp_path / "p", {
        "dbt_project.yml": "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n"
                           "data_tests:\n  p:\n    f: {+store_failures: false}\n    t: {+store_failures: true}\n"
                           "    ft: {+store_failures: false, +store_failures_as: table}\n"
                           "    v: {+store_failures_as: view}\n",
        "models/m.sql": "select 1 as id",
        "models/p.yml": "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n"
                        "          - not_null\n          - unique: {config: {store_failures: false}}\n",
        "tests/n/s_call.sql": "{{ config(store_failures=false) }} select * from {{ ref('m') }} where false",
        **tests,
    })
    res = run_mason(root, "parse")
    assert res.code == 0, res.stdout + res.stderr
    nodes = json.loads((root / "target" / "manifest.json").read_text())["nodes"]
    got = {k.split(".")[2]: (v["config"]["store_failures"], v["config"]["store_failures_as"])
           for k, v in nodes.items() if v["resource_type"] == "test"}
    assert got == {"s_f": (False, "ephemeral"), "s_t": (True, "table"), "s_ft": (True, "table"),
                   "s_v": (True, "view"), "s_n": (None, None), "s_call": (False, "ephemeral"),
                   "not_null_m_id": (None, None), "unique_m_id": (False, "ephemeral")}
    assert nodes["test.p.s_ft"]["unrendered_config"] == {"store_failures": False, "store_failures_as": "table"}


def test_generic_test_raw_code_carries_its_yaml_configs_and_hashed_alias(tmp_path: Path) -> None:
    # dbt 1.11 appends `{{ config(...) }}` with the test entry's configs (in its own key order) and, when it
    # shortened the name with a hash, the alias; the alias is in unrendered_config too. The test still runs.
    values = list(range(1, 31))
    root = make_project(tmp_path / "p", {
        "models/m.sql": "select 1 as id",
        "models/p.yml": f"""
models:
  - name: m
    columns:
      - name: id
        data_tests:
          - not_null
          - accepted_values:
              arguments: {{values: [1]}}
              config: {{severity: warn, tags: [a], meta: {{x: 1}}, limit: 5, where: 'id = 1 or "id" <> 2'}}
          - accepted_values:
              arguments: {{values: {values}}}
              config: {{where: "1=1"}}
""",
    })
    res = run_mason(root, "build")
    assert res.code == 0, res.stdout + res.stderr
    nodes = json.loads((root / "target" / "manifest.json").read_text())["nodes"]
    tests = {k.split(".")[2]: v for k, v in nodes.items() if v["resource_type"] == "test"}
    assert tests["not_null_m_id"]["raw_code"] == "{{ test_not_null(**_dbt_generic_test_kwargs) }}"
    assert tests["accepted_values_m_id__1"]["raw_code"] == (
        "{{ test_accepted_values(**_dbt_generic_test_kwargs) }}{{ config(severity=\"warn\",tags=['a'],"
        "where=\"id = 1 or \\\"id\\\" <> 2\",limit=5,meta={'x': 1}) }}")
    long = next(v for v in tests.values() if "1=1" in v["raw_code"])
    alias = long["config"]["alias"]
    assert alias.startswith("accepted_values_m_") and len(alias) < len(long["name"])
    assert long["raw_code"] == (
        f'{{{{ test_accepted_values(**_dbt_generic_test_kwargs) }}}}{{{{ config(where="1=1",alias="{alias}") }}}}')
    assert long["unrendered_config"] == {"where": "1=1", "alias": alias}
    statuses = [r["status"] for r in results(root).values()]
    assert sorted(statuses) == ["pass", "pass", "pass", "success"], statuses


def test_hooks_macro_calls_are_dependencies_and_operations_take_the_models_tree(tmp_path: Path) -> None:
    # dbt 1.11 renders hooks at parse: the macros they call directly are in depends_on.macros (the node's own
    # calls, then pre-hooks', then post-hooks'); an on-run-start/-end operation gets the `models:` tree's
    # configs at its fqn (tags, unrendered_config, the tree's hooks' macros) and its index in the list
    root = make_project(tmp_path / "p", {
        "dbt_project.yml": "name: p\nversion: '1'\nconfig-version: 2\nprofile: p\n"
                           "on-run-start:\n  - \"{{ log_start('x') }} select 1\"\n  - select 2\n"
                           "models:\n  +tags: [top]\n  p:\n"
                           "    +post-hook: \"{{ ph_macro() }} {{ this.schema }} {{ var('v', 1) }}\"\n",
        "macros/m.sql": "{% macro log_start(x) %}select 1{% endmacro %}\n"
                        "{% macro ph_macro() %}select 1{% endmacro %}\n"
                        "{% macro m2(r) %}select {{ inner() }}{% endmacro %}\n"
                        "{% macro inner() %}1{% endmacro %}\n",
        "models/a.sql": "{{ config(pre_hook=\"{{ m2(this) }} {{ dbt.current_timestamp() }}\") }} select 1 as id",
        "models/b.sql": "select 1 as id",
    })
    res = run_mason(root, "parse")
    assert res.code == 0, res.stdout + res.stderr
    nodes = json.loads((root / "target" / "manifest.json").read_text())["nodes"]
    assert nodes["model.p.a"]["depends_on"]["macros"] == ["macro.p.m2", "macro.dbt.current_timestamp",
                                                          "macro.p.ph_macro"]
    assert nodes["model.p.b"]["depends_on"]["macros"] == ["macro.p.ph_macro"]
    start = nodes["operation.p.p-on-run-start-0"]
    assert start["depends_on"]["macros"] == ["macro.p.log_start", "macro.p.ph_macro"]
    assert (start["tags"], start["index"], nodes["operation.p.p-on-run-start-1"]["index"]) == (
        ["on-run-start", "top"], 0, 1)
    assert start["unrendered_config"] == {"tags": ["top"],
                                          "post-hook": "{{ ph_macro() }} {{ this.schema }} {{ var('v', 1) }}"}
