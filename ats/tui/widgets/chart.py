"""A small column chart drawn with eighth-block characters: no plotting dependency.

Each column is one bucket of the series; its height is scaled between the series' min and
max into ``height`` rows of eight steps each, so a 5-row chart still shows 40 levels.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int) -> list[float]:
    """At most ``width`` points: the last value of each of ``width`` equal buckets."""
    n = len(values)
    if n <= width:
        return list(values)
    return [values[min(n - 1, ((i + 1) * n) // width - 1)] for i in range(width)]


def column_chart(
    values: Sequence[float], width: int, height: int, *, floor: float | None = None
) -> list[str]:
    """Rows of the chart, top row first, each exactly ``width`` characters.

    ``floor`` fixes the value drawn as an empty column (0 for magnitudes); by default the
    series minimum maps to the lowest non-empty level so a flat series still shows a line.
    """
    width, height = max(1, width), max(1, height)
    points = resample(values, width)
    if not points:
        return [" " * width for _ in range(height)]
    low = min(points) if floor is None else floor
    high = max(points)
    span = high - low
    levels = height * 8
    columns: list[int] = []
    for v in points:
        if span <= 0:
            columns.append(1 if floor is None or v > floor else 0)
        else:
            if floor is None:  # minimum still visible as the lowest level
                scaled = (v - low) / span * (levels - 1) + 1
            else:
                scaled = (v - low) / span * levels
            columns.append(max(0, min(levels, round(scaled))))
    columns += [0] * (width - len(columns))
    rows = []
    for row in range(height - 1, -1, -1):
        base = row * 8
        rows.append("".join(BLOCKS[max(0, min(8, c - base))] for c in columns))
    return rows
