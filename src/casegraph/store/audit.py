"""Append-only, hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting, inserting or reordering rows breaks the chain. The newest (seq, hash) is also
anchored in a file beside the database, which catches removal of the last entries.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casegraph.store.schema import AuditAnchorRow, AuditRow

GENESIS = "0" * 64


def _iso(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    reason: str,
    details: dict[str, Any],
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "action": action,
            "target": target,
            "reason": reason,
            "details": details,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str


class AuditLog:
    def __init__(self, case_id: int, anchor: Path) -> None:
        self.case_id = case_id
        self.anchor = anchor

    def append(
        self,
        session: Session,
        actor: str,
        action: str,
        target: str,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> AuditRow:
        """Add an entry inside the caller's transaction (it commits or vanishes with the action)."""
        details = details or {}
        last = session.execute(
            select(AuditRow.seq, AuditRow.entry_hash)
            .where(AuditRow.case_id == self.case_id)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = datetime.now(UTC)
        row = AuditRow(
            case_id=self.case_id,
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            reason=reason,
            details=details,
            prev_hash=prev,
            entry_hash=entry_hash(prev, seq, at, actor, action, target, reason, details),
        )
        session.add(row)
        session.flush()
        return row

    def write_anchor(self, session: Session) -> None:
        """Record the chain head outside the database; called after the transaction commits."""
        last = session.execute(
            select(AuditRow.seq, AuditRow.entry_hash)
            .where(AuditRow.case_id == self.case_id)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
        if last is None:
            return
        tmp = self.anchor.with_suffix(".tmp")
        tmp.write_text(f"{last[0]} {last[1]}\n")
        os.replace(tmp, self.anchor)
        if session.get_bind().dialect.name == "postgresql":
            self._write_database_anchor(session, int(last[0]), str(last[1]))

    def _write_database_anchor(self, session: Session, seq: int, head: str) -> None:
        """Every machine sharing the database sees the head; it only ever moves forward."""
        from sqlalchemy.dialects.postgresql import insert

        upsert = insert(AuditAnchorRow).values(case_id=self.case_id, seq=seq, entry_hash=head)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[AuditAnchorRow.case_id],
                set_={"seq": upsert.excluded.seq, "entry_hash": upsert.excluded.entry_hash},
                where=AuditAnchorRow.seq < upsert.excluded.seq,
            )
        )
        session.commit()

    def entries(self, session: Session, limit: int | None = None) -> list[AuditRow]:
        query = select(AuditRow).where(AuditRow.case_id == self.case_id).order_by(AuditRow.id)
        if limit is not None:
            query = (
                select(AuditRow)
                .where(AuditRow.case_id == self.case_id)
                .order_by(AuditRow.id.desc())
                .limit(limit)
            )
            return list(reversed(session.scalars(query).all()))
        return list(session.scalars(query).all())

    def count(self, session: Session) -> int:
        return int(
            session.scalar(select(func.count()).where(AuditRow.case_id == self.case_id)) or 0
        )

    def verify(self, session: Session) -> list[AuditProblem]:
        """Walk the chain in insertion order; every break is reported with its sequence number."""
        problems: list[AuditProblem] = []
        prev = GENESIS
        expected_seq = 1
        hashes: dict[int, str] = {}
        for row in self.entries(session):
            hashes[row.seq] = row.entry_hash
            if row.seq != expected_seq:
                problems.append(
                    AuditProblem(row.seq, f"sequence jumps from {expected_seq - 1} to {row.seq}")
                )
            if row.prev_hash != prev:
                problems.append(
                    AuditProblem(row.seq, "does not follow the previous entry (chain broken)")
                )
            recomputed = entry_hash(
                row.prev_hash,
                row.seq,
                row.at,
                row.actor,
                row.action,
                row.target,
                row.reason,
                row.details or {},
            )
            if recomputed != row.entry_hash:
                problems.append(AuditProblem(row.seq, "content was altered after it was written"))
            prev = row.entry_hash
            expected_seq = row.seq + 1
        problems.extend(self._check_anchor(expected_seq - 1, hashes))
        problems.extend(self._check_database_anchor(session, expected_seq - 1, hashes))
        return problems

    def _check_database_anchor(
        self, session: Session, last_seq: int, hashes: dict[int, str]
    ) -> list[AuditProblem]:
        if session.get_bind().dialect.name != "postgresql":
            return []
        anchored = session.execute(
            select(AuditAnchorRow.seq, AuditAnchorRow.entry_hash).where(
                AuditAnchorRow.case_id == self.case_id
            )
        ).first()
        if anchored is None:
            return []  # written by a release before the database anchor existed
        seq, head = int(anchored[0]), str(anchored[1])
        if seq > last_seq:
            return [
                AuditProblem(
                    last_seq,
                    f"entries {last_seq + 1}..{seq} were removed from the end "
                    "(the database anchor, shared by every machine, names them)",
                )
            ]
        if hashes.get(seq) != head:
            return [AuditProblem(seq, "entry differs from the database's anchored chain head")]
        return []

    def _check_anchor(self, last_seq: int, hashes: dict[int, str]) -> list[AuditProblem]:
        if not self.anchor.exists():
            if last_seq == 0:
                return []
            return [AuditProblem(last_seq, f"chain head anchor {self.anchor} is missing")]
        parts = self.anchor.read_text().split()
        if len(parts) != 2 or not parts[0].isdigit():
            return [AuditProblem(last_seq, f"chain head anchor {self.anchor} is unreadable")]
        anchored_seq, anchored_hash = int(parts[0]), parts[1]
        if anchored_seq > last_seq:
            return [
                AuditProblem(
                    last_seq, f"entries {last_seq + 1}..{anchored_seq} were removed from the end"
                )
            ]
        if hashes.get(anchored_seq) != anchored_hash:
            return [AuditProblem(anchored_seq, "entry differs from the anchored chain head")]
        return []
