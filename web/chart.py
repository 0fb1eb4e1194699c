"""The dashboard's activity chart: counts per hour (24 h) or per day (7 days), drawn as SVG on
the server — no chart library, no script, readable by screen readers through its table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from hub import clock

#: Which audit lines count as what, by (actor type, outcome).
SERIES = (
    ("in", "Events in"),
    ("out", "Actions delivered"),
    ("fail", "Failures"),
)
FAILURE_OUTCOMES = frozenset({"rejected", "dead", "failed", "error"})


def series_of(actor_type: str, outcome: str) -> str | None:
    if actor_type in ("webhook", "poll") and outcome == "accepted":
        return "in"
    if actor_type == "delivery" and outcome == "delivered":
        return "out"
    if outcome in FAILURE_OUTCOMES:
        return "fail"
    return None


@dataclass(frozen=True)
class Bucket:
    label: str
    start: datetime
    counts: dict[str, int]


def buckets(rows: list[tuple[str, str, str, int]], *, span: str, zone: ZoneInfo,
            now: datetime | None = None) -> list[Bucket]:
    """Hourly buckets for ``day``, local calendar days for ``week``; empty ones included."""
    now = (now or clock.now()).astimezone(zone)
    if span == "day":
        end = now.replace(minute=0, second=0, microsecond=0)
        starts = [end - timedelta(hours=h) for h in range(23, -1, -1)]
        step = timedelta(hours=1)
        label = "%H:00"
    else:
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Calendar days in the shop's zone (a DST day is 23 or 25 hours; compare by date).
        starts = [datetime.combine((today - timedelta(days=d)).date(), datetime.min.time(), zone)
                  for d in range(6, -1, -1)]
        step = timedelta(days=1)
        label = "%a %d"
    result = [Bucket(s.strftime(label), s, {key: 0 for key, _ in SERIES}) for s in starts]
    for hour, actor_type, outcome, count in rows:
        key = series_of(actor_type, outcome)
        if key is None:
            continue
        moment = clock.parse_iso(hour + ":00:00Z").astimezone(zone)
        for bucket in result:
            if span == "day":
                inside = bucket.start <= moment < bucket.start + step
            else:
                inside = moment.date() == bucket.start.date()
            if inside:
                bucket.counts[key] += count
                break
    return result


def since_for(span: str, zone: ZoneInfo, now: datetime | None = None) -> str:
    """The earliest instant the chart needs (UTC, stored format)."""
    now = (now or clock.now()).astimezone(zone)
    if span == "day":
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    else:
        start = datetime.combine((now - timedelta(days=6)).date(), datetime.min.time(), zone)
    return clock.iso(start)


def render_svg(data: list[Bucket], *, title: str) -> Markup:
    """Grouped bars, one group per bucket; the numbers are also in a table beside it."""
    width, height, left, bottom, top = 720, 240, 40, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([1] + [c for b in data for c in b.counts.values()])
    scale = _nice_ceiling(peak)
    group_w = plot_w / max(1, len(data))
    bar_w = max(2.0, (group_w - 4) / len(SERIES))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(_describe(data))}</desc>',
    ]
    for fraction in (0, .5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line class="grid-line" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{scale * fraction:g}</text>')
    every = max(1, len(data) // 8)
    for index, bucket in enumerate(data):
        x0 = left + index * group_w + 2
        for s_index, (key, name) in enumerate(SERIES):
            value = bucket.counts[key]
            h = plot_h * value / scale
            x = x0 + s_index * bar_w
            parts.append(
                f'<rect class="bar-{key}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{max(1.0, bar_w - 1):.1f}" height="{h:.1f}"><title>{escape(bucket.label)}: '
                f'{value} {escape(name.lower())}</title></rect>')
        if index % every == 0:
            parts.append(f'<text x="{x0 + group_w / 2 - 2:.1f}" y="{height - 8}" '
                         f'text-anchor="middle">{escape(bucket.label)}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - 10}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_ceiling(value: int) -> int:
    for nice in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= nice:
            return nice
    magnitude = 10 ** (len(str(value)) - 1)
    return ((value // magnitude) + 1) * magnitude


def _describe(data: list[Bucket]) -> str:
    totals = {key: sum(b.counts[key] for b in data) for key, _ in SERIES}
    return ", ".join(f"{totals[key]} {name.lower()}" for key, name in SERIES) + " in this period."
