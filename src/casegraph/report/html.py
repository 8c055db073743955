"""`report --format html`: a self-contained, offline report an analyst can hand to a colleague.

Built from the JSON view (so both reports agree) plus per-message timing for the charts.
Charts are PNGs drawn by matplotlib and inlined as data URIs; no script, font or style is
fetched from anywhere. Media are shown by hash and category only, never as images.
"""

from __future__ import annotations

import base64
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import networkx as nx
from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.access.reader import Reader
from casegraph.access.scope import Scope, full_scope
from casegraph.analysis import ANALYSIS_ACTION
from casegraph.report.json_view import build_report
from casegraph.report.summary import matched_media_in_report
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    AuditRow,
    EntityRow,
    MediaRow,
    MessageRow,
)
from casegraph.wording import (
    language_name,
    platform_name,
    plurals_in,
    readable_time,
    readable_times_in,
)

SECTIONS = (
    ("summary", "Operation summary"),
    ("sources", "Evidence sources and custody hashes"),
    ("chats", "Chats"),
    ("timelines", "Per-chat timelines"),
    ("matches", "Matches per chat"),
    ("key-actors", "Key actors"),
    ("network", "Network"),
    ("lineage", "Lineage of break-off groups"),
    ("cascades", "Sticker and media cascades"),
    ("countries", "Countries: country distribution"),
    ("investigations", "Proposed national investigations"),
    ("persons", "Persons"),
    ("accounts", "Accounts"),
    ("entities", "Entities found in messages"),
    ("media", "Media (hashes only)"),
)
MAX_NETWORK_ACCOUNTS = 250
MAX_NETWORK_CHATS = 30
MAX_CHART_CHATS = 40  # rows in the timeline and matches charts; the tables list every chat
KAMADA_KAWAI_UP_TO = 500  # nodes; beyond it the spring layout is fast enough
MAX_CASCADES = 60  # panels in the cascades figure (the busiest first); the table lists all
MAX_ENTITIES = 500
INVITES = ("whatsapp_invite", "telegram_invite")
PALETTE = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#2e4057", "#c17c74")
# Kelly's colours of maximum contrast, most distinct first; countries beyond them change marker.
COUNTRY_COLOURS = (
    "#0067a5",
    "#be0032",
    "#008856",
    "#f38400",
    "#875692",
    "#f3c300",
    "#a1caf1",
    "#e68fac",
    "#882d17",
    "#8db600",
    "#c2b280",
    "#604e97",
    "#f99379",
    "#2b3d26",
    "#e25822",
    "#b3446c",
    "#dcd300",
    "#654522",
)
COUNTRY_MARKERS = ("o", "^", "D", "v")
UNKNOWN_COLOUR = "#b8b8b8"
CLUSTER_ID = re.compile(r"\bcluster-[0-9a-f]{16}\b")


def render_html(case: Case, scope: Scope | None = None) -> str:
    """The whole report as one HTML string (UTF-8, no external references); with `scope`,
    what that principal may see (every query reads through `casegraph.access`)."""
    report = build_report(case, scope)
    with case.read() as session:
        reader = Reader(session, case, scope or full_scope())
        activity, postings = _load_timing(reader)
        analysed = _analysed(session, case.id)
        entities = _entities(reader)
    view = _View(report, entities, postings)
    template = _environment().from_string(
        resources.files("casegraph.report").joinpath("templates/report.html.j2").read_text("utf-8")
    )
    return template.render(
        report=report,
        view=view,
        analysed=analysed,
        sections=SECTIONS,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        charts={
            "timelines": _timeline_chart(view, activity, postings),
            "matches": _matches_chart(view),
            "network": _network_chart(view),
            "lineage": _lineage_chart(view),
            "cascades": _cascades_chart(view, postings),
            "countries": _countries_chart(view),
        },
    )


def category_label(category: str) -> str:
    """ "category 1"; an entry without a category stays "uncategorised"."""
    return category if category == "uncategorised" else f"category {category}"


def _environment() -> Environment:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["short"] = lambda value, n=12: (value or "")[:n]
    env.filters["platform"] = platform_name
    env.filters["language"] = language_name
    env.filters["when"] = readable_time
    env.filters["event"] = lambda kind: str(kind).replace("_", " ")
    env.filters["category"] = category_label
    return env


