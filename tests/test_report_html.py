"""The HTML report: self-contained, every section present, hashes shown and media never."""

from __future__ import annotations

import re
from typing import Any

import pytest

from casegraph.report.html import SECTIONS, render_html
from casegraph.store.cases import Case, Home
from test_analysis_builder import build_operation


@pytest.fixture
def built_case(home: Home) -> Case:
    case = home.create_case("op-html", timezone="Europe/Madrid")
    build_operation(case)
    return case


def test_report_has_every_section(built_case: Case) -> None:
    page = render_html(built_case)
    for section_id, title in SECTIONS:
        assert f'<section id="{section_id}">' in page
        assert title in page


def test_report_fetches_nothing_from_the_network(built_case: Case) -> None:
    page = render_html(built_case)
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']https?:""", page)
    assert "<link" not in page.lower()


def test_charts_are_inline_pngs(built_case: Case) -> None:
    page = render_html(built_case)
    images = re.findall(r'<img class="chart"[^>]*src="([^"]+)"', page)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


def test_custody_hashes_and_media_hashes_are_listed(built_case: Case) -> None:
    page = render_html(built_case)
    assert "a" * 64 in page and "b" * 32 in page and "c" * 40 in page
    assert "1" * 64 in page


def test_chat_titles_are_escaped(built_case: Case) -> None:
    page = render_html(built_case)
    assert "Nube 2 &lt;b&gt;bis&lt;/b&gt;" in page
    assert "<b>bis</b>" not in page


def test_matches_are_listed_per_chat_with_their_category(built_case: Case) -> None:
    page = render_html(built_case)
    matches = page.split('<section id="matches">')[1].split("</section>")[0]
    assert matches.count("<td>known</td>") == 3  # the matched sticker was posted in three chats
    assert "<td>category 1</td>" in matches


def test_an_empty_case_still_renders(home: Home) -> None:
    page = render_html(home.create_case("op-empty"))
    assert "no evidence ingested" in page
    assert "has not been analysed yet" in page


def test_analysed_case_shows_lineage_key_actors_and_cascades(built_case: Case) -> None:
    from casegraph.analysis.run import analyze_case

    analyze_case(built_case)
    page = render_html(built_case)
    section = {
        sid: page.split(f'<section id="{sid}">')[1].split("</section>")[0] for sid, _ in SECTIONS
    }
    assert 'alt="lineage tree"' in section["lineage"] and "invite link" in section["lineage"]
    assert "first posted matched media" in section["key-actors"]
    assert 'alt="media cascades across chats"' in section["cascades"]
    assert "Club Nube → Faro Norte → Nube 2" in section["cascades"]
    assert "https://chat.whatsapp.com/AbCdEfGhIjK1234567890" in section["entities"]


def _large_report(chats: int) -> dict[str, Any]:
    """A report dict with many chats: chat 0 is a parent, chat 1 its break-off."""
    return {
        "chats": [
            {
                "id": f"chat-{n:03d}",
                "title": f"Grupo {n:03d}",
                "parent": "chat-000" if n == 1 else None,
                "members": [f"acct-{n:03d}-{m}" for m in range(n % 7 + 2)],
                "messages": n,
            }
            for n in range(chats)
        ],
        "accounts": [],
        "media": [],
        "matches": [],
        "key_actors": [],
    }


def test_charts_keep_lineage_chats_and_then_the_busiest_within_their_room() -> None:
    from collections import Counter
    from datetime import date

    from casegraph.report.html import MAX_CHART_CHATS, _View

    report = _large_report(120)
    view = _View(report, [], [])
    activity = {c["id"]: Counter({date(2024, 1, 1): c["messages"] + 1}) for c in report["chats"]}
    charted = view.charted_chats(activity)
    assert len(charted) == MAX_CHART_CHATS
    assert set(charted[:2]) == {"chat-000", "chat-001"}  # parent and break-off, though quiet
    assert charted[2] == "chat-119"  # then the busiest
    chats, _ = view.network_selection()
    assert {c["id"] for c in chats[:2]} == {"chat-000", "chat-001"}


