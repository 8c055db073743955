"""`casegraph report CASE --scope CC`: the liaison officer's view from the CLI."""

from __future__ import annotations

import json
from typing import Any

from casegraph.store.cases import Home
from web_fixtures import CHILD_TITLE, ES_PHONES, MX_PHONES, build_case


def test_a_scoped_json_report_holds_only_the_referred_countrys_view(
    home: Home, run_cli: Any
) -> None:
    built = build_case(home)
    code, out, _ = run_cli("report", built.case, "--format", "json", "--scope", "es")
    assert code == 0
    report = json.loads(out)
    assert report["scope"] == {"countries": ["ES"]}
    assert {a["identifier"] for a in report["accounts"]} == set(ES_PHONES)
    assert [i["country"] for i in report["investigations"]] == ["ES"]
    child = next(c for c in report["chats"] if c["title"] == CHILD_TITLE)
    assert child["members"] == [built.accounts[ES_PHONES[0]]]
    assert child["members_outside_scope"] == "2 members outside your scope"
    assert not any(phone in out for phone in MX_PHONES)
    assert not any(built.accounts[phone] in out for phone in MX_PHONES)


def test_a_country_with_nothing_referred_is_refused_not_blank(home: Home, run_cli: Any) -> None:
    built = build_case(home)  # the MX investigation is only proposed
    code, out, err = run_cli("report", built.case, "--scope", "MX")
    assert code == 2 and out == ""
    assert "has no referred investigation for MX" in err


def test_a_scope_that_is_not_a_country_is_refused(home: Home, run_cli: Any) -> None:
    built = build_case(home)
    code, _, err = run_cli("report", built.case, "--scope", "Spain")
    assert code == 2
    assert "use a two-letter code" in err
