"""Group commit for tips: one writer thread stores whatever tips are waiting in one transaction.

Each tip still gets its own audit entry and the submitter waits until its tip is committed,
so a receipt is only ever handed out for a stored tip; what batching saves is a commit and a
chain-head write per tip, which is what limits intake under load.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.intake.ledger import installation_audit, installation_writer
from casegraph.intake.linking import CaseLink
from casegraph.intake.tips import TipInput, new_receipt
from casegraph.store.audit import GENESIS, entry_hash
from casegraph.store.cases import Home
from casegraph.store.db import utcnow
from casegraph.store.schema import AuditRow, TipRow

MAX_BATCH = 256
IDLE_SECONDS = 2.0


@dataclass(slots=True)
class Pending:
    tip: TipInput
    links: list[CaseLink]
    origin: str
    actor: str
    receipt: str = field(default_factory=new_receipt)
    status: str = "new"
    done: Future[None] = field(default_factory=Future)


class TipWriter:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.queue: queue.Queue[Pending] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def enqueue(self, pending: Pending) -> Future[None]:
        """Queue the tip; the future completes when its transaction has committed (or failed)."""
        self.queue.put(pending)
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="tip-writer", daemon=True)
                self.thread.start()
        return pending.done

    def store(self, pending: Pending) -> Pending:
        """Queue the tip and wait for its transaction; re-raises what made it fail."""
        self.enqueue(pending).result()
        return pending

    def _run(self) -> None:
        while True:
            try:
                first = self.queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self.lock:
                    if self.queue.empty():  # exit only when nobody queued meanwhile
                        self.thread = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[Pending]) -> None:
        audit = installation_audit(self.home)
        try:
            with installation_writer(self.home, "tip.receive"):
                session = self.home.installation_sessions()()
                try:
                    keys = {p.tip.dedupe_key for p in batch}
                    seen = set(
                        session.scalars(
                            select(TipRow.dedupe_key).where(TipRow.dedupe_key.in_(keys))
                        )
                    )
                    chain = _Chain(session, audit.case_id)
                    for p in batch:
                        self._add(session, chain, p, p.tip.dedupe_key in seen)
                        seen.add(p.tip.dedupe_key)
                    session.commit()
                    audit.write_anchor(session)
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    session.close()
        except Exception as exc:
            for p in batch:
                p.done.set_exception(exc)
            return
        for p in batch:
            p.done.set_result(None)

    @staticmethod
    def _add(session: Session, chain: _Chain, p: Pending, duplicate: bool) -> None:
        p.status = "duplicate" if duplicate else ("linked" if p.links else "new")
        linked = ",".join(link.case for link in p.links)[:200] or None
        session.add(
            TipRow(
                receipt=p.receipt,
                linked_case=linked,
                platform=p.tip.platform,
                group_name=p.tip.group_name,
                invite_link=p.tip.invite_link,
                phones=p.tip.phones,
                description=p.tip.description,
                contact=p.tip.contact,
                received_at=utcnow(),
                status=p.status,
                dedupe_key=p.tip.dedupe_key,
                origin=p.origin,
            )
        )
        details = {"origin": p.origin, "status": p.status, "linked": [lk.case for lk in p.links]}
        session.add(chain.next(p.actor, "tip.receive", f"tip:{p.receipt}", details))


class _Chain:
    """Audit entries for a whole batch, chained in memory from the head read once.

    Same fields and hashes as AuditLog.append; it saves one query and flush per tip.
    """

    def __init__(self, session: Session, case_id: int) -> None:
        last = session.execute(
            select(AuditRow.seq, AuditRow.entry_hash)
            .where(AuditRow.case_id == case_id)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
        self.case_id = case_id
        self.seq, self.prev = (last[0], last[1]) if last else (0, GENESIS)

    def next(self, actor: str, action: str, target: str, details: dict[str, Any]) -> AuditRow:
        self.seq += 1
        at = datetime.now(UTC)
        digest = entry_hash(self.prev, self.seq, at, actor, action, target, "", details)
        row = AuditRow(
            case_id=self.case_id,
            seq=self.seq,
            at=at,
            actor=actor,
            action=action,
            target=target,
            reason="",
            details=details,
            prev_hash=self.prev,
            entry_hash=digest,
        )
        self.prev = digest
        return row


_writers: dict[str, TipWriter] = {}
_writers_lock = threading.Lock()


def writer_for(home: Home) -> TipWriter:
    with _writers_lock:
        key = home.installation_url()
        if key not in _writers:
            _writers[key] = TipWriter(home)
        return _writers[key]
