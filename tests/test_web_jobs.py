"""Work from the browser: cases, resumable uploads with custody fields, jobs with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from casegraph.jobs import records
from casegraph.jobs.work import execute
from casegraph.store.cases import Home
from casegraph.store.schema import MessageRow, SourceRow
from jobs_fixtures import small_export
from web_fixtures import csrf_of, login, make_client, seed_users


@pytest.fixture
def analyst(home: Home) -> Any:
    seed_users(home)
    home.create_case("op", timezone="Europe/Madrid")
    client = make_client(home)
    login(client, "analyst")
    return client


def _token(client: Any, page: str = "/cases/op/jobs") -> str:
    return csrf_of(client.get(page).text)


def _begin(client: Any, data: bytes, name: str = "WhatsApp Chat with Test group.txt") -> str:
    token = _token(client)
    started = client.post(
        "/api/cases/op/uploads",
        data={
            "csrf_token": token,
            "kind": "export",
            "filename": name,
            "size": str(len(data)),
            "captured_by": "UC 4471",
            "device": "unit phone 2",
            "capture_method": "export",
            "captured_at": "2024-01-26T09:00+01:00",
        },
    )
    assert started.status_code == 200, started.text
    return str(started.json()["upload"])


def test_an_analyst_creates_a_case_from_the_cases_page(analyst: Any, home: Home) -> None:
    token = _token(analyst, "/cases")
    response = analyst.post(
        "/cases/new",
        data={"csrf_token": token, "name": "op-new", "timezone": "Europe/Rome", "agency": "IT"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/cases/op-new/jobs"
    assert home.open_case("op-new").timezone == "Europe/Rome"


@pytest.mark.parametrize("role", ["liaison", "reviewer", "auditor"])
def test_only_editors_create_cases_or_start_jobs(home: Home, role: str) -> None:
    seed_users(home)
    home.create_case("op")
    client = make_client(home)
    login(client, role)
    token = csrf_of(client.get("/me").text)
    assert client.post("/cases/new", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert client.post("/api/cases/op/jobs/match", data={"csrf_token": token}).status_code in (
        403,
        404,
    )
    assert not records.list_jobs(home)


def test_a_dropped_upload_resumes_from_the_servers_offset_and_is_ingested(
    analyst: Any, home: Home, tmp_path: Path
) -> None:
    data = small_export(tmp_path).read_bytes()
    upload = _begin(analyst, data)
    token = _token(analyst)
    headers = {"X-CSRF-Token": token}
    half = len(data) // 2
    assert (
        analyst.put(f"/api/uploads/{upload}?offset=0", content=data[:half], headers=headers).json()[
            "offset"
        ]
        == half
    )
    # the client lost the answer and sends the first chunk again: the server names its offset
    again = analyst.put(f"/api/uploads/{upload}?offset=0", content=data[:half], headers=headers)
    assert again.status_code == 409 and again.json()["offset"] == half
    assert analyst.get(f"/api/uploads/{upload}").json() == {"offset": half, "size": len(data)}
    analyst.put(f"/api/uploads/{upload}?offset={half}", content=data[half:], headers=headers)
    finished = analyst.post(f"/api/uploads/{upload}/finish", headers=headers).json()
    import hashlib

    assert finished["sha256"] == hashlib.sha256(data).hexdigest()
    assert execute(home, finished["job"]) == "done"
    with home.open_case("op").read() as session:
        source = session.scalars(select(SourceRow)).one()
        messages = session.scalar(select(func.count()).select_from(MessageRow))
    assert source.sha256 == finished["sha256"] and messages == 30
    assert (source.captured_by, source.capture_method) == ("UC 4471", "export")
    assert source.captured_at is not None and source.captured_at.hour == 8  # 09:00+01:00 in UTC
    assert not (home.root / "uploads" / upload).exists()  # staging gone once ingested
    page = analyst.get("/cases/op/jobs").text
    assert "ingest finished: 1 new source(s), 30 messages" in page and "analyst" in page


def test_an_incomplete_upload_is_not_ingested(analyst: Any, home: Home, tmp_path: Path) -> None:
    data = small_export(tmp_path).read_bytes()
    upload = _begin(analyst, data)
    headers = {"X-CSRF-Token": _token(analyst)}
    analyst.put(f"/api/uploads/{upload}?offset=0", content=data[:100], headers=headers)
    refused = analyst.post(f"/api/uploads/{upload}/finish", headers=headers)
    assert refused.status_code == 400 and "resume the upload" in refused.json()["detail"]
    assert not records.list_jobs(home)


def test_an_upload_is_out_of_reach_of_non_editors(analyst: Any, home: Home, tmp_path: Path) -> None:
    upload = _begin(analyst, small_export(tmp_path).read_bytes())
    other = make_client(home)
    login(other, "liaison")
    assert other.get(f"/api/uploads/{upload}").status_code == 403
    assert analyst.get("/api/uploads/" + "0" * 32).status_code == 404


def test_a_chunk_of_eight_mebibytes_passes_the_body_limit(analyst: Any, tmp_path: Path) -> None:
    size = 8 * 2**20
    upload = _begin(analyst, b"x" * (size + 10), name="big.zip")
    headers = {"X-CSRF-Token": _token(analyst)}
    response = analyst.put(f"/api/uploads/{upload}?offset=0", content=b"x" * size, headers=headers)
    assert response.status_code == 200 and response.json()["offset"] == size


def test_a_bad_export_fails_its_job_with_the_files_name(
    analyst: Any, home: Home, tmp_path: Path
) -> None:
    data = b"nothing like a chat\n"
    upload = _begin(analyst, data, name="WhatsApp Chat with Broken.txt")
    headers = {"X-CSRF-Token": _token(analyst)}
    analyst.put(f"/api/uploads/{upload}?offset=0", content=data, headers=headers)
    job_id = analyst.post(f"/api/uploads/{upload}/finish", headers=headers).json()["job"]
    assert execute(home, job_id) == "failed"
    status = analyst.get(f"/api/jobs/{job_id}").json()
    assert status["status"] == "failed" and "Broken.txt" in status["error"]
    with home.open_case("op").read() as session:
        assert session.scalar(select(func.count()).select_from(SourceRow)) == 0


def test_match_and_analyze_buttons_queue_jobs_the_page_lists(analyst: Any, home: Home) -> None:
    token = _token(analyst)
    for kind in ("match", "analyze"):
        response = analyst.post(f"/cases/op/jobs/{kind}", data={"csrf_token": token})
        assert response.status_code == 200  # followed to the jobs page
    kinds = sorted(job.kind for job in records.list_jobs(home, "op"))
    assert kinds == ["analyze", "match"]
    listed = analyst.get("/api/cases/op/jobs").json()
    assert listed["running"] is True and {j["user"] for j in listed["jobs"]} == {"analyst"}
    job_id = listed["jobs"][0]["id"]
    cancel = analyst.post(f"/api/cases/op/jobs/{job_id}/cancel", data={"csrf_token": token})
    assert cancel.json()["status"] == "cancelled"
