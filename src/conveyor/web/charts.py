"""Server-side line charts for the overview: inline SVG geometry from the analytics series.

No chart library and no script: a chart is a polyline in a fixed viewBox, so it scales with
the page, follows the theme (``currentColor``) and renders before any JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conveyor.api.models.analytics import Bucket

WIDTH, HEIGHT = 300, 100


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    points: str  # "x,y x,y ..." in a WIDTH x HEIGHT viewBox, y downwards
    peak: float
    latest: float

    @property
    def summary(self) -> str:
        return f"{self.title}: peak {self.peak:.3g}{self.unit}, latest {self.latest:.3g}{self.unit}"


def line(title: str, unit: str, values: list[float]) -> Chart:
    peak = max(values, default=0.0)
    scale = (HEIGHT - 4) / peak if peak > 0 else 0.0
    step = WIDTH / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{HEIGHT - 2 - v * scale:.1f}" for i, v in enumerate(values))
    return Chart(title, unit, points, peak, values[-1] if values else 0.0)


def per_bucket(
    series: list[Bucket], since: datetime, bucket_seconds: int, count: int
) -> list[tuple[int, int, int]]:
    """(succeeded, dead, retried) for every bucket of the window, empty buckets included (the
    API returns only buckets that had events)."""
    by_start = {b.bucket_start: b for b in series}
    out = []
    for i in range(count):
        b = by_start.get(since + timedelta(seconds=i * bucket_seconds))
        out.append((b.succeeded, b.dead, b.retried) if b else (0, 0, 0))
    return out


def throughput_and_failures(
    series: list[Bucket], since: datetime, bucket_seconds: int, count: int
) -> tuple[Chart, Chart]:
    buckets = per_bucket(series, since, bucket_seconds, count)
    throughput = [s / bucket_seconds for s, _, _ in buckets]
    failure_rate = [100 * (d + r) / (s + d + r) if s + d + r else 0.0 for s, d, r in buckets]
    return line("Jobs succeeded per second", "/s", throughput), line("Attempts failed", "%", failure_rate)
