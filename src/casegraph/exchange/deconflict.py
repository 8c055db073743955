"""Deconfliction by private set intersection (OpenMined PSI, ECDH over P-256): no shared key.

Two signed files make one exchange:

1. `request` (requester): its identifiers, each hashed to the curve and raised to a fresh
   secret exponent only the requester knows; the exponent and the plain identifiers stay in
   the requester's home, sealed under its key passphrase.
2. `answer` (answering agency): the request's points raised to a fresh exponent of its own,
   and its own identifiers under that exponent (a Golomb-compressed set). The requester
   removes its exponent and learns which of *its* identifiers the other agency holds.

Nothing either side keeps or sends lets anyone test a guessed number offline: that needs the
other side's exponent, so every guess has to go through a signed request, which the
answering agency counts against a daily allowance per partner key and audits. The answering
agency learns who asked and how many identifiers, never which ones or what matched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import private_set_intersection.python as psi
from google.protobuf.message import DecodeError
from sqlalchemy import select

from casegraph.errors import CaseError, InputError
from casegraph.exchange.keys import (
    Identity,
    check_usable,
    keys_dir,
    load_identity,
    load_public,
    own_identity_names,
)
from casegraph.exchange.overlaps import (
    DeconflictResult,
    case_identifiers,
    flag_accounts,
    other_cases,
)
from casegraph.exchange.sealed import passphrase_or_env, seal, unseal, write_private
from casegraph.exchange.signed import sign_document, verify_document
from casegraph.store.cases import Home
from casegraph.store.db import utcnow
from casegraph.store.schema import AuditRow

REQUEST_FORMAT = "casegraph-deconfliction-request/1"
ANSWER_FORMAT = "casegraph-deconfliction-answer/1"
REQUEST_PURPOSE = "casegraph-deconfliction-request-v1"
ANSWER_PURPOSE = "casegraph-deconfliction-answer-v1"
PROTOCOL = "openmined-psi-2 ecdh-p256 gcs"
FALSE_POSITIVE_RATE = 1e-9  # for the whole request, not per identifier
DAILY_LIMIT = 20_000  # identifiers one partner key may have answered per 24 h, per case


@dataclass(frozen=True)
class Answered:
    path: Path
    requester: str
    identifiers: int
    held: int


def _first_line(exc: Exception) -> str:
    """The library's own reason, kept to one line (OpenSSL appends its error stack)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any, path: Path, field: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError as exc:
        raise InputError(f"{path}: field {field!r} is not base64; ask for a resend") from exc


def _read(path: Path, wanted: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}; check the path") from exc
    if not isinstance(document, dict) or document.get("format") != wanted:
        raise InputError(
            f"{path} is not a casegraph deconfliction file ({wanted}); ask the partner for the "
            "file `casegraph deconflict-export` (request) or `casegraph deconflict` (answer) wrote"
        )
    return document


