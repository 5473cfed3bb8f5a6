"""Alerts end to end on DuckDB: a run's failures posted to a real HTTP receiver on 127.0.0.1 (Slack's incoming
webhook shape and plain JSON) and handed to a command on stdin; grouped one message per destination and
channel, owners and channels from `meta`, suppressed within the window, retried with backoff, bounded in time,
never changing the exit code, and never showing the webhook's secret."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import Project, Receiver, events_csv

TOKEN = "T000/B000/XsEcReTtOkEn42"
FILES = {
    "seeds/events.csv": events_csv(30, spike_day=29),
    "models/orders.sql": "select * from {{ ref('events') }}",
    "models/broken.sql": "select no_such_column from {{ ref('events') }}",
    "models/finance.sql": "{{ config(meta={'owner': 'fin-team', 'alert_channel': '#finance'}) }}\n"
                          "select 1 as id union all select 1",
    "models/schema.yml": """
        version: 2
        models:
          - name: orders
            config:
              meta: {owner: "@ana"}
            data_tests:
              - volume_anomalies:
                  name: orders_volume
                  arguments: {timestamp_column: created_at}
          - name: finance
            columns:
              - name: id
                data_tests:
                  - unique:
                      name: finance_id_unique
                  - accepted_values:
                      name: finance_id_present
                      arguments: {values: [2]}
                      config: {severity: warn}
        """,
}
HOOK = "import json, sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.stdin.read())"


def alerts_yml(receiver: Receiver, extra: str = "", slack_path: str = f"/services/{TOKEN}") -> str:
    return textwrap.dedent(f"""\
        alerts:
          retries: 2
          backoff_seconds: 0.05
          timeout_seconds: 2
          {extra}
          destinations:
            - name: slack
              type: slack
              url: "{{{{ env_var('SLACK_URL', '{receiver.url}{slack_path}') }}}}"
              channel: "#data"
            - name: hook
              type: webhook
              url: "{receiver.url}/hook"
              headers: {{Authorization: "Bearer hdr-S3CRET"}}
              on: [error, fail, warn, anomaly]
        """)


def project(root: Path, receiver: Receiver, extra: str = "") -> Project:
    return Project(root, FILES, alerts_yml(receiver, extra))


def test_failures_grouped_per_destination_and_channel(tmp_path: Path, receiver: Receiver) -> None:
    p = project(tmp_path, receiver)
    result = p.run("build", expect=1)
    slack = receiver.at(f"/services/{TOKEN}")
    assert sorted(m.json().get("channel") for m in slack) == ["#data", "#finance"]
    data = next(m.json() for m in slack if m.json()["channel"] == "#data")
    assert data["text"].startswith("mason build on m (dev):")
    text = json.dumps(data["blocks"])
    assert "orders_volume" in text and "broken" in text and "@ana" in text
    # the anomaly's row: the bucket, the value, the expected range
    assert "2024-03-30 00:00:00 row_count = 300, expected" in text
    finance = next(m.json() for m in slack if m.json()["channel"] == "#finance")
    assert "finance_id_unique" in json.dumps(finance) and "fin-team" in json.dumps(finance)
    assert "finance_id_present" not in json.dumps(finance)  # a warning: not among the slack destination's kinds

    hook = receiver.at("/hook")
    assert len(hook) == 2 and all(h.headers["authorization"] == "Bearer hdr-S3CRET" for h in hook)
    by_channel = {h.json()["channel"]: h.json() for h in hook}
    assert set(by_channel) == {None, "#finance"}
    kinds = {a["name"]: a["kind"] for h in hook for a in h.json()["alerts"]}
    assert kinds == {"broken": "error", "orders_volume": "anomaly", "finance_id_unique": "fail",
                     "finance_id_present": "warn"}
    anomaly = next(a for a in by_channel[None]["alerts"] if a["kind"] == "anomaly")
    assert anomaly["owners"] == ["@ana"] and anomaly["rows"][0]["value"] == 300
    assert by_channel[None]["invocation_id"] and by_channel[None]["command"] == "build"
    assert TOKEN not in result.stdout + result.stderr


def test_suppression_window(tmp_path: Path, receiver: Receiver) -> None:
    p = project(tmp_path, receiver)
    p.run("build", expect=1)
    first = len(receiver.requests)
    assert first == 4
    p.run("build", expect=1)
    assert len(receiver.requests) == first  # the same nodes and kinds, within 60 minutes: held back
    state = json.loads((p.root / "target" / "mason_alerts.json").read_text())["sent"]
    assert any(key.startswith("slack|#data|model.m.broken|error") for key in state)
    p.write({"models/other_broken.sql": "select nope from {{ ref('events') }}"})
    p.run("build", "-s", "other_broken", expect=1)
    fresh = receiver.requests[first:]  # a node that had not alerted yet: sent to both destinations
    assert len(fresh) == 2
    hook = next(r.json() for r in fresh if r.path == "/hook")
    assert [a["name"] for a in hook["alerts"]] == ["other_broken"]
    q = project(tmp_path / "again", receiver, "suppress_minutes: 0")
    q.run("build", expect=1)
    q.run("build", expect=1)
    assert len(receiver.requests) == first + 2 + 8


def test_retries_with_backoff_then_delivers(tmp_path: Path, receiver: Receiver) -> None:
    receiver.fail_first[f"/services/{TOKEN}"] = 2
    p = project(tmp_path, receiver)
    result = p.run("build", "-s", "broken", expect=1)
    slack = receiver.at(f"/services/{TOKEN}")
    assert len(slack) == 3 and slack[0].body == slack[2].body  # two 500s, then delivered
    assert "could not alert" not in result.stdout


def test_failed_delivery_warns_masked_and_keeps_exit_code(tmp_path: Path, receiver: Receiver) -> None:
    receiver.status[f"/services/{TOKEN}"] = 404
    p = project(tmp_path, receiver)
    p.run("seed")  # nothing fails: no alert, exit 0
    assert receiver.requests == []
    result = p.run("build", "-s", "broken", expect=1)
    assert len(receiver.at(f"/services/{TOKEN}")) == 1  # a 404 is not retried
    assert "could not alert 'slack' (127.0.0.1:" in result.stdout and "HTTP 404" in result.stdout
    everything = result.stdout + result.stderr + (p.root / "logs" / "dbt.log").read_text()
    everything += "".join(f.read_text() for f in (p.root / "target").glob("*.json"))
    assert TOKEN not in everything and "hdr-S3CRET" not in everything
    # unreachable: connection refused, retried, then a warning; the run's exit code is the run's
    unreachable = Project(tmp_path / "down", FILES, alerts_yml(receiver).replace(receiver.url, "http://127.0.0.1:9"))
    result = unreachable.run("build", "-s", "broken", expect=1)
    assert "could not alert 'slack' (127.0.0.1:9): connection failed" in result.stdout
    assert "(after 3 attempts)" in result.stdout and TOKEN not in result.stdout


def test_slow_receiver_is_bounded(tmp_path: Path, receiver: Receiver) -> None:
    receiver.delay = 3.0
    p = project(tmp_path, receiver, "deadline_seconds: 2")
    start = time.monotonic()
    result = p.run("build", "-s", "broken", expect=1)
    assert time.monotonic() - start < 15
    assert "timed out" in result.stdout or "no time left" in result.stdout or "out of time" in result.stdout


def test_command_destination_reads_json_on_stdin(tmp_path: Path, receiver: Receiver) -> None:
    out = tmp_path / "alert.json"
    command = json.dumps([sys.executable, "-c", HOOK, str(out)])
    p = Project(tmp_path / "p", FILES, f"""
