"""Need-to-know, enforced in queries: which rows of a case a user may see.

Admins, analysts and reviewers see whole cases. A liaison officer sees, in each case, only the
investigations of their own country that were referred, and the accounts, chats, messages and
media those investigations hold. Auditors see the audit log only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.exchange.investigations import STATUSES
from casegraph.store.cases import Case
from casegraph.store.schema import (
    ChatRow,
    InvestigationAccountRow,
    InvestigationRow,
    MembershipRow,
)
from casegraph.web.users import User

# every status after "proposed": once referred, the partner's liaison officer sees it
REFERRED_STATUSES = tuple(status for status in STATUSES if status != "proposed")
CASE_READERS = ("admin", "analyst", "reviewer", "liaison")
FULL_READERS = ("admin", "analyst", "reviewer")
EDITORS = ("admin", "analyst")
AUDIT_READERS = ("admin", "auditor")
TIP_READERS = ("admin", "analyst")
REVEALERS = ("reviewer",)


@dataclass(slots=True)
class Scope:
    """What one user may see of one case; `None` sets mean everything."""

    investigations: set[int] | None = None
    accounts: set[int] | None = None
    chats: set[int] | None = None
    countries: set[str] | None = None
    empty: bool = False

    @property
    def limited(self) -> bool:
        return self.accounts is not None


@dataclass(slots=True)
class Viewer:
    user: User
    scopes: dict[str, Scope] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, roles: tuple[str, ...]) -> bool:
        return self.user.role in roles

    def scope(self, case: Case) -> Scope:
        cached = self.scopes.get(case.name)
        if cached is None:
            with case.read() as session:
                cached = compute_scope(session, case, self.user)
            self.scopes[case.name] = cached
        return cached


def compute_scope(session: Session, case: Case, user: User) -> Scope:
    if user.role in FULL_READERS:
        return Scope()
    if user.role != "liaison" or not user.country:
        return Scope(set(), set(), set(), set(), empty=True)
    investigations = set(
        session.scalars(
            select(InvestigationRow.id).where(
                InvestigationRow.case_id == case.id,
                InvestigationRow.country == user.country,
                InvestigationRow.status.in_(REFERRED_STATUSES),
            )
        )
    )
    accounts = set(
        session.scalars(
            select(InvestigationAccountRow.account_id).where(
                InvestigationAccountRow.investigation_id.in_(investigations)
            )
        )
    )
    chats = set(
        session.scalars(
            select(MembershipRow.chat_id).where(
                MembershipRow.case_id == case.id, MembershipRow.account_id.in_(accounts)
            )
        )
    ) | set(
        session.scalars(
            select(ChatRow.id).where(ChatRow.case_id == case.id, ChatRow.created_by.in_(accounts))
        )
    )
    return Scope(investigations, accounts, chats, {user.country}, empty=not investigations)
