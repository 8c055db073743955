"""The installation secret that keys public ids (`model.account_key`, `model.chat_key`).

Created once per home as `installation.key` (mode 0600, 32 random bytes in hex). With
PostgreSQL it is also kept in the shared database (`installation_secrets`), which wins, so
every worker and every home pointing at that database computes the same ids.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casegraph.errors import CaseError
from casegraph.store.schema import InstallationSecretRow

SECRET_FILE = "installation.key"
ID_SECRET = "public-ids"
_cache: dict[tuple[str, str], bytes] = {}


def _parse(text: str, path: Path) -> bytes:
    try:
        value = bytes.fromhex(text.strip())
    except ValueError:
        value = b""
    if len(value) != 32:
        raise CaseError(
            f"{path} is not an installation secret (64 hex characters); restore it from "
            "backup: without it the public ids of this installation change"
        )
    return value


def _file_secret(root: Path, create: bytes | None) -> bytes | None:
    """The secret in the home's file; `create` writes it there first when there is none."""
    path = root / SECRET_FILE
    if path.is_file():
        return _parse(path.read_text(encoding="ascii"), path)
    if create is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the secret
        return _parse(path.read_text(encoding="ascii"), path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(create.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return create


def _database_secret(engine: Engine, proposal: bytes) -> bytes:
    """The secret stored in the database; `proposal` becomes it when none is stored yet."""
    wanted = select(InstallationSecretRow.value).where(InstallationSecretRow.name == ID_SECRET)
    with Session(engine) as session:
        found = session.scalar(wanted)
        if found is None:
            session.add(InstallationSecretRow(name=ID_SECRET, value=proposal.hex()))
            try:
                session.commit()
                return proposal
            except IntegrityError:  # a concurrent worker stored one first
                session.rollback()
                found = session.scalar(wanted)
        return _parse(str(found), Path("installation_secrets"))


def installation_secret(root: Path, engine: Engine | None = None) -> bytes:
    """The key of this installation's public ids; `engine` is the shared PostgreSQL database."""
    cache_key = (str(root.resolve()), str(engine.url) if engine is not None else "")
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    if engine is None:
        value = _file_secret(root, create=secrets.token_bytes(32))
        assert value is not None
    else:
        local = _file_secret(root, create=None)
        value = _database_secret(engine, local or secrets.token_bytes(32))
        if local is None:
            _file_secret(root, create=value)
        elif local != value:
            raise CaseError(
                f"{root / SECRET_FILE} differs from the secret in the database; remove the "
                "file so this home uses the database's (the ids of its cases follow it)"
            )
    _cache[cache_key] = value
    return value
