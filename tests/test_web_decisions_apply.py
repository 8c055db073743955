"""A person decision made in the workspace takes effect without anyone running `analyze`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from casegraph.jobs import records
from casegraph.jobs.work import execute
from casegraph.store.cases import Home
from casegraph.store.schema import AccountRow
from web_fixtures import ES_PHONES, build_case, csrf_of, login, make_client, seed_users


def _person_of(home: Home, case: str, key: str) -> Any:
    with home.open_case(case).read() as session:
        return session.scalar(select(AccountRow.person_id).where(AccountRow.key == key))


def test_a_merge_queues_the_analysis_that_applies_it(home: Home) -> None:
    built = build_case(home)
    seed_users(home, "analyst")
    client = make_client(home)
    login(client, "analyst")
    one, two = built.accounts[ES_PHONES[1]], built.accounts[ES_PHONES[2]]
    assert _person_of(home, built.case, one) != _person_of(home, built.case, two)
    token = csrf_of(client.get(f"/cases/{built.case}/accounts/{one}").text)
    answer = client.post(
        f"/api/cases/{built.case}/persons/merge",
        data={"accounts": f"{one} {two}", "reason": "same subscriber record"},
        headers={"x-csrf-token": token},
    ).json()
    job = records.get_job(home, answer["job"])
    assert job is not None and (job.kind, job.user, job.status) == ("analyze", "analyst", "queued")
    assert execute(home, job.id) == "done"
    assert _person_of(home, built.case, one) == _person_of(home, built.case, two) is not None
