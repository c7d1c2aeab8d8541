"""What the experiments ask the live Prometheus: is it scraping everything yet (the baseline an
alert on ``increase()`` needs), and, when an expected alert does not come, why not.

Prometheus hands newly discovered targets to its scrapers at most every 5 s, so its first scrape
comes seconds after it reports ready. A counter whose first sample is taken after a burst (the
rescues of a killed worker's jobs) shows ``increase()`` nothing, and the alert never fires: the
experiments start only once every target has been scraped and the counters the alerts watch
have a sample at 0 (``wait_until_scraping``).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from scripts.dr.postgres import DrillError

# ``X > 10``, ``X == 0``: the threshold comparison at the end of an alert's expression.
_THRESHOLD = re.compile(r"^(?P<value>.*?)\s*(?:>|<|==|!=|>=|<=)\s*-?[\d.]+\s*$", re.DOTALL)
# The selectors an expression reads over a range: ``name{labels}[15m]``.
_RANGE_SELECTOR = re.compile(r"([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\[[^\]]+\]")


def without_threshold(expr: str) -> str | None:
    """The value an alert's expression compares (``X`` of ``X > 10``), or None."""
    found = _THRESHOLD.match(expr)
    return found.group("value") if found else None


def range_selectors(expr: str) -> list[str]:
    """The series an expression reads over a range (``name{labels}`` of ``name{labels}[15m]``)."""
    return list(dict.fromkeys(m.group(1) for m in _RANGE_SELECTOR.finditer(expr)))


def _get(url: str, path: str, **params: str) -> Any:
    response = httpx.get(f"{url}{path}", params=params, timeout=5)
    response.raise_for_status()
    body = response.json()
    if body.get("status") != "success":
        raise DrillError(f"Prometheus {path}: {body}")
    return body["data"]


def query(url: str, expr: str) -> list[dict[str, Any]]:
    return list(_get(url, "/api/v1/query", query=expr)["result"])


def target_health(url: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every active target by (job, instance): health ("up", "down", "unknown"), last error,
    last scrape's duration."""
    return {
        (t["labels"]["job"], t["labels"]["instance"]): t
        for t in _get(url, "/api/v1/targets", state="active")["activeTargets"]
    }


def wait_until_scraping(
    url: str,
    targets: dict[str, list[str]],
    baseline: dict[str, str],
    timeout: float = 60,
) -> float:
    """Wait until every target in ``targets`` (job -> instances) has been scraped successfully,
    every selector in ``baseline`` (job -> selector) has a sample from each of that job's
    instances, and Prometheus has discovered an Alertmanager; return the seconds it took.
    Raises DrillError naming what is still missing."""
    started = time.monotonic()
    while True:
        problems: list[str] = []
        try:
            health = target_health(url)
            for job, instances in targets.items():
                for instance in instances:
                    target = health.get((job, instance))
                    if target is None:
                        problems.append(f"{job} {instance}: not discovered yet")
                    elif target["health"] != "up":
                        error = target.get("lastError") or "not scraped yet"
                        problems.append(f"{job} {instance}: {target['health']} ({error})")
            for job, selector in baseline.items():
                seen = {r["metric"].get("instance") for r in query(url, selector)}
                absent = set(targets.get(job, [])) - seen
                if absent:
                    problems.append(f"no sample of {selector} from {', '.join(sorted(absent))}")
            if not _get(url, "/api/v1/alertmanagers")["activeAlertmanagers"]:
                problems.append("no Alertmanager discovered yet")
        except (httpx.HTTPError, DrillError) as exc:
            problems.append(f"Prometheus API: {exc}")
        if not problems:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise DrillError(
                f"Prometheus is not scraping everything after {timeout:.0f} s, so an alert could "
                f"miss the fault: {'; '.join(problems)}"
            )
        time.sleep(0.2)


def _samples(result: list[dict[str, Any]], since: float) -> list[str]:
    lines = []
    for series in result:
        labels = ",".join(f"{k}={v}" for k, v in sorted(series["metric"].items()) if k != "__name__")
        values = series.get("values") or [series.get("value")]
        # Runs of one value collapse: "+5.3s..+122.3s=15 (40 samples)".
        runs: list[list[Any]] = []
        for t, v in (pair for pair in values if pair is not None):
            if runs and runs[-1][2] == v:
                runs[-1][1], runs[-1][3] = float(t), runs[-1][3] + 1
            else:
                runs.append([float(t), float(t), v, 1])
        points = " ".join(
            f"{first - since:+.1f}s={v}"
            if count == 1
            else f"{first - since:+.1f}s..{last - since:+.1f}s={v} ({count} samples)"
            for first, last, v, count in runs
        )
        lines.append(f"{{{labels}}} {points}")
    return lines or ["(no series)"]


def alert_diagnosis(url: str, alertname: str, since: float) -> str:
    """Why ``alertname`` has not fired, from Prometheus' own API: the rule's state and last
    error, its expression's current value (without the threshold), the samples of the counters
    it reads (times relative to ``since``, the fault) and every target's health."""
    lines: list[str] = []
    try:
        rules = [
            rule
            for group in _get(url, "/api/v1/rules", type="alert")["groups"]
            for rule in group["rules"]
            if rule["name"] == alertname
        ]
        if not rules:
            lines.append(f"Prometheus has no alerting rule named {alertname}")
        for rule in rules:
            expr = str(rule["query"])
            lines.append(
                f"rule {alertname}: state {rule['state']}, health {rule['health']}"
                + (f", last error {rule['lastError']}" if rule.get("lastError") else "")
                + f"; expr {expr}"
            )
            value = without_threshold(expr)
            if value:
                lines.append(f"  {value} = {_samples(query(url, value), since)}")
            for selector in range_selectors(expr):
                window = max(1, int(time.time() - since) + 60)
                for line in _samples(query(url, f"{selector}[{window}s]"), since):
                    lines.append(f"  samples of {selector}: {line}")
        for (job, instance), target in sorted(target_health(url).items()):
            error = f" ({target['lastError']})" if target.get("lastError") else ""
            lines.append(
                f"  target {job} {instance}: {target['health']}{error}, "
                f"last scrape {float(target.get('lastScrapeDuration') or 0):.3f} s"
            )
    except (httpx.HTTPError, DrillError) as exc:
        lines.append(f"Prometheus API unreachable for the diagnosis: {exc}")
    return "\n".join(lines)
