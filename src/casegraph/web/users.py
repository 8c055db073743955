"""Installation users: argon2 password hashes, five roles, a country for liaison officers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from casegraph.errors import InputError
from casegraph.intake.ledger import installation_mutate
from casegraph.store.cases import Home
from casegraph.store.db import utcnow
from casegraph.store.schema import UserRow
from casegraph.web.passwords import check_password
from casegraph.web.sessions import session_store

ROLES = ("admin", "analyst", "reviewer", "liaison", "auditor")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
# Verifying against this keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("casegraph-no-such-user")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: str
    country: str | None
    disabled: bool
    second_factor: bool = False


def _user(row: UserRow) -> User:
    return User(
        row.id, row.username, row.role, row.country, row.disabled, row.totp_secret is not None
    )


def add_user(
    home: Home,
    username: str,
    password: str,
    role: str,
    country: str | None = None,
    actor: str = "cli",
) -> User:
    """Create a user; a liaison officer must have the ISO country whose data they may see."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InputError(
            f"username {username!r} is not allowed: 2-64 lowercase letters, digits, '.', '_', '-'"
        )
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    check_password(password, username)
    country = country.strip().upper() if country else None
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise InputError(f"country {country!r} is not an ISO 3166-1 alpha-2 code such as ES")
    if role == "liaison" and country is None:
        raise InputError("a liaison user needs --country: the country whose referrals they see")
    with installation_mutate(
        home, actor, "user.add", f"user:{username}", details={"role": role, "country": country}
    ) as session:
        if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
            raise InputError(f"user {username!r} already exists; pick another name")
        row = UserRow(
            username=username,
            password_hash=_hasher.hash(password),
            role=role,
            country=country,
            disabled=False,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        user = _user(row)
    return user


def list_users(home: Home) -> list[User]:
    with home.installation_sessions()() as session:
        return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.username))]


def disable_user(home: Home, username: str, actor: str = "cli") -> User:
    with installation_mutate(home, actor, "user.disable", f"user:{username}") as session:
        row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
        if row is None:
            raise InputError(f"no user {username!r}; see: casegraph user list")
        row.disabled = True
        user = _user(row)
    session_store(home).end_user(user.id)
    return user


def change_password(
    home: Home,
    username: str,
    new_password: str,
    actor: str = "cli",
    keep_session: str | None = None,
) -> User:
    """Set a new password (checked against the policy); every session of the user ends but
    `keep_session` (the browser that changed it; the page checks the current password)."""
    username = username.strip().lower()
    check_password(new_password, username)
    with installation_mutate(home, actor, "user.passwd", f"user:{username}") as session:
        row = session.scalars(select(UserRow).where(UserRow.username == username)).first()
        if row is None:
            raise InputError(f"no user {username!r}; see: casegraph user list")
        row.password_hash = _hasher.hash(new_password)
        user = _user(row)
    session_store(home).end_user(user.id, keep=keep_session)
    return user


def get_user(home: Home, user_id: int) -> User | None:
    with home.installation_sessions()() as session:
        row = session.get(UserRow, user_id)
        return _user(row) if row is not None else None


def authenticate(home: Home, username: str, password: str) -> User | None:
    """The user when the password is right and the account enabled, else None."""
    with home.installation_sessions()() as session:
        row = session.scalars(
            select(UserRow).where(UserRow.username == username.strip().lower())
        ).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        return _user(row)
