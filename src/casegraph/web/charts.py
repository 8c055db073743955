"""Server-drawn SVG: bar charts and a circular network layout that work without JavaScript."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from markupsafe import Markup


def bar_chart(values: dict[str, int], title: str, width: int = 420) -> Markup:
    bar, gap, label_w = 18, 6, 110
    peak = max(values.values(), default=0) or 1
    height = max(1, len(values)) * (bar + gap) + 24
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(values.items()):
        y = 20 + i * (bar + gap)
        w = int((width - label_w - 50) * value / peak)
        parts.append(
            f'<text x="0" y="{y + 13}">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar}"></rect>'
            f'<text x="{label_w + w + 6}" y="{y + 13}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def network_svg(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], size: int = 640
) -> Markup:
    """Chats on an inner ring, accounts on an outer ring, memberships as lines."""
    chats = [n for n in nodes if n["type"] == "chat"]
    accounts = [n for n in nodes if n["type"] == "account"]
    centre = size / 2
    where: dict[str, tuple[float, float]] = {}
    for ring, group in ((size * 0.18, chats), (size * 0.42, accounts)):
        for i, node in enumerate(group):
            angle = 2 * math.pi * i / max(1, len(group))
            where[node["id"]] = (centre + ring * math.cos(angle), centre + ring * math.sin(angle))
    parts = [
        f'<svg class="network" role="img" aria-label="network" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">'
    ]
    for edge in edges:
        if edge["source"] in where and edge["target"] in where:
            (x1, y1), (x2, y2) = where[edge["source"]], where[edge["target"]]
            parts.append(
                f'<line class="{escape(edge["role"])}" x1="{x1:.0f}" y1="{y1:.0f}" '
                f'x2="{x2:.0f}" y2="{y2:.0f}"></line>'
            )
    for node in nodes:
        if node["id"] not in where:
            continue
        x, y = where[node["id"]]
        radius = 10 if node["type"] == "chat" else 5
        parts.append(
            f'<circle class="{node["type"]}" cx="{x:.0f}" cy="{y:.0f}" r="{radius}">'
            f"<title>{escape(str(node['label']))}</title></circle>"
        )
        if node["type"] == "chat":
            parts.append(
                f'<text x="{x + 12:.0f}" y="{y + 4:.0f}">{escape(str(node["label"]))[:30]}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
