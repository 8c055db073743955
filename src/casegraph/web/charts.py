"""Server-drawn SVG: bar charts and a circular network layout that work without JavaScript."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from markupsafe import Markup

from casegraph.wording import plurals_in, readable_time

NAMED_KEY_ACTORS = 8  # the top key actors are labelled; other names are tooltips (app.js too)


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


def day_columns(days: list[tuple[str, int]], title: str, height: int = 120) -> Markup:
    """Messages per day as columns, first day left; the first and last days written below."""
    if not days:
        return Markup("")
    step = max(3, min(14, 900 // len(days)))
    width = step * len(days) + 40
    peak = max(n for _, n in days) or 1
    parts = [
        f'<svg class="chart days" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height + 36}" viewBox="0 0 {width} {height + 36}"><title>{escape(title)}</title>'
        f'<text x="0" y="12">{peak}</text>'
    ]
    for i, (day, n) in enumerate(days):
        h = max(1, int(height * n / peak))
        parts.append(
            f'<rect x="{30 + i * step}" y="{14 + height - h}" width="{max(1, step - 1)}" '
            f'height="{h}"><title>{escape(day)}: {n}</title></rect>'
        )
    parts.append(f'<text x="30" y="{height + 30}">{escape(days[0][0])}</text>')
    if len(days) > 1:
        last = escape(days[-1][0])
        parts.append(f'<text x="{width - 4}" y="{height + 30}" text-anchor="end">{last}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def network_svg(
    nodes: list[dict[str, Any]], edges: list[dict[str, Any]], size: int = 640
) -> Markup:
    """The network as the page shows it without JavaScript: nodes where the seeded layout put
    them (x, y in 0..1000), chats and key actors labelled, the other names as tooltips."""
    margin = 40
    scale = (size - 2 * margin) / 1000.0
    where = {
        n["id"]: (margin + n.get("x", 500.0) * scale, margin + n.get("y", 500.0) * scale)
        for n in nodes
    }
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
        x, y = where[node["id"]]
        key_actor = node.get("key_actor_rank") is not None
        kind = "key-actor" if key_actor else node["type"]
        radius = 10 if node["type"] == "chat" else (8 if key_actor else 4)
        label = escape(str(node["label"]))
        parts.append(
            f'<circle class="{kind}" cx="{x:.0f}" cy="{y:.0f}" r="{radius}">'
            f"<title>{label}</title></circle>"
        )
        if node["type"] == "chat" or (key_actor and node["key_actor_rank"] <= NAMED_KEY_ACTORS):
            parts.append(f'<text x="{x + radius + 2:.0f}" y="{y + 4:.0f}">{label[:30]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def cascade_svg(postings: list[dict[str, Any]], title: str, width: int = 900) -> Markup:
    """One cascade as a picture: a lane per chat (in the order it reached them), postings as
    dots along time, the first posting in each chat named and linked from where it came."""
    if not postings:
        return Markup("")
    times = [datetime.fromisoformat(p["at"]) for p in postings]
    start, end = min(times), max(times)
    span = (end - start).total_seconds() or 1.0
    lanes: list[str] = []
    for posting in postings:
        if posting["chat"] not in lanes:
            lanes.append(posting["chat"])
    lane_h, label_w, right = 34, 170, 150
    height = lane_h * len(lanes) + 34
    plot = width - label_w - right

    def x_of(moment: datetime) -> float:
        return label_w + plot * (moment - start).total_seconds() / span

    def y_of(chat: str) -> float:
        return 20 + lane_h * lanes.index(chat) + lane_h / 2

    parts = [
        f'<svg class="cascade" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
    ]
    titles = {p["chat"]: p["chat_title"] or p["chat"] for p in postings}
    for chat in lanes:
        y = y_of(chat)
        parts.append(
            f'<line class="lane" x1="{label_w}" y1="{y:.0f}" x2="{label_w + plot}" y2="{y:.0f}">'
            f'</line><text class="lane" x="{label_w - 8}" y="{y + 4:.0f}" text-anchor="end">'
            f"{escape(titles[chat][:24])}</text>"
        )
    firsts: list[tuple[dict[str, Any], datetime]] = []
    for posting, moment in sorted(zip(postings, times, strict=True), key=lambda pt: pt[1]):
        if posting["chat"] not in {f["chat"] for f, _ in firsts}:
            firsts.append((posting, moment))
    for (before, t0), (after, t1) in itertools.pairwise(firsts):  # where it went next
        parts.append(
            f'<line class="hop" x1="{x_of(t0):.0f}" y1="{y_of(before["chat"]):.0f}" '
            f'x2="{x_of(t1):.0f}" y2="{y_of(after["chat"]):.0f}"></line>'
        )
    first_ids = {id(f) for f, _ in firsts}
    for posting, moment in zip(postings, times, strict=True):
        x, y = x_of(moment), y_of(posting["chat"])
        who = escape(str(posting.get("name") or posting.get("identifier") or "unknown"))
        kind = "first" if id(posting) in first_ids else "again"
        parts.append(
            f'<circle class="{kind}" cx="{x:.0f}" cy="{y:.0f}" r="{6 if kind == "first" else 4}">'
            f"<title>{who}, {escape(readable_time(moment))}</title></circle>"
        )
        if kind == "first":
            parts.append(f'<text class="who" x="{x + 8:.0f}" y="{y - 7:.0f}">{who[:22]}</text>')
    parts.append(
        f'<text class="axis" x="{label_w}" y="{height - 4}">{escape(readable_time(start))}</text>'
        f'<text class="axis" x="{label_w + plot}" y="{height - 4}" text-anchor="end">'
        f"{escape(readable_time(end))}</text></svg>"
    )
    return Markup("".join(parts))


def chat_activity_svg(
    days: list[dict[str, Any]], breakoffs: list[dict[str, Any]], width: int = 900
) -> Markup:
    """A chat's life, one column of messages per calendar day; joins (green, up), leaves
    (grey, down), days with known material posted (red) and break-offs (dashed) marked."""
    if not days:
        return Markup("")
    first, last = date.fromisoformat(days[0]["day"]), date.fromisoformat(days[-1]["day"])
    for breakoff in breakoffs:
        if breakoff["day"]:
            last = max(last, date.fromisoformat(breakoff["day"][:10]))
    span = (last - first).days + 1
    by_day = {d["day"]: d for d in days}
    left, plot_h, top = 34, 110, 26
    step = max(1.0, (width - left - 10) / span)
    peak = max(d["messages"] for d in days) or 1
    height = top + plot_h + 40
    parts = [
        f'<svg class="chart activity" role="img" aria-label="activity of the chat" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>messages per day</title>"
        f'<text class="axis" x="0" y="{top + 8}">{peak}</text>'
        f'<line class="base" x1="{left}" y1="{top + plot_h}" x2="{width - 10}" '
        f'y2="{top + plot_h}"></line>'
    ]
    for offset in range(span):
        day = (first + timedelta(days=offset)).isoformat()
        counts = by_day.get(day)
        if counts is None:
            continue
        x = left + offset * step
        h = max(1.0, plot_h * counts["messages"] / peak) if counts["messages"] else 0
        label = plurals_in(
            f"{day}: {counts['messages']} message(s), {counts['joins']} joined, "
            f"{counts['leaves']} left, {counts['matched']} known-material posting(s)"
        )
        if h:
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(1.0, step - 1):.1f}" '
                f'height="{h:.1f}"><title>{escape(label)}</title></rect>'
            )
        centre = x + step / 2
        if counts["joins"]:
            parts.append(
                f'<path class="join" d="M{centre:.1f} {top - 14} l4 7 h-8 z">'
                f"<title>{escape(label)}</title></path>"
            )
        if counts["leaves"]:
            parts.append(
                f'<path class="leave" d="M{centre:.1f} {top - 2} l4 -7 h-8 z">'
                f"<title>{escape(label)}</title></path>"
            )
        if counts["matched"]:
            parts.append(
                f'<circle class="matched" cx="{centre:.1f}" cy="{top + plot_h + 8}" r="4">'
                f"<title>{escape(label)}</title></circle>"
            )
    for breakoff in breakoffs:
        if not breakoff["day"]:
            continue
        x = left + (date.fromisoformat(breakoff["day"][:10]) - first).days * step + step / 2
        parts.append(
            f'<line class="breakoff" x1="{x:.1f}" y1="{top - 16}" x2="{x:.1f}" '
            f'y2="{top + plot_h}"><title>{escape(breakoff["title"])} broke off</title></line>'
        )
    parts.append(
        f'<text class="axis" x="{left}" y="{height - 4}">{first.isoformat()}</text>'
        f'<text class="axis" x="{width - 10}" y="{height - 4}" text-anchor="end">'
        f"{last.isoformat()}</text></svg>"
    )
    return Markup("".join(parts))