class _View:
    """Look-ups the template and charts share: labels, per-chat matches, clusters."""

    def __init__(
        self,
        report: dict[str, Any],
        entities: list[dict[str, Any]],
        postings: list[tuple[str, str, str, datetime]],
    ) -> None:
        self.report = report
        self.first_in_chat: dict[str, dict[str, datetime]] = defaultdict(dict)
        for _, cluster, chat, when in sorted(postings, key=lambda p: p[3]):
            self.first_in_chat[cluster].setdefault(chat, when)
        self.chats = {c["id"]: c for c in report["chats"]}
        self.accounts = {a["id"]: a for a in report["accounts"]}
        self.media = {m["sha256"]: m for m in report["media"]}
        self.key_actors: list[dict[str, Any]] = report["key_actors"]
        self.entities = entities
        self.network = _network_summary(report["accounts"])
        self.pertinent = [m for m in report["matches"] if m["pertinent"] and not m["suppressed"]]
        self.known_media = matched_media_in_report(report["matches"])  # the one match count
        self.matches_by_chat: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for match in self.pertinent:
            for chat in self.media.get(match["media_sha256"], {}).get("chats", []):
                self.matches_by_chat[chat].append(match)
        self.categories: dict[str, set[str]] = defaultdict(set)
        for match in self.pertinent:
            self.categories[match["media_sha256"]].add(match["category"] or "uncategorised")
        self.clusters: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in report["media"]:
            self.clusters[item["cluster"] or item["sha256"]].append(item)
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for chat in report["chats"]:
            self.children[chat["parent"]].append(chat["id"])
        self.message_total = sum(c["messages"] for c in report["chats"])
        self.max_chart_chats = MAX_CHART_CHATS
        self.max_cascades = MAX_CASCADES
        self.persons = {p["id"]: p for p in report.get("persons", [])}
        self.cascade_number = {
            key: number for number, (key, _) in enumerate(self.matched_clusters(), start=1)
        }

    def person_name(self, key: str) -> str:
        """The person's label, else the first name one of its accounts uses, else ""."""
        person = self.persons[key]
        names = [n for a in person["accounts"] for n in self.accounts.get(a, {}).get("names", [])]
        return str(person["label"] or (names[0] if names else ""))

    def person_label(self, key: str | None) -> str:
        """A person by name: its label, else a name its accounts use, else an identifier."""
        person = self.persons.get(key or "")
        if person is None:
            return "—"
        accounts = [self.accounts[a] for a in person["accounts"] if a in self.accounts]
        name = self.person_name(person["id"])
        if not name:
            name = accounts[0]["identifier"] if accounts else "unnamed person"
        return name if len(accounts) < 2 else f"{name} ({len(accounts)} accounts)"

    def cascade_label(self, cluster: str) -> str:
        number = self.cascade_number.get(cluster)
        return f"cascade {number}" if number else "a media cluster seen in one chat"

    def sentence(self, text: str) -> Markup:
        """An analysis reason as a sentence: readable times, cascades by number and linked."""

        def cascade(match: re.Match[str]) -> str:
            number = self.cascade_number.get(match.group(0))
            if number is None:
                return "a media cluster"
            return f'<a href="#cascade-{number}">cascade {number}</a>'

        readable = plurals_in(readable_times_in(text))
        return Markup(CLUSTER_ID.sub(cascade, str(escape(readable))))

    def is_known_cluster(self, items: Iterable[dict[str, Any]]) -> bool:
        return any(item["sha256"] in self.categories for item in items)

    def cluster_first_seen(self, items: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
        seen = [item["first_seen"] for item in items if item.get("first_seen")]
        return min(seen, key=lambda f: f["at"]) if seen else None

    def chat_label(self, key: str | None) -> str:
        if key is None:
            return "—"
        chat = self.chats.get(key)
        return chat["title"] or key if chat else key

    def account_label(self, key: str | None) -> str:
        if key is None:
            return "—"
        account = self.accounts.get(key)
        if account is None:
            return key
        name = account["names"][0] if account["names"] else ""
        shown = name and name != account["identifier"]
        return f"{account['identifier']} ({name})" if shown else account["identifier"]

    def chat_labels(self, keys: Iterable[str]) -> str:
        return ", ".join(self.chat_label(k) for k in keys)

    def cascade_path(self, cluster: str) -> str:
        """The chats a cluster reached, in the order it first appeared in each."""
        return " → ".join(self.chat_label(chat) for chat in self.first_in_chat.get(cluster, {}))

    def charted_chats(self, activity: dict[str, Counter[date]]) -> list[str]:
        """The chats a chart has room for: those in a lineage or with matches, then the busiest."""
        ranked = sorted(
            activity,
            key=lambda k: (
                not (self.chats.get(k, {}).get("parent") or self.children.get(k)),
                not self.matches_by_chat.get(k),
                -sum(activity[k].values()),
                k,
            ),
        )
        return ranked[:MAX_CHART_CHATS]

    def in_lineage(self, key: str) -> bool:
        return bool(self.chats[key]["parent"] or self.children.get(key))

    def network_selection(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Chats and accounts the network picture shows: lineage and matched chats and the
        largest others, then key actors and the accounts in most of those chats."""
        chats = sorted(
            self.report["chats"],
            key=lambda c: (
                not self.in_lineage(c["id"]),
                not self.matches_by_chat.get(c["id"]),
                -len(c["members"]),
                c["id"],
            ),
        )[:MAX_NETWORK_CHATS]
        shown = {c["id"] for c in chats}
        key_accounts = {a["account"] for a in self.key_actors}
        accounts = sorted(
            (a for a in self.accounts.values() if shown.intersection(a["chats"])),
            key=lambda a: (
                a["id"] not in key_accounts,
                -len(shown.intersection(a["chats"])),
                a["id"],
            ),
        )[:MAX_NETWORK_ACCOUNTS]
        return chats, accounts

    def cluster_categories(self, items: Iterable[dict[str, Any]]) -> str:
        found = {c for item in items for c in self.categories.get(item["sha256"], ())}
        return ", ".join(category_label(c) for c in sorted(found)) or "—"

    def persons_by_name(self) -> list[dict[str, Any]]:
        """Named persons first, then those with several accounts, then by what they are called."""
        return sorted(
            self.persons.values(),
            key=lambda p: (
                not self.person_name(p["id"]),
                -len(p["accounts"]),
                self.person_label(p["id"]),
                p["id"],
            ),
        )

    def countries(self) -> Counter[str]:
        return Counter(a["country"] or "unknown" for a in self.report["accounts"])

    def matched_clusters(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Clusters seen in more than one chat, those holding matched media first."""
        ranked = [
            (key, items)
            for key, items in self.clusters.items()
            if len({c for item in items for c in item["chats"]}) > 1
        ]
        ranked.sort(
            key=lambda kv: (
                not any(item["sha256"] in self.categories for item in kv[1]),
                -len({c for item in kv[1] for c in item["chats"]}),
                kv[0],
            )
        )
        return ranked


def _analysed(session: Session, case_id: int) -> bool:
    return (
        session.scalar(
            select(AuditRow.id)
            .where(AuditRow.case_id == case_id, AuditRow.action == ANALYSIS_ACTION)
            .limit(1)
        )
        is not None
    )


def _entities(reader: Reader) -> list[dict[str, Any]]:
    """Entities by normalised value with the messages and chats holding them; invites first.

    A scoped view counts only visible messages and never lists a hidden account's identifier."""
    session = reader.session
    keys = reader.chat_keys()
    hidden = set()
    if reader.limited:
        hidden = set(
            session.scalars(
                select(AccountRow.identifier).where(
                    AccountRow.case_id == reader.case.id,
                    AccountRow.id.not_in(reader.account_keys()),
                )
            )
        )
    counts: Counter[tuple[str, str]] = Counter()
    chats: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, value, chat_id, n in session.execute(
        select(EntityRow.kind, EntityRow.normalized, MessageRow.chat_id, func.count())
        .join(MessageRow, EntityRow.message_id == MessageRow.id)
        .where(EntityRow.case_id == reader.case.id, reader.messages())
        .group_by(EntityRow.kind, EntityRow.normalized, MessageRow.chat_id)
    ):
        if value in hidden:
            continue
        counts[(kind, value)] += n
        chats[(kind, value)].add(keys[chat_id])
    ranked = sorted(counts, key=lambda k: (k[0] not in INVITES, -counts[k], k))
    return [
        {
            "kind": kind,
            "value": value,
            "messages": counts[(kind, value)],
            "chats": sorted(chats[(kind, value)]),
        }
        for kind, value in ranked[:MAX_ENTITIES]
    ]


def _network_summary(accounts: list[dict[str, Any]]) -> dict[str, int]:
    measured = [a["metrics"] for a in accounts if a.get("metrics")]
    return {
        "accounts": len(measured),
        "communities": len({m["community"] for m in measured if m["community"] >= 0}),
        "max_core": max((m["core"] for m in measured), default=0),
        "max_degree": max((m["degree"] for m in measured), default=0),
    }


def _load_timing(
    reader: Reader,
) -> tuple[dict[str, Counter[date]], list[tuple[str, str, str, datetime]]]:
    """Messages per chat per day, and every media posting as (sha256, cluster, chat, time)."""
    activity: dict[str, Counter[date]] = defaultdict(Counter)
    postings: list[tuple[str, str, str, datetime]] = []
    keys = reader.chat_keys()
    for chat_id, sent_at in reader.session.execute(
        select(MessageRow.chat_id, MessageRow.sent_at).where(reader.messages())
    ):
        activity[keys[chat_id]][sent_at.date()] += 1
    for sha256, cluster, chat_id, sent_at in reader.session.execute(
        select(MediaRow.sha256, MediaRow.cluster, MessageRow.chat_id, MessageRow.sent_at)
        .join(AttachmentRow, AttachmentRow.media_id == MediaRow.id)
        .join(MessageRow, AttachmentRow.message_id == MessageRow.id)
        .where(MediaRow.case_id == reader.case.id, reader.messages())
    ):
        postings.append((sha256, cluster or sha256, keys[chat_id], sent_at))
    return activity, postings


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _timeline_chart(
    view: _View,
    activity: dict[str, Counter[date]],
    postings: Iterable[tuple[str, str, str, datetime]],
) -> str | None:
    chats = sorted(view.charted_chats(activity), key=lambda k: min(activity[k]))
    if not chats:
        return None
    figure = Figure(figsize=(10, 0.45 * len(chats) + 1.5))
    axes = figure.subplots()
    row = {key: i for i, key in enumerate(chats)}
    for key in chats:
        days = sorted(activity[key])
        sizes = [min(400, 6 + 4 * activity[key][d]) for d in days]
        axes.scatter(date2num(days), [row[key]] * len(days), s=sizes, alpha=0.45, color=PALETTE[0])
    matched = [
        (chat, at) for sha, _, chat, at in postings if sha in view.categories and chat in row
    ]
    if matched:
        axes.scatter(
            date2num([at.date() for _, at in matched]),
            [row[c] for c, _ in matched],
            marker="x",
            color=PALETTE[1],
            label="matched media posted",
        )
        axes.legend(loc="upper left", fontsize=8)
    axes.set_yticks(range(len(chats)), [_short(view.chat_label(k)) for k in chats], fontsize=8)
    axes.xaxis_date()
    axes.set_xlabel("day (UTC); dot size = messages that day")
    figure.autofmt_xdate()
    return _png(figure)


def _matches_chart(view: _View) -> str | None:
    counts = {k: len(v) for k, v in view.matches_by_chat.items() if v}
    if not counts:
        return None
    keys = sorted(counts, key=lambda k: (counts[k], k))[-MAX_CHART_CHATS:]
    figure = Figure(figsize=(8, 0.35 * len(keys) + 1.2))
    axes = figure.subplots()
    axes.barh(
        [_short(view.chat_label(k)) for k in keys], [counts[k] for k in keys], color=PALETTE[1]
    )
    axes.set_xlabel("matches against known-material hash lists (pertinent, not suppressed)")
    axes.tick_params(axis="y", labelsize=8)
    return _png(figure)


def country_styles(counts: Counter[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) per country, the most frequent first getting the most distinct colours;
    unknown countries are grey. No two countries share both colour and marker."""
    styles: dict[str, tuple[str, str]] = {}
    known = sorted(
        (c for c in counts if c not in ("unknown", "unattributed")), key=lambda c: (-counts[c], c)
    )
    for index, country in enumerate(known):
        colour = COUNTRY_COLOURS[index % len(COUNTRY_COLOURS)]
        styles[country] = (colour, COUNTRY_MARKERS[index // len(COUNTRY_COLOURS) % 4])
    for country in counts:
        styles.setdefault(country, (UNKNOWN_COLOUR, "o"))
    return styles


def _network_chart(view: _View) -> str | None:
    chats, accounts = view.network_selection()
    if not chats:
        return None
    rank = {a["account"]: a["rank"] for a in view.key_actors}
    shown = {c["id"] for c in chats}
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(shown)
    for account in accounts:
        for chat in shown.intersection(account["chats"]):
            graph.add_edge(account["id"], chat)
    layout = _packed_layout(graph)
    counts = Counter(a["country"] or "unknown" for a in accounts)
    styles = country_styles(counts)
    figure = Figure(figsize=(12, 8))
    axes = figure.subplots()
    axes.set_axis_off()
    axes.set_aspect("equal")
    for a, b in graph.edges:
        axes.plot(*zip(layout[a], layout[b], strict=True), color="#c8c8c8", lw=0.4, zorder=1)
    for country in sorted(counts, key=lambda c: (c == "unknown", -counts[c], c)):
        members = [a for a in accounts if (a["country"] or "unknown") == country]
        colour, marker = styles[country]
        axes.scatter(
            [layout[a["id"]][0] for a in members],
            [layout[a["id"]][1] for a in members],
            s=[150 if a["id"] in rank else 18 for a in members],
            color=colour,
            marker=marker,
            edgecolors=["#000000" if a["id"] in rank else "#555555" for a in members],
            linewidths=[1.4 if a["id"] in rank else 0.3 for a in members],
            label=f"{country} ({len(members)})",
            zorder=2,
        )
    axes.scatter(
        [layout[c["id"]][0] for c in chats],
        [layout[c["id"]][1] for c in chats],
        marker="s",
        s=160,
        color="#222222",
        label="chat",
        zorder=3,
    )
    for chat in chats:
        x, y = layout[chat["id"]]
        axes.annotate(
            _short(chat["title"] or chat["id"], 24),
            (x, y),
            fontsize=8,
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#888888", "alpha": 0.85},
            zorder=4,
        )
    for account in accounts:  # the rank inside the node: short enough never to cover others
        if account["id"] in rank:
            x, y = layout[account["id"]]
            colour = styles[account["country"] or "unknown"][0]
            axes.text(
                x,
                y,
                str(rank[account["id"]]),
                fontsize=6.5 if rank[account["id"]] < 10 else 5.5,
                fontweight="bold",
                ha="center",
                va="center",
                color=_text_colour_on(colour),
                zorder=5,
            )
    axes.scatter(
        [], [], s=150, color="white", edgecolors="#000000", linewidths=1.4, label="key actor (rank)"
    )
    legend = axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title="likely country",
        title_fontsize=8,
        frameon=False,
    )
    for handle in legend.legend_handles[: len(counts)]:  # one size per country, key or not
        handle.set_sizes([36])  # type: ignore[union-attr]
    return _png(figure)


def _text_colour_on(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (#rrggbb)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"


def _packed_layout(graph: nx.Graph[str]) -> dict[str, tuple[float, float]]:
    """Each connected part laid out on its own, in a square whose side grows with the square
    root of its size, the squares packed in rows (largest first).

    One spring layout over everything pushes unconnected parts to the corners and crushes
    the rest into the middle.
    """
    parts = sorted(nx.connected_components(graph), key=lambda p: (-len(p), min(p)))
    sides = [len(part) ** 0.5 for part in parts]
    row_width = max(sides[0], 1.25 * sum(side * side for side in sides) ** 0.5)
    layout: dict[str, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for nodes, side in zip(parts, sides, strict=True):
        if x > 0 and x + side > row_width:
            x, y, row_height = 0.0, y - row_height, 0.0
        center = (x + side / 2, y - side / 2)
        sub = graph.subgraph(nodes)
        if len(nodes) == 1:
            placed = {next(iter(nodes)): center}
        elif len(nodes) <= KAMADA_KAWAI_UP_TO:
            placed = nx.kamada_kawai_layout(sub, center=center, scale=0.42 * side)
        else:
            placed = nx.spring_layout(sub, seed=7, center=center, scale=0.42 * side)
        layout.update({node: (float(px), float(py)) for node, (px, py) in placed.items()})
        x, row_height = x + side, max(row_height, side)
    return layout


def _lineage_chart(view: _View) -> str | None:
    roots = sorted(
        (k for k in view.children.get(None, []) if view.children.get(k)), key=view.chat_label
    )  # chats with no break-off relation are left out of the tree (the table lists them)
    if not roots:
        return None
    positions: dict[str, tuple[float, float]] = {}
    next_leaf = [0.0]

    def place(key: str, depth: int) -> float:
        kids = sorted(view.children.get(key, []), key=view.chat_label)
        if kids:
            x = sum(place(kid, depth + 1) for kid in kids) / len(kids)
        else:
            x, next_leaf[0] = next_leaf[0], next_leaf[0] + 1
        positions[key] = (x, -depth)
        return x

    for root in roots:
        place(root, 0)
    width = max(4.0, 1.8 * next_leaf[0])
    depth = max(1.0, -min(y for _, y in positions.values()) + 1)
    figure = Figure(figsize=(min(width, 18), 1.4 * depth + 1))
    axes = figure.subplots()
    axes.set_axis_off()
    for key, (x, y) in positions.items():
        parent = view.chats[key]["parent"]
        if parent in positions:
            px, py = positions[parent]
            confidence = view.chats[key]["parent_confidence"] or 0
            axes.annotate(
                "",
                (x, y + 0.12),
                (px, py - 0.12),
                arrowprops={"arrowstyle": "->", "color": PALETTE[0], "lw": 1 + 2 * confidence},
            )
        axes.text(
            x,
            y,
            _short(view.chat_label(key), 22),
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "fc": "#f3f6fa", "ec": PALETTE[6]},
        )
    axes.set_xlim(-0.8, next_leaf[0] - 0.2)
    axes.set_ylim(-depth + 0.5, 0.5)
    return _png(figure)


def cascade_panels(view: _View) -> list[tuple[str, list[dict[str, Any]]]]:
    """The cascades the figure draws: all of them, up to MAX_CASCADES (the widest first)."""
    return view.matched_clusters()[:MAX_CASCADES]


def _cascades_chart(view: _View, postings: list[tuple[str, str, str, datetime]]) -> str | None:
    """One panel per cascade (a media cluster seen in more than one chat): every posting as a
    dot on its chat's row, the first posting in each chat joined in order, the first poster
    named. Known material is titled in red."""
    clusters = cascade_panels(view)
    if not clusters:
        return None
    by_cluster: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for _, cluster, chat, at in postings:
        by_cluster[cluster].append((at, chat))
    columns = 3 if len(clusters) > 4 else 2
    rows = (len(clusters) + columns - 1) // columns
    figure = Figure(figsize=(4.2 * columns, 2.5 * rows))
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, (cluster, items) in enumerate(clusters):
        axes = grid[index // columns][index % columns]
        seen = sorted(by_cluster.get(cluster, []))
        chat_order = list(dict.fromkeys(chat for _, chat in seen))
        row = {chat: i for i, chat in enumerate(chat_order)}
        known = view.is_known_cluster(items)
        axes.scatter([at for at, _ in seen], [row[c] for _, c in seen], s=12, color=PALETTE[3])
        firsts = [next(at for at, c in seen if c == chat) for chat in chat_order]
        axes.plot(firsts, range(len(chat_order)), color=PALETTE[1], lw=1.2, marker="o")
        first = view.cluster_first_seen(items)
        if first and firsts:
            axes.annotate(
                _short(view.account_label(first["account"]), 26),
                (firsts[0], 0),
                xytext=(4, 6),
                textcoords="offset points",
                fontsize=6.5,
                color="#333333",
            )
        axes.set_yticks(
            range(len(chat_order)), [_short(view.chat_label(c), 18) for c in chat_order], fontsize=7
        )
        axes.set_ylim(-0.5, max(len(chat_order) - 0.5, 0.5))
        category = view.cluster_categories(items)
        title = f"{view.cascade_label(cluster).capitalize()}"
        title += f" · known material, {category}" if known else " · not on a list"
        axes.set_title(title, fontsize=8, color="#be0032" if known else "#1d232b")
        locator = AutoDateLocator(minticks=3, maxticks=5)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        axes.tick_params(axis="x", labelsize=7)
    for index in range(len(clusters), rows * columns):
        grid[index // columns][index % columns].set_axis_off()
    figure.tight_layout()
    return _png(figure)


def _countries_chart(view: _View) -> str | None:
    counts = view.countries()
    if not counts:
        return None
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    figure = Figure(figsize=(8, 3.2))
    axes = figure.subplots()
    axes.bar(
        keys, [counts[k] for k in keys], color=[PALETTE[i % len(PALETTE)] for i in range(len(keys))]
    )
    axes.set_ylabel("accounts")
    return _png(figure)
