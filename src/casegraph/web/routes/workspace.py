"""Investigator pages; each one is mirrored as JSON under /api with the same access rules."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from casegraph.access.reader import Reader
from casegraph.exchange.investigations import UNATTRIBUTED
from casegraph.exchange.responses import partner_outcomes
from casegraph.web import (
    views_cascades,
    views_chats,
    views_investigations,
    views_lineage,
    views_network,
    views_overview,
    views_people,
)
from casegraph.web.access import CASE_READERS, Viewer
from casegraph.web.cache import cached_view
from casegraph.web.charts import bar_chart, cascade_svg, chat_activity_svg, day_columns
from casegraph.web.context import (
    case_session,
    open_case,
    render,
    require,
    visible_or_404,
    web,
)
from casegraph.web.params import Day, Page

router = APIRouter()
FRONTEND = Path(__file__).parents[1] / "frontend" / "node_modules"

CaseView = Callable[..., dict[str, Any]]
AccountSort = Literal["", "rank", "activity", "chats", "matched", "key_actor"]


def _page_data(request: Request, name: str, key: str, view: CaseView, *args: Any) -> dict[str, Any]:
    """One case view for this viewer: access checked, cached until the case changes."""
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        data = dict(cached_view(session, case, scope, key, view, *args))
    data["case"] = case.name
    return data


def _case_names(request: Request) -> list[str]:
    viewer = require(request, CASE_READERS)
    home = web(request).home
    return [n for n in home.case_names() if not viewer.scope(home.open_case(n)).empty]


@router.get("/dashboard", include_in_schema=False)
@router.get("/api/dashboard", tags=["operation"])
def dashboard(request: Request) -> Response:
    """Operation dashboard: investigations by country and status, arrests, suspects, minors."""
    viewer = require(request, CASE_READERS)
    home = web(request).home
    rows: list[dict[str, Any]] = []
    reported: list[dict[str, Any]] = []  # what partners sent back (responses.py)
    age_sum = age_n = 0
    for name in _case_names(request):
        case = home.open_case(name)
        scope = viewer.scope(case)
        with case_session(case) as session:
            reported += partner_outcomes(
                session, case, Reader(session, case, scope).partner_reports()
            )
            rows += cached_view(
                session, case, scope, "investigations", views_investigations.investigations
            )
            total, count = cached_view(
                session, case, scope, "age", views_investigations.average_age
            )
        age_sum, age_n = age_sum + total, age_n + count
    # accounts no country was found for wait for an analyst: a queue, not an investigation
    triage = [row for row in rows if row["country"] == UNATTRIBUTED]
    rows = [row for row in rows if row["country"] != UNATTRIBUTED]
    by_country: Counter[str] = Counter()  # accounts per country
    by_status: Counter[str] = Counter()
    for row in rows:
        by_country[row["country"]] += row["accounts"]
        by_status[row["status"]] += 1
    cases = _case_names(request)
    data: dict[str, Any] = {
        "cases": cases,
        "investigations": rows,
        "triage": [
            {"case": row["case"], "accounts": row["accounts"]} for row in triage if row["accounts"]
        ],
        "empty_reason": _empty_reason(viewer) if not cases else None,
        "totals": {
            "investigations": len(rows),
            "arrests": sum(r["arrests"] for r in rows),
            "suspects": sum(r["suspects"] for r in rows),
            "minors": sum(r["minors"] for r in rows),
            "average_age": round(age_sum / age_n, 1) if age_n else None,
        },
        "by_country": dict(by_country.most_common()),
        "by_status": dict(by_status.most_common()),
        "partner_outcomes": reported,
    }
    if not request.url.path.startswith("/api/"):
        data["charts"] = {
            "country": bar_chart(data["by_country"], "accounts per country"),
            "status": bar_chart(data["by_status"], "investigations per status"),
        }
    return render(request, "dashboard.html", data)


@router.get("/map", include_in_schema=False)
@router.get("/api/map", tags=["operation"])
def world_map(request: Request) -> Response:
    """Accounts and investigations per country on a world map (drawn offline in the browser
    with d3-geo and the world-atlas topology); the same figures the dashboard counts."""
    viewer = require(request, CASE_READERS)
    home = web(request).home
    countries: dict[str, dict[str, Any]] = {}
    for name in _case_names(request):
        case = home.open_case(name)
        scope = viewer.scope(case)
        with case_session(case) as session:
            rows = cached_view(
                session, case, scope, "investigations", views_investigations.investigations
            )
        for row in rows:
            if row["country"] == UNATTRIBUTED:
                continue
            entry = countries.setdefault(row["country"], {"accounts": 0, "investigations": []})
            entry["accounts"] += row["accounts"]
            entry["investigations"].append({"case": row["case"], "status": row["status"]})
    numeric = iso_numeric()
    data: dict[str, Any] = {
        "countries": countries,
        "numeric": {code: numeric[code] for code in countries if code in numeric},
        "empty_reason": None if countries else _empty_reason(viewer),
    }
    return render(request, "map.html", data)


def iso_numeric() -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> numeric (world-atlas names countries by number); {} without npm."""
    codes = FRONTEND / "i18n-iso-countries" / "codes.json"
    if not codes.is_file():
        return {}
    return {alpha2: number for alpha2, _, number, *_ in json.loads(codes.read_text())}


