"""Monitoring settings and the flaky-test rule, without a warehouse: what the blocks in dbt_project.yml mean,
which mistakes only warn, what is masked, and when a test counts as flaky."""

from __future__ import annotations

from typing import Any

from mason.monitor.config import DEFAULT_KINDS, alert_settings, history_settings
from mason.monitor.report import flips


def _warnings() -> tuple[list[str], Any]:
    found: list[str] = []
    return found, found.append


def test_history_defaults_switches_and_mistakes() -> None:
    warned, warn = _warnings()
    assert history_settings(None, {}, warn).enabled and history_settings({}, {}, warn).schema == "mason_monitoring"
    assert not history_settings({"history": False}, {}, warn).enabled
    assert not history_settings({}, {"MASON_HISTORY": "off"}, warn).enabled
    custom = history_settings({"schema": "ops", "database": "dw", "failing_rows": 0}, {}, warn)
    assert (custom.schema, custom.database, custom.failing_rows) == ("ops", "dw", 0)
    assert not history_settings({"failing_rows": "many"}, {}, warn).enabled and warned


def test_destinations_from_project_and_profile() -> None:
    warned, warn = _warnings()
    settings = alert_settings(
        {"retries": 1, "destinations": [{"type": "slack", "url": "https://hooks.slack.com/services/T1/B2/abcdef"},
                                        {"type": "pager"}]},
        {"suppress_minutes": 0, "destinations": [{"name": "h", "url": "http://x/y?token=s3cr3t-value",
                                                  True: ["error"]}]},
        {}, warn)
    assert [d.name for d in settings.destinations] == ["slack-1", "h"]
    assert settings.retries == 1 and settings.suppress_minutes == 0
    assert settings.destinations[0].on == DEFAULT_KINDS and settings.destinations[1].on == {"error"}
    assert warned == ["alerts: destination 2 in dbt_project.yml: type must be one of slack, webhook, command, "
                      "not 'pager'; ignored"]
    slack, hook = settings.destinations
    assert "services/T1/B2/abcdef" in slack.secrets() and slack.shown() == "'slack-1' (hooks.slack.com)"
    assert "s3cr3t-value" in hook.secrets() and "y" not in hook.secrets()
    assert alert_settings({"destinations": [{"url": "https://a"}]}, None, {"MASON_ALERTS": "0"}, warn).destinations == ()


def test_flaky_means_flipping_back_and_forth() -> None:
    def rows(uid: str, *statuses: str) -> list[dict[str, Any]]:
        return [{"unique_id": uid, "name": uid, "status": s, "started_at": i} for i, s in enumerate(statuses)]

    found = flips(rows("a", "pass", "fail", "pass") + rows("b", "pass", "fail", "fail")
                  + rows("c", "warn", "skipped", "pass", "error", "pass"), 2)
    assert [(f["unique_id"], f["flips"], f["failed_runs"], f["runs"]) for f in found] == [("c", 3, 2, 4), ("a", 2, 1, 3)]
