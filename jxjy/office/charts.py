"""Horizontal bar charts drawn on the server as SVG geometry (no script, no inline style: CSP-safe)."""

VIEW_WIDTH = 400  # viewBox units; narrow, so that the text stays readable when a phone scales the chart down
LABEL_WIDTH = 130  # left of the bars: "视同申报通过（件）" at 13 units
BAR_AREA = 200  # the rest is for the value after the longest bar
ROW_HEIGHT = 28
BAR_HEIGHT = 18


def bar_chart(title: str, items, *, unit: str = "", css: str = "") -> dict:
    """`items`: (label, value) pairs. Returns what `reports/_bar_chart.html` draws."""
    items = list(items)
    top = max((value for _, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        y = index * ROW_HEIGHT + 5
        width = round(float(value) * BAR_AREA / float(top), 1) if value else 0
        bars.append(
            {
                "label": label,
                "value": value,
                "text": f"{value}{unit}",
                "y": y,
                "text_y": y + BAR_HEIGHT - 4,
                "width": width,
                "value_x": LABEL_WIDTH + width + 6,
            }
        )
    return {
        "title": title,
        "bars": bars,
        "css": css,
        "height": len(bars) * ROW_HEIGHT + 10,
        "view_width": VIEW_WIDTH,
        "label_width": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 8,
        "bar_height": BAR_HEIGHT,
    }