def file_format(path: Path) -> str:
    """REQUEST_FORMAT or ANSWER_FORMAT; anything else is a one-line InputError."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        kind = document.get("format") if isinstance(document, dict) else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}; check the path") from exc
    if kind not in (REQUEST_FORMAT, ANSWER_FORMAT):
        raise InputError(
            f"{path} is not a casegraph deconfliction request or answer; ask the partner for "
            "the file `casegraph deconflict-export` wrote"
        )
    return str(kind)


def _state_path(home: Home, request_id: str) -> Path:
    return keys_dir(home.root) / "deconfliction" / f"{request_id}.json"


def _own_identity(home: Home, identity: str | None, passphrase: str | None) -> Identity:
    names = [identity] if identity else own_identity_names(home.root)
    if len(names) != 1:
        raise CaseError(
            f"{len(names)} own keys in {keys_dir(home.root) / 'own'}; "
            + ("create one with `casegraph keys generate NAME`" if not names else "pass --identity")
        )
    own = load_identity(home.root, names[0], passphrase)
    check_usable(home.root, own.public, "own")
    return own


# ---- requester ------------------------------------------------------------------------------


def export_request(
    home: Home,
    case_name: str,
    out: Path,
    operation: str = "",
    recipient: str | None = None,
    identity: str | None = None,
    actor: str = "cli",
    passphrase: str | None = None,
) -> int:
    """Write a signed request for the case's identifiers; returns how many. Audited."""
    case = home.open_case(case_name)
    own = _own_identity(home, identity, passphrase)
    addressee = load_public(home.root, recipient) if recipient else None
    if addressee is not None:
        check_usable(home.root, addressee, "recipient")
    items = case_identifiers(case)
    values = sorted(items)
    client = psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(values).SerializeToString()
    request_id = uuid.uuid4().hex
    document = sign_document(
        {
            "format": REQUEST_FORMAT,
            "protocol": PROTOCOL,
            "request_id": request_id,
            "operation": operation,
            "created_at": utcnow().isoformat(),
            "recipient": addressee.fingerprint if addressee else None,
            "identifiers": len(values),
            "request": _b64(request),
        },
        own,
        REQUEST_PURPOSE,
    )
    state = {
        "case": case_name,
        "client_key": _b64(client.GetPrivateKeyBytes()),
        "request_sha256": hashlib.sha256(request).hexdigest(),
        "items": [{"value": v, **items[v]} for v in values],
    }
    sealed = seal(state, passphrase_or_env(passphrase))
    details = {"request_id": request_id, "identifiers": len(values), "operation": operation}
    with case.mutate(actor, "deconflict.request", f"file:{out.name}", "", details):
        write_private(_state_path(home, request_id), {"request_id": request_id, **sealed})
        out.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return len(values)


def read_answer(
    home: Home,
    case_name: str,
    answer_path: Path,
    actor: str = "cli",
    passphrase: str | None = None,
) -> DeconflictResult:
    """Which of the case's targets and media the answering agency holds. Audited, flagged."""
    case = home.open_case(case_name)
    document = _read(answer_path, ANSWER_FORMAT)
    partner = verify_document(document, home.root, ANSWER_PURPOSE, answer_path)
    request_id = str(document.get("request_id", ""))
    state_path = _state_path(home, request_id)
    if not request_id.isalnum() or not state_path.is_file():
        raise InputError(
            f"{answer_path} answers request {request_id!r}, which this installation did not "
            "make; read it where `casegraph deconflict-export` wrote the request"
        )
    state = unseal(json.loads(state_path.read_text()), passphrase_or_env(passphrase), state_path)
    if state["case"] != case_name or document.get("request_sha256") != state["request_sha256"]:
        raise InputError(
            f"{answer_path} does not answer the request case {case_name!r} sent "
            f"(it was made for case {state['case']!r}); check the case and the file"
        )
    setup, response = psi.ServerSetup(), psi.Response()
    client = psi.client.CreateFromKey(_unb64(state["client_key"], state_path, "client_key"), True)
    try:
        setup.ParseFromString(_unb64(document.get("setup"), answer_path, "setup"))
        response.ParseFromString(_unb64(document.get("response"), answer_path, "response"))
        found = [state["items"][i] for i in client.GetIntersection(setup, response)]
    except (DecodeError, RuntimeError, IndexError) as exc:
        why = _first_line(exc)
        raise InputError(f"{answer_path}: the answer does not fit the request ({why})") from exc
    accounts = sorted(
        (a for item in found for a in item.get("accounts", [])), key=lambda a: a["key"]
    )
    media = sorted({item["sha256"] for item in found if "sha256" in item})
    operation = str(document.get("operation", ""))
    result = DeconflictResult(
        partner=partner.agency or partner.name,
        operation=operation,
        known_accounts=accounts,
        known_media=media,
        in_other_cases=other_cases(home, case),
    )
    details = {
        "partner": result.partner,
        "partner_key": partner.fingerprint,
        "request_id": request_id,
        "known_accounts": len(accounts),
        "known_media": len(media),
        "in_other_cases": len(result.in_other_cases),
    }
    with case.mutate(actor, "deconflict.check", f"file:{answer_path.name}", "", details) as s:
        flag_accounts(s, case, result, partner.fingerprint)
    return result


