"""The dashboard's charts: what each shows, as numbers first (the table a screen reader reads)
and as an Apache ECharts option second (static/vendor/echarts, drawn by static/console/dashboard.js).

Counts of people arrive already anonymised (privacy.statistics: "<5", ">N"); a chart draws only
exact numbers, so a suppressed cell is a gap in the picture and its marker in the table.

Charts from apps above orgdata (rights) join through `register_chart`, called from their
AppConfig.ready: orgdata never imports them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from privacy.statistics import Cell


@dataclass
class Series:
    name: str
    values: list[Cell]


@dataclass
class Chart:
    key: str  # the chart's id in the page (data-testid="chart-<key>")
    title: str
    kind: str  # "bar", "line" or "pie"
    category_label: str  # the heading of the table's first column
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    note: str = ""
    empty_text: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.categories or not self.series

    def rows(self) -> list[tuple[str, list[Cell]]]:
        return [(category, [each.values[index] for each in self.series]) for index, category in enumerate(self.categories)]

    @property
    def is_drawable(self) -> bool:
        """Whether any exact number is left to draw (every cell may be suppressed)."""
        return any(isinstance(value, int) and value for each in self.series for value in each.values)

    def as_echarts(self) -> dict:
        """The data the page's script turns into an ECharts option: suppressed cells are null, and a
        series with nothing to draw is left out of the picture (it stays in the table)."""
        def drawn(values):
            return [value if isinstance(value, int) else None for value in values]

        return {"kind": self.kind, "categories": self.categories,
                "series": [{"name": each.name, "data": drawn(each.values)} for each in self.series
                           if any(isinstance(value, int) and value for value in each.values)]}


_registered: list[Callable[[object], Chart | None]] = []


def register_chart(build: Callable[[object], Chart | None]) -> None:
    """Add a chart to every dashboard: `build(actor)` returns it, or None where the actor may not see it."""
    if build not in _registered:
        _registered.append(build)


def registered_charts(actor) -> list[Chart]:
    return [chart for chart in (build(actor) for build in _registered) if chart is not None]