def _empty_reason(viewer: Viewer) -> str:
    """Why a workspace shows nothing, in the words the viewer can act on."""
    if viewer.role == "liaison":
        country = viewer.user.country or "your country"
        return (
            f"Nothing has been referred to {country} yet. A case appears here once an analyst "
            "of the coordinating agency refers an investigation to your country; "
            "until then there is nothing you may see."
        )
    return "No case yet: create one below or with `casegraph case create NAME`."


@router.get("/cases", include_in_schema=False)
@router.get("/api/cases", tags=["cases"])
def cases(request: Request) -> Response:
    viewer = require(request, CASE_READERS)
    names = _case_names(request)
    data: dict[str, Any] = {"cases": names}
    if not names and not request.url.path.startswith("/api/"):
        data["empty_reason"] = _empty_reason(viewer)
    return render(request, "cases.html", data)


@router.get("/cases/{name}", include_in_schema=False)
@router.get("/api/cases/{name}", tags=["cases"])
def case_overview(request: Request, name: str) -> Response:
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        data = cached_view(session, case, scope, "overview", views_overview.overview)
    return render(request, "case.html", data)


@router.get("/cases/{name}/chats", include_in_schema=False)
@router.get("/api/cases/{name}/chats", tags=["cases"])
def chats(request: Request, name: str) -> Response:
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session:
        chats = cached_view(session, case, scope, "chats", views_chats.chats)
        data = {"case": case.name, "chats": chats}
    return render(request, "chats.html", data)


@router.get("/cases/{name}/chats/{key}", include_in_schema=False)
@router.get("/api/cases/{name}/chats/{key}", tags=["cases"])
def chat_timeline(
    request: Request,
    name: str,
    key: str,
    q: str = "",
    author: str = "",
    kind: str = "",
    since: Day = "",
    until: Day = "",
    page: Page = 1,
) -> Response:
    """A chat's timeline: messages with full-text search and filters, and system events."""
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session, visible_or_404("chat"):
        data = views_chats.timeline(
            Reader(session, case, scope), key, q, author, kind, since, until, page
        )
    data["case"] = case.name
    if not request.url.path.startswith("/api/"):
        data["entries"] = interleaved(data["messages"], data["events"])
        data["timezone"] = case.timezone
        with case_session(case) as session:
            activity = cached_view(
                session, case, scope, "chat-activity", views_chats.chat_activity, key
            )
        data["activity"] = activity
        data["activity_chart"] = chat_activity_svg(activity["days"], activity["breakoffs"])
    return render(request, "timeline.html", data)


