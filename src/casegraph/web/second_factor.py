"""Optional TOTP second factor (RFC 6238, pyotp): enrolment, login codes, recovery codes.

Enrolment keeps the new secret pending until the user proves their app has it with one code.
A code is accepted once (its time step is remembered), so a code seen over a shoulder cannot
be replayed. Recovery codes are random (80 bits), stored as SHA-256 and used once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from casegraph.errors import InputError
from casegraph.intake.ledger import installation_mutate
from casegraph.store.cases import Home
from casegraph.store.db import transaction, utcnow
from casegraph.store.schema import RecoveryCodeRow, UserRow

ISSUER = "casegraph"
RECOVERY_CODES = 10
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str  # otpauth:// for authenticator apps
    qr_svg: str  # the same URI as a QR code, an SVG data: URI


def _user_row(session: Session, username: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
    if row is None:
        raise InputError(f"no user {username!r}; see: casegraph user list")
    return row


def _recovery_hash(code: str) -> str:
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"casegraph-recovery|{canonical}".encode()).hexdigest()


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def begin_enrolment(home: Home, username: str) -> Enrolment:
    """A fresh pending secret for the user (replacing any earlier pending one)."""
    import segno

    secret = pyotp.random_base32()
    with transaction(home.installation_sessions()) as session:
        _user_row(session, username).totp_pending = secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri, segno.make(uri, error="m").svg_data_uri(scale=4))


def pending_enrolment(home: Home, username: str) -> Enrolment | None:
    with home.installation_sessions()() as session:
        secret = _user_row(session, username).totp_pending
    if secret is None:
        return None
    import segno

    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri, segno.make(uri, error="m").svg_data_uri(scale=4))


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if after is not None and step <= after:
            continue  # already used: no replay
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(home: Home, username: str, code: str, actor: str) -> list[str]:
    """Turn the pending secret on when `code` is right; returns the new recovery codes."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    with installation_mutate(home, actor, "user.second_factor.on", f"user:{username}") as session:
        row = _user_row(session, username)
        if row.totp_pending is None:
            raise InputError("no second factor is being set up; start again from your page")
        step = _matching_step(row.totp_pending, code, None)
        if step is None:
            raise InputError("that code is not right; check the clock of the phone and try again")
        row.totp_secret, row.totp_pending, row.totp_last_step = row.totp_pending, None, step
        session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == row.id))
        session.add_all(RecoveryCodeRow(user_id=row.id, code_hash=_recovery_hash(c)) for c in codes)
    return codes


def turn_off(home: Home, username: str, actor: str) -> None:
    """Remove the second factor and its recovery codes (the user's page or an admin's CLI)."""
    with installation_mutate(home, actor, "user.second_factor.off", f"user:{username}") as session:
        row = _user_row(session, username)
        row.totp_secret = row.totp_pending = row.totp_last_step = None
        session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == row.id))


def verify(home: Home, user_id: int, code: str) -> bool:
    """A current TOTP code not used before, or an unused recovery code (then used up).

    Each is claimed by a conditional UPDATE, so two workers cannot both accept one code."""
    with transaction(home.installation_sessions()) as session:
        row = session.get(UserRow, user_id)
        if row is None or row.totp_secret is None:
            return False
        step = _matching_step(row.totp_secret, code, row.totp_last_step)
        if step is not None:
            claimed = session.execute(
                update(UserRow)
                .where(
                    UserRow.id == user_id,
                    or_(UserRow.totp_last_step.is_(None), UserRow.totp_last_step < step),
                )
                .values(totp_last_step=step)
            )
        else:
            claimed = session.execute(
                update(RecoveryCodeRow)
                .where(
                    RecoveryCodeRow.user_id == user_id,
                    RecoveryCodeRow.code_hash == _recovery_hash(code),
                    RecoveryCodeRow.used_at.is_(None),
                )
                .values(used_at=utcnow())
            )
        return getattr(claimed, "rowcount", 0) == 1


def recovery_codes_left(home: Home, user_id: int) -> int:
    with home.installation_sessions()() as session:
        left = session.scalar(
            select(func.count()).where(
                RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None)
            )
        )
        return int(left or 0)