alerts:
  destinations:
    - name: script
      type: command
      command: {command}
      on: [error]
""")
    p.run("build", "-s", "broken", "finance", expect=1)
    data = json.loads(out.read_text())
    assert data["destination"] == "script" and [a["name"] for a in data["alerts"]] == ["broken"]
    assert data["alerts"][0]["kind"] == "error" and "no_such_column" in data["alerts"][0]["message"]


def test_alerts_from_the_profile_with_a_secret(tmp_path: Path, receiver: Receiver) -> None:
    p = Project(tmp_path, FILES)
    profile = (p.root / "profiles.yml").read_text()
    (p.root / "profiles.yml").write_text(
        profile + "      alerts:\n        destinations:\n          - type: slack\n"
        f"            url: \"{receiver.url}/services/{{{{ env_var('DBT_ENV_SECRET_SLACK') }}}}\"\n")
    result = p.run("build", "-s", "broken", env={"DBT_ENV_SECRET_SLACK": TOKEN}, expect=1)
    (message,) = receiver.at(f"/services/{TOKEN}")
    assert "broken" in message.json()["text"] + json.dumps(message.json()["blocks"])
    assert TOKEN not in result.stdout + (p.root / "logs" / "dbt.log").read_text()


def test_bad_alert_config_only_warns(tmp_path: Path, receiver: Receiver) -> None:
    p = Project(tmp_path, FILES, "alerts:\n  destinations:\n    - {type: pager, url: x}\n")
    result = p.run("build", "-s", "broken", expect=1)
    assert "alerts: destination 1 in dbt_project.yml: type must be one of slack, webhook, command" in result.stdout


@pytest.mark.parametrize("kinds", [["freshness"]])
def test_freshness_breach_alerts(tmp_path: Path, receiver: Receiver, kinds: list[str]) -> None:
    p = Project(tmp_path, {**FILES, "models/sources.yml": """
        version: 2
        sources:
          - name: raw
            schema: main
            loaded_at_field: created_at
            freshness:
              error_after: {count: 1, period: day}
            config:
              meta: {owner: ingest-team}
            tables:
              - name: events
        """}, f"alerts:\n  destinations:\n    - {{type: webhook, url: '{receiver.url}/fresh', on: {kinds}}}\n")
    p.run("seed")
    p.run("source", "freshness", expect=1)
    (message,) = receiver.at("/fresh")
    (alert,) = message.json()["alerts"]
    assert alert["kind"] == "freshness" and alert["name"] == "raw.events" and alert["status"] == "error"
    assert alert["owners"] == ["ingest-team"] and "ago" in alert["message"]
