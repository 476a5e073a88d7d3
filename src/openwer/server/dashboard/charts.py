"""Chart geometry for server-rendered SVG: trend lines, daily bars, share bars.

The templates draw these with SVG presentation attributes only (no script, no inline style), so
the Content-Security-Policy stays strict and a chart costs nothing in the browser. Numbers are
rounded to one decimal to keep the markup small. Pure; thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from openwer.server.storage import DayCount

__all__ = ["Bar", "BarChart", "Sparkline", "Tick", "day_bars", "nice_ceiling", "sparkline"]


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A small trend line: ``line`` and ``area`` are SVG point lists/paths in a
    ``width`` × ``height`` box; ``peak`` is the highest value, ``total`` the sum."""

    width: int
    height: int
    line: str
    area: str
    peak: int
    total: int
    last_x: float
    last_y: float


@dataclass(frozen=True, slots=True)
class Bar:
    """One day's bar: its box and what its tooltip says."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True, slots=True)
class Tick:
    """A labelled position on an axis."""

    position: float
    label: str


@dataclass(frozen=True, slots=True)
class BarChart:
    """Hits per day: bars in a ``width`` × ``height`` plot area beside a left axis of
    ``left`` pixels and above a bottom axis of ``bottom`` pixels."""

    width: int
    height: int
    left: int
    bottom: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    total: int
    peak: int

    @property
    def full_width(self) -> int:
        """The SVG's width."""
        return self.left + self.width + 8

    @property
    def full_height(self) -> int:
        """The SVG's height."""
        return self.height + self.bottom + 8


def _r(value: float) -> float:
    return round(value, 1)


def sparkline(values: Sequence[int], width: int = 120, height: int = 28) -> Sparkline:
    """The trend line of ``values`` (oldest first); a flat line at the bottom when all are 0."""
    count = len(values)
    peak = max(values, default=0)
    pad = 2.0
    inner = height - 2 * pad
    points: list[tuple[float, float]] = []
    for index, value in enumerate(values):
        x = width * index / (count - 1) if count > 1 else width / 2
        y = pad + inner - (inner * value / peak if peak else 0.0)
        points.append((_r(x), _r(y)))
    if not points:
        points = [(0.0, height - pad), (float(width), height - pad)]
    line = " ".join(f"{x},{y}" for x, y in points)
    area = f"M{points[0][0]},{height} L" + " L".join(f"{x},{y}" for x, y in points)
    area += f" L{points[-1][0]},{height} Z"
    return Sparkline(width, height, line, area, peak, sum(values), points[-1][0], points[-1][1])


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ that is at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def day_bars(
    days: Sequence[DayCount],
    since: date,
    until: date,
    width: int = 1000,
    height: int = 170,
) -> BarChart:
    """Bars for every day ``since``..``until`` (days without hits get an empty slot)."""
    by_day = {d.day: d.hits for d in days}
    span = max(1, (until - since).days + 1)
    values = [
        (since + timedelta(days=i), by_day.get(since + timedelta(days=i), 0)) for i in range(span)
    ]
    peak = max((v for _, v in values), default=0)
    top = nice_ceiling(peak)
    slot = width / span
    gap = min(2.0, slot * 0.2)
    bars = []
    for index, (day, value) in enumerate(values):
        bar_height = height * value / top
        bars.append(
            Bar(
                x=_r(index * slot + gap / 2),
                y=_r(height - bar_height),
                width=_r(max(1.0, slot - gap)),
                height=_r(bar_height),
                label=f"{day.isoformat()}: {value:,} hits",
                value=value,
            )
        )
    # a middle tick only where it is a whole number of hits (not "0" twice for a peak of 1)
    fractions = (0, 0.5, 1) if top % 2 == 0 else (0, 1)
    y_ticks = tuple(Tick(_r(height - height * f), f"{int(top * f):,}") for f in fractions)
    step = max(1, span // 6)
    x_ticks = tuple(
        Tick(_r(index * slot + slot / 2), values[index][0].strftime("%b %d"))
        for index in range(0, span, step)
    )
    return BarChart(
        width=width,
        height=height,
        left=48,
        bottom=22,
        bars=tuple(bars),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        total=sum(v for _, v in values),
        peak=peak,
    )
