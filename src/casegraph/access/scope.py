"""Which rows of a case one principal may see.

Admins, analysts and reviewers see whole cases. A liaison officer sees, in each case, only the
investigations of their own country that were referred, the accounts those investigations hold,
and the chats those accounts were in or created. Everything else is outside the scope.
"""

from __future__ import annotations

from dataclasses import dataclass

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

# every status after "proposed": once referred, the partner's liaison officer sees it
REFERRED_STATUSES = tuple(status for status in STATUSES if status != "proposed")


@dataclass(slots=True, frozen=True)
class Scope:
    """What one principal may see of one case; `None` sets mean everything."""

    investigations: frozenset[int] | None = None
    accounts: frozenset[int] | None = None
    chats: frozenset[int] | None = None
    countries: frozenset[str] | None = None
    empty: bool = False

    @property
    def limited(self) -> bool:
        return self.accounts is not None

    def sees_account(self, account_id: int | None) -> bool:
        return account_id is not None and (self.accounts is None or account_id in self.accounts)

    def sees_chat(self, chat_id: int | None) -> bool:
        return chat_id is not None and (self.chats is None or chat_id in self.chats)


def full_scope() -> Scope:
    return Scope()


def no_scope() -> Scope:
    return Scope(frozenset(), frozenset(), frozenset(), frozenset(), empty=True)


def country_scope(session: Session, case: Case, country: str) -> Scope:
    """A liaison officer's view: the referred investigations of `country` and what they hold."""
    code = country.upper()
    investigations = frozenset(
        session.scalars(
            select(InvestigationRow.id).where(
                InvestigationRow.case_id == case.id,
                InvestigationRow.country == code,
                InvestigationRow.status.in_(REFERRED_STATUSES),
            )
        )
    )
    return investigation_scope(session, case, investigations, code)


def investigation_scope(
    session: Session, case: Case, investigations: frozenset[int], country: str
) -> Scope:
    """What the given investigations of `country` hold, whatever their status: the liaison's
    view once referred, and what a referral package of them may carry."""
    accounts = frozenset(
        session.scalars(
            select(InvestigationAccountRow.account_id).where(
                InvestigationAccountRow.investigation_id.in_(investigations)
            )
        )
    )
    chats = frozenset(
        session.scalars(
            select(MembershipRow.chat_id).where(
                MembershipRow.case_id == case.id, MembershipRow.account_id.in_(accounts)
            )
        )
    ) | frozenset(
        session.scalars(
            select(ChatRow.id).where(ChatRow.case_id == case.id, ChatRow.created_by.in_(accounts))
        )
    )
    code = country.upper()
    return Scope(investigations, accounts, chats, frozenset({code}), empty=not investigations)
