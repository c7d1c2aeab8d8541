"""The metric contract: which series names Conveyor's processes export, and which series a
PromQL expression names.

Exported names come from the registry that ``conveyor.telemetry.metrics`` fills (plus the client
library's ``process_*``/``python_*`` collectors and Prometheus's own ``up``), so rules, dashboards
and runbooks are checked against the code itself, never against a hand-kept list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client import REGISTRY

import conveyor.telemetry.metrics  # noqa: F401 - registers the contract's metrics

# Series a histogram or counter family exposes, per the exposition format.
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
PROMETHEUS_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
_KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}
    | {"inf", "nan", "atan2"}
)


def exported_series() -> frozenset[str]:
    """Every series name a Conveyor process can expose on /metrics."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return frozenset(names | PROMETHEUS_SERIES)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")


def series_in(expr: str) -> frozenset[str]:
    """The series names a PromQL expression selects (functions, keywords, label names and
    values, durations and numbers left out)."""
    text = _TEMPLATE.sub("5m", expr)  # Sloth's {{.window}} and Grafana's $__ variables
    text = re.sub(r"\$\{?\w+\}?", "5m", text)
    text = _STRING.sub('""', text)
    text = _MATCHERS.sub("{}", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS or re.fullmatch(r"\d+[smhdwy]", name):
            continue
        names.add(name)
    return frozenset(names)


def dangling(expressions: Iterable[str], known: frozenset[str]) -> dict[str, frozenset[str]]:
    """Expressions naming series outside ``known``, with the unknown names."""
    found = {}
    for expr in expressions:
        unknown = series_in(expr) - known
        if unknown:
            found[expr] = frozenset(unknown)
    return found