# ---- answering agency -----------------------------------------------------------------------


def answered_today(home: Home, case_name: str, requester: str) -> int:
    """Identifiers answered to one partner key in the last 24 hours (from the audit log)."""
    case = home.open_case(case_name)
    since = utcnow() - timedelta(days=1)
    with case.read() as session:
        rows = session.scalars(
            select(AuditRow).where(
                AuditRow.case_id == case.id,
                AuditRow.action == "deconflict.answer",
                AuditRow.at >= since,
            )
        )
        return sum(
            int(row.details.get("identifiers", 0))
            for row in rows
            if row.details.get("requester") == requester
        )


def answer_request(
    home: Home,
    case_name: str,
    request_path: Path,
    out: Path,
    identity: str | None = None,
    daily_limit: int = DAILY_LIMIT,
    actor: str = "cli",
    passphrase: str | None = None,
) -> Answered:
    """Answer a partner's signed request from the case's identifiers. Audited, rate-limited."""
    case = home.open_case(case_name)
    document = _read(request_path, REQUEST_FORMAT)
    requester = verify_document(document, home.root, REQUEST_PURPOSE, request_path)
    own = _own_identity(home, identity, passphrase)
    if document.get("recipient") not in (None, own.public.fingerprint):
        raise InputError(
            f"{request_path} is addressed to key {document.get('recipient')}, not to yours "
            f"({own.public.fingerprint}); it was meant for another agency"
        )
    request_bytes = _unb64(document.get("request"), request_path, "request")
    request = psi.Request()
    try:
        request.ParseFromString(request_bytes)
    except DecodeError as exc:
        raise InputError(
            f"{request_path}: the request is damaged ({_first_line(exc)}); ask for a resend"
        ) from exc
    count = len(request.encrypted_elements)
    already = answered_today(home, case_name, requester.fingerprint)
    who = requester.agency or requester.name
    if already + count > daily_limit:
        details = {"requester": requester.fingerprint, "agency": who, "identifiers": count}
        with case.mutate(actor, "deconflict.refused", f"file:{request_path.name}", "", details):
            pass  # the refusal itself is on record
        raise CaseError(
            f"{request_path}: {who} asks about {count} identifier(s) after {already} in the last "
            f"24 h; the allowance is {daily_limit} a day. Check with them why, then answer with "
            "--limit N if it is justified (the decision is audited)"
        )
    values = sorted(case_identifiers(case))
    server = psi.server.CreateWithNewKey(True)  # a fresh exponent for every answer
    setup = server.CreateSetupMessage(FALSE_POSITIVE_RATE, count, values, psi.DataStructure.GCS)
    try:
        response = server.ProcessRequest(request)
    except RuntimeError as exc:  # a point that is not on the curve
        raise InputError(
            f"{request_path}: the request is damaged ({_first_line(exc)}); ask for a resend"
        ) from exc
    answer = sign_document(
        {
            "format": ANSWER_FORMAT,
            "protocol": PROTOCOL,
            "request_id": str(document.get("request_id", "")),
            "request_sha256": hashlib.sha256(request_bytes).hexdigest(),
            "operation": str(document.get("operation", "")),
            "created_at": utcnow().isoformat(),
            "recipient": requester.party(),
            "setup": _b64(setup.SerializeToString()),
            "response": _b64(response.SerializeToString()),
        },
        own,
        ANSWER_PURPOSE,
    )
    details = {
        "requester": requester.fingerprint,
        "agency": who,
        "request_id": str(document.get("request_id", "")),
        "identifiers": count,
        "held": len(values),
        "daily_limit": daily_limit,
    }
    with case.mutate(actor, "deconflict.answer", f"file:{request_path.name}", "", details):
        out.write_text(json.dumps(answer, indent=1), encoding="utf-8")
    return Answered(out, who, count, len(values))