def interleaved(messages: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[Any]:
    """Messages in file order with each system event placed before the first message sent
    after it, and a day heading wherever the day changes (times are the case's)."""
    dated = [e for e in events if e.get("at")]
    pending = sorted(dated, key=lambda e: datetime.fromisoformat(e["at"]))
    out: list[dict[str, Any]] = []
    day = ""

    def add(kind: str, item: dict[str, Any]) -> None:
        nonlocal day
        at = item.get("at")
        if at and at[:10] != day:
            day = at[:10]
            out.append({"entry": "day", "day": readable_day(at)})
        out.append({**item, "entry": kind, "time": at[11:16] if at else ""})

    for message in messages:
        sent = datetime.fromisoformat(message["at"]) if message["at"] else None
        while pending and sent is not None and datetime.fromisoformat(pending[0]["at"]) <= sent:
            add("event", pending.pop(0))
        add("message", message)
    for event in [*pending, *(e for e in events if not e.get("at"))]:
        add("event", event)
    return out


def readable_day(at: str) -> str:
    """ "Friday 1 March 2024" for an ISO time, in the zone it is written in."""
    moment = datetime.fromisoformat(at)
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


@router.get("/cases/{name}/accounts", include_in_schema=False)
@router.get("/api/cases/{name}/accounts", tags=["cases"])
def accounts(
    request: Request, name: str, country: str = "", page: Page = 1, sort: AccountSort = ""
) -> Response:
    """Accounts, filtered by country; sorted by activity, chats, matched media or key-actor
    score (largest first) when asked."""
    data = _page_data(request, name, "accounts", views_people.accounts, country, page, sort)
    return render(request, "accounts.html", data)


@router.get("/cases/{name}/key-actors", include_in_schema=False)
@router.get("/api/cases/{name}/key-actors", tags=["cases"])
def key_actors(request: Request, name: str, sort: AccountSort = "") -> Response:
    """The accounts analysis ranked as key actors, each reason a sentence; sortable."""
    data = _page_data(request, name, "key-actors", views_people.key_actors, sort or "rank")
    return render(request, "key_actors.html", data)


@router.get("/cases/{name}/accounts/{key}", include_in_schema=False)
@router.get("/api/cases/{name}/accounts/{key}", tags=["cases"])
def account(request: Request, name: str, key: str) -> Response:
    viewer = require(request, CASE_READERS)
    case, scope = open_case(request, name, viewer)
    with case_session(case) as session, visible_or_404("account"):
        data = cached_view(session, case, scope, "account", views_people.account, key)
    page: dict[str, Any] = {"case": case.name, "account": data, "timezone": case.timezone}
    if not request.url.path.startswith("/api/"):
        days = [(d["day"], d["messages"]) for d in data["activity"]]
        page["activity_chart"] = day_columns(days, "messages per day")
    return render(request, "account.html", page)


@router.get("/cases/{name}/graph", include_in_schema=False)
@router.get("/api/cases/{name}/graph", tags=["cases"])
def graph(
    request: Request, name: str, chat: str = "", country: str = "", role: str = ""
) -> Response:
    data = _page_data(request, name, "graph", views_network.graph, chat, country, role)
    if not request.url.path.startswith("/api/"):
        from casegraph.web.charts import network_svg

        data["svg"] = network_svg(data["nodes"], data["edges"])
    return render(request, "graph.html", data)


@router.get("/cases/{name}/lineage", include_in_schema=False)
@router.get("/api/cases/{name}/lineage", tags=["cases"])
def lineage(request: Request, name: str) -> Response:
    return render(
        request, "lineage.html", _page_data(request, name, "lineage", views_lineage.lineage)
    )


@router.get("/cases/{name}/cascades", include_in_schema=False)
@router.get("/api/cases/{name}/cascades", tags=["cases"])
def cascades(request: Request, name: str) -> Response:
    data = _page_data(request, name, "cascades", views_cascades.cascades)
    if not request.url.path.startswith("/api/"):
        for number, cascade in enumerate(data["cascades"], start=1):
            cascade["number"] = number
            cascade["picture"] = cascade_svg(cascade["postings"], f"cascade {number}")
    return render(request, "cascades.html", data)
