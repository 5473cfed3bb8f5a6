"""The documentation site (docs/docs_site.md): `mason docs generate` writes target/index.html with the data
embedded, read from the run history; headless Chromium opens it from file:// and through `mason docs serve`:
no console errors, search finds a model, the lineage graph draws nodes of two packages, the dashboard's charts
have data points. Screenshots go to the project's target/screenshots/."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.monitor.conftest import Project, events_csv

from .browser import Browser, unavailable

FILES = {
    "seeds/events.csv": events_csv(days=30, spike_day=29),
    "models/staging/stg_events.sql": "select id, created_at, country, amount from {{ ref('events') }}",
    "models/marts/orders.sql": """
        {{ config(materialized='table') }}
        select e.id, e.created_at, e.country, e.amount, d.label
        from {{ ref('stg_events') }} e
        cross join {{ ref('shared', 'shared_dim') }} d
        """,
    "models/marts/by_country.sql": "select country, count(*) as n from {{ ref('orders') }} group by country",
    "models/schema.yml": """
        version: 2
        sources:
          - name: raw
            schema: main
            loaded_at_field: created_at
            freshness: {warn_after: {count: 1, period: day}, error_after: {count: 400, period: day}}
            tables:
              - name: events
        models:
          - name: orders
            description: "One row per **order**, with the shared label."
            data_tests:
              - volume_anomalies: {name: orders_volume, arguments: {timestamp_column: created_at}}
            columns:
              - name: id
                description: The order's key.
                data_tests: [unique, not_null]
              - name: country
                description: Where the order was placed (a two-letter code).
        """,
    "packages.yml": "packages:\n  - local: ../shared_pkg\n",
}
PACKAGE = {
    "dbt_project.yml": "name: shared\nversion: '1'\nconfig-version: 2\n",
    "models/shared_dim.sql": "select 'gold' as label",
    "models/shared.yml": "version: 2\nmodels:\n  - name: shared_dim\n    description: A model from another package.\n",
}


def site_data(project: Project) -> dict[str, Any]:
    html = (project.root / "target" / "index.html").read_text()
    found = re.search(r'<script id="mason-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no embedded data"
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> Project:
    base = tmp_path_factory.mktemp("docsite")
    pkg = base / "shared_pkg"
    for rel, text in PACKAGE.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    p = Project(base / "shop", FILES)
    p.run("deps")
    p.run("build", expect=1)  # the volume spike fails orders_volume
    p.run("build", expect=1)
    p.run("source", "freshness", expect=None)
    out = p.run("docs", "generate")
    assert "index.html (runs from history)" in out.stdout
    return p


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = unavailable()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    with Browser() as b:
        yield b


def shots(project: Project) -> Path:
    folder = project.root / "target" / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


def test_the_data_embedded_in_the_page(documented: Project) -> None:
    data = site_data(documented)
    nodes = {n["i"]: n for n in data["nodes"]}
    orders = nodes["model.m.orders"]
    assert orders["d"].startswith("One row per") and orders["m"] == "table" and orders["f"] == "models/marts/orders.sql"
    parents = {data["nodes"][i]["i"] for i in orders["u"]}
    assert parents == {"model.m.stg_events", "model.shared.shared_dim"}
    assert "cross join" in orders["s"] and '"shared_dim"' in orders["k"]
    columns = {c[0]: c for c in orders["c"]}
    assert columns["country"][2].startswith("Where the order") and columns["id"][1]  # catalog type
    tests = {t[1]: t[3] for t in orders["x"]}
    assert tests == {"volume_anomalies": "fail", "unique": "pass", "not_null": "pass"}
    assert orders["z"] == "success" and orders["h"][2] == 2
    dash = data["dash"]
    assert dash["from"] == "history" and len(dash["runs"]) == 3
    assert [(t["pass"], t["fail"]) for t in dash["tests"]] == [(2, 1), (2, 1)]
    (anomaly,) = dash["anomalies"]
    assert anomaly["n"] == "orders_volume" and anomaly["node"] == "model.m.orders"
    (point,) = anomaly["points"]
    assert point[1] == 300 and point[2] < point[3] < 300 and point[5] == "spike"
    (fresh,) = dash["freshness"]
    assert fresh["n"] == "raw.events" and fresh["points"][0][1] > 86400 and fresh["warn"] == 86400


def test_pages_load_search_lineage_and_dashboard(documented: Project, browser: Browser) -> None:
    folder = shots(documented)
    page = browser.page(height=2400)  # tall: the page scrolls inside <main>, screenshots show the viewport
    page.goto((documented.root / "target" / "index.html").as_uri())
    page.wait_for_function("window.__masonReady !== undefined")
    assert page.inner_text("main h1") == "m"
    page.screenshot(path=str(folder / "overview.png"))
    page.fill("#q", "orders")
    page.wait_for_function("document.getElementById('count').textContent.indexOf('match') > 0")
    assert page.get_attribute("#rows a.row", "data-id") == "model.m.orders"  # the exact name first
    page.fill("#q", "two-letter")  # column docs are searched too
    page.wait_for_function("document.getElementById('count').textContent === '1 node matches'")
    page.click('#rows a[data-id="model.m.orders"]')
    page.wait_for_selector("#graph svg g.ln.focus")
    drawn = page.eval_on_selector_all("#graph svg g.ln", "gs => gs.map(g => g.getAttribute('data-id'))")
    assert set(drawn) == {"model.m.orders", "model.m.stg_events", "model.shared.shared_dim", "seed.m.events",
                          "model.m.by_country"}
    assert page.eval_on_selector_all("#graph svg path.edge", "es => es.length") == 4
    assert "shared" in page.inner_text("#legend") and "orders_volume" in page.inner_text("main")
    assert "Where the order was placed" in page.inner_text("table.cols")
    assert '"shared_dim"' in page.inner_text("#sql")  # compiled SQL first
    page.click('.tabs button[data-k="s"]')
    assert "ref('shared', 'shared_dim')" in page.inner_text("#sql")
    page.screenshot(path=str(folder / "node.png"), full_page=True)
    page.click('.lc button[data-d="up"][data-s="-1"]')
    page.click('.lc button[data-d="up"][data-s="-1"]')
    assert "model.m.stg_events" not in page.eval_on_selector_all(
        "#graph svg g.ln", "gs => gs.map(g => g.getAttribute('data-id'))")
    page.click('#graph svg g.ln[data-id="model.m.by_country"]')  # refocus downstream
    page.wait_for_function("location.hash.indexOf('by_country') > 0")
    page.wait_for_selector('#graph svg g.ln.focus[data-id="model.m.by_country"]')
    page.click('header nav a[data-r="dashboard"]')
    page.wait_for_selector("#c-tests svg")
    counts = page.evaluate("""() => ({
        tests: document.querySelectorAll('#c-tests .pt').length,
        durations: document.querySelectorAll('#c-durations .pt').length,
        anomaly: document.querySelectorAll('.anomaly .pt').length,
        band: document.querySelectorAll('.anomaly .range').length,
        flagged: document.querySelectorAll('.anomaly .pt.bad').length,
        freshness: document.querySelectorAll('.fresh .pt').length,
        thresholds: document.querySelectorAll('.fresh .thr').length})""")
    assert counts["tests"] == 4 and counts["durations"] >= 8 and counts["anomaly"] == 1 and counts["band"] == 1
    assert counts["flagged"] == 1 and counts["freshness"] == 1 and counts["thresholds"] == 2
    page.screenshot(path=str(folder / "dashboard.png"), full_page=True)
    browser.check_errors()
    page.close()
    assert all((folder / f"{name}.png").stat().st_size > 5000 for name in ("overview", "node", "dashboard"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_docs_serve(documented: Project, browser: Browser) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mason", "docs", "serve", "--port", str(port), "--no-browser"],
                            cwd=documented.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200 and b"mason-data" in response.read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("mason docs serve did not answer")
        with urllib.request.urlopen(url + "mason_docs/app.js", timeout=2) as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
        page = browser.page()
        page.goto(url + "#/node/model.shared.shared_dim")
        page.wait_for_selector('#graph svg g.ln.focus[data-id="model.shared.shared_dim"]')
        assert "A model from another package." in page.inner_text("main")
        page.screenshot(path=str(shots(documented) / "served.png"))
        browser.check_errors()
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert f"127.0.0.1:{port}" in (proc.stdout.read() if proc.stdout else "")


def test_without_history_the_artifacts_feed_the_dashboard(tmp_path: Path) -> None:
    p = Project(tmp_path / "p", {k: v for k, v in FILES.items() if k != "packages.yml" and "marts" not in k
                                 and k != "models/schema.yml"}, project_yml="monitoring: {history: false}\n")
    p.write({"models/schema.yml": "version: 2\nmodels:\n  - name: stg_events\n    columns:\n      - name: id\n"
                                  "        data_tests: [unique]\n"})
    p.run("build")
    p.run("docs", "generate")
    dash = site_data(p)["dash"]
    assert dash["from"] == "artifacts" and dash["tests"][0]["pass"] == 1
    assert {s["id"] for s in dash["durations"]["series"]} == {"seed.m.events", "model.m.stg_events"}
    p.run("docs", "generate", "--no-site")
    assert (p.root / "target" / "catalog.json").is_file()


def test_large_sites_render_lazily(tmp_path: Path, browser: Browser) -> None:
    """5,000 synthetic nodes, one of them read by 100 others: the list draws only the rows in view, the lineage
    at most 24 nodes a level (saying how many more), and scrolling draws the next rows."""
    from mason.docsite.site import write_site

    nodes: list[dict[str, Any]] = [{"i": "model.big.hub", "t": "model", "n": "hub", "p": "big", "f": "models/hub.sql"}]
    nodes += [{"i": f"model.big.m{k:05d}", "t": "model", "n": f"m{k:05d}", "p": "big", "f": f"models/m{k:05d}.sql",
               "u": [0] if k < 100 else [k]} for k in range(1, 5000)]
    dash = {"from": "none", "runs": [], "tests": [], "durations": {"at": [], "series": []}, "anomalies": [],
            "freshness": []}
    index = write_site(tmp_path, {"v": 1, "project": "big", "adapter": "duckdb", "generated_at": "2024-01-01T00:00:00Z",
                                  "nodes": nodes, "dash": dash})
    page = browser.page()
    page.goto(index.as_uri() + "#/node/model.big.hub")
    page.wait_for_selector("#graph svg g.ln.focus")
    assert page.inner_text("#count") == "5000 nodes"
    drawn = page.eval_on_selector_all("#rows a.row", "rs => rs.length")
    assert 10 < drawn < 100
    assert page.eval_on_selector_all("#graph svg g.ln", "gs => gs.length") == 25  # the hub and 24 of its readers
    assert page.text_content("#graph svg text.more") == "+ 75 more"
    page.eval_on_selector("#list", "l => { l.scrollTop = 26 * 3000; }")
    page.wait_for_selector('#rows a[data-id="model.big.m03000"]')
    browser.check_errors()
    page.close()