@pytest.fixture
def analysed_page(built_case: Case) -> dict[str, str]:
    from casegraph.analysis.run import analyze_case

    analyze_case(built_case)
    page = render_html(built_case)
    return {
        sid: page.split(f'<section id="{sid}">')[1].split("</section>")[0] for sid, _ in SECTIONS
    }


def test_persons_are_shown_by_name_not_by_id(analysed_page: dict[str, str]) -> None:
    persons = analysed_page["persons"]
    assert "Ana Nube" in persons and "Teo Faro" in persons
    assert ">person-" not in persons  # ids only in title attributes, for cross-reference
    assert ">person-" not in analysed_page["key-actors"]


def test_country_reasons_and_languages_read_as_words(analysed_page: dict[str, str]) -> None:
    accounts = analysed_page["accounts"]
    assert "phone number +393123450104 is an IT number" in accounts
    assert "is a IT" not in accounts and "is a ES" not in accounts
    assert "<td>Italian</td>" in accounts and "<td>it</td>" not in accounts
    assert "<td>WhatsApp</td>" in accounts and "<td>whatsapp</td>" not in accounts
    assert "<td>WhatsApp</td>" in analysed_page["chats"]


def test_key_actor_reasons_name_cascades_and_readable_times(analysed_page: dict[str, str]) -> None:
    reasons = analysed_page["key-actors"]
    assert 'href="#cascade-1">cascade 1</a>' in reasons
    assert "cluster-" not in reasons
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", reasons)
    assert "(s)" not in reasons  # "1 chat", "2 chats", never "chat(s)"
    assert 'id="cascade-1"' in analysed_page["cascades"]


def test_network_caption_names_the_ranked_key_actors(analysed_page: dict[str, str]) -> None:
    network = analysed_page["network"]
    assert "Key actors in the figure: <b>1</b>" in network


def test_one_match_count_on_the_summary_card(analysed_page: dict[str, str]) -> None:
    summary = analysed_page["summary"]
    assert "<b>1</b>media files matched known material" in summary  # one sticker file
    assert "matches against known material" not in summary


def test_country_styles_never_repeat_and_keep_grey_for_unknown() -> None:
    from collections import Counter

    from casegraph.report.html import UNKNOWN_COLOUR, country_styles

    counts = Counter({f"C{i:02d}": 100 - i for i in range(40)} | {"unknown": 5})
    styles = country_styles(counts)
    known = [styles[c] for c in counts if c != "unknown"]
    assert len(set(known)) == len(known)
    assert styles["unknown"][0] == UNKNOWN_COLOUR
    assert all(colour != UNKNOWN_COLOUR for colour, _ in known)


def test_every_cascade_is_drawn(home: Home) -> None:
    from datetime import UTC, datetime

    from casegraph.report.html import _cascades_chart, _View, cascade_panels

    chats = [
        {"id": f"chat-{i}", "title": f"Group {i}", "parent": None, "messages": 2} for i in range(3)
    ]
    media = [
        {
            "sha256": f"{n:064x}",
            "cluster": f"cluster-{n:016x}",
            "chats": ["chat-0", "chat-1"],
            "first_seen": None,
        }
        for n in range(12)
    ]
    report: dict[str, Any] = {
        "chats": chats,
        "accounts": [],
        "media": media,
        "matches": [],
        "key_actors": [],
        "persons": [],
    }
    postings = [
        (m["sha256"], m["cluster"], chat, datetime(2024, 1, day + 1, tzinfo=UTC))
        for m in media
        for day, chat in enumerate(m["chats"])
    ]
    view = _View(report, [], postings)
    assert len(cascade_panels(view)) == 12
    assert _cascades_chart(view, postings) is not None
