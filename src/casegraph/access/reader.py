"""The scoped read layer: every query a principal's view makes takes its WHERE clauses here.

A `Reader` is one session on one case for one scope. Pages, the JSON API, the reports and the
referral view ask it for the condition of each table instead of filtering on their own, so the
scope is applied once, in the database, and a view that forgets it shows nothing it should not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, true
from sqlalchemy.orm import Session

from casegraph.access.scope import Scope
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    InvestigationRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PartnerReportRow,
)


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _within(column: Any, ids: frozenset[Any] | None) -> ColumnElement[bool]:
    return true() if ids is None else column.in_(ids)


@dataclass(frozen=True, slots=True)
class Posting:
    """One posting of a media file (an attachment in a message), with its chat and author."""

    media_id: int
    cluster: str | None
    kind: str
    at: datetime | None
    chat_id: int
    account_id: int | None
    chat_key: str
    chat_title: str
    account_key: str | None
    identifier: str | None
    names: list[str]
    visible: bool  # this scope sees both its chat and its author

    @property
    def author_name(self) -> str | None:
        """The first name the author used, else their identifier."""
        return self.names[0] if self.names else self.identifier


@dataclass
class Reader:
    """Conditions and look-ups for one case as one scope sees it."""

    session: Session
    case: Case
    scope: Scope
    _media: frozenset[int] | None = field(default=None, init=False)
    _media_done: bool = field(default=False, init=False)
    _account_keys: dict[int, str] | None = field(default=None, init=False)
    _chat_keys: dict[int, str] | None = field(default=None, init=False)
    _hidden_numbers: frozenset[str] | None = field(default=None, init=False)
    _hidden_chat_names: list[str] | None = field(default=None, init=False)

    @property
    def limited(self) -> bool:
        return self.scope.limited

    # -- conditions, one per table --------------------------------------------------------
    def chats(self) -> ColumnElement[bool]:
        return and_(ChatRow.case_id == self.case.id, _within(ChatRow.id, self.scope.chats))

    def accounts(self) -> ColumnElement[bool]:
        return and_(AccountRow.case_id == self.case.id, _within(AccountRow.id, self.scope.accounts))

    def messages(self) -> ColumnElement[bool]:
        """Messages the scope's accounts wrote in the scope's chats."""
        return and_(
            MessageRow.case_id == self.case.id,
            _within(MessageRow.chat_id, self.scope.chats),
            _within(MessageRow.account_id, self.scope.accounts),
        )

    def memberships(self) -> ColumnElement[bool]:
        return and_(
            MembershipRow.case_id == self.case.id,
            _within(MembershipRow.chat_id, self.scope.chats),
            _within(MembershipRow.account_id, self.scope.accounts),
        )

    def events(self) -> ColumnElement[bool]:
        """Events of visible chats; which of their parties may be named is `redact`'s job."""
        return and_(
            ChatEventRow.case_id == self.case.id, _within(ChatEventRow.chat_id, self.scope.chats)
        )

    def investigations(self) -> ColumnElement[bool]:
        return and_(
            InvestigationRow.case_id == self.case.id,
            _within(InvestigationRow.id, self.scope.investigations),
        )

    def partner_reports(self) -> ColumnElement[bool]:
        """What partners reported back on the scope's countries' investigations."""
        countries = frozenset() if self.scope.empty else self.scope.countries
        return and_(
            PartnerReportRow.case_id == self.case.id, _within(PartnerReportRow.country, countries)
        )

    def media(self) -> ColumnElement[bool]:
        return and_(MediaRow.case_id == self.case.id, _within(MediaRow.id, self.media_ids()))

    def postings(self) -> ColumnElement[bool]:
        """Attachments with a media row, in visible messages (join MessageRow on it)."""
        return and_(
            AttachmentRow.case_id == self.case.id,
            AttachmentRow.media_id.is_not(None),
            self.messages(),
        )

    def every_posting(
        self, *where: ColumnElement[bool], order_by: tuple[Any, ...] = (MessageRow.sent_at,)
    ) -> Iterator[Posting]:
        """Every posting of the media `where` selects, marked visible or not: views list the
        visible ones and only count the others, so out-of-scope parties are never named."""
        rows = self.session.execute(
            select(
                MediaRow.id,
                MediaRow.cluster,
                MediaRow.kind,
                MessageRow.sent_at,
                MessageRow.chat_id,
                MessageRow.account_id,
                ChatRow.key,
                ChatRow.title,
                AccountRow.key,
                AccountRow.identifier,
                AccountRow.names,
            )
            .select_from(AttachmentRow)
            .join(MediaRow, MediaRow.id == AttachmentRow.media_id)
            .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
            .join(ChatRow, ChatRow.id == MessageRow.chat_id)
            .outerjoin(AccountRow, AccountRow.id == MessageRow.account_id)
            .where(MediaRow.case_id == self.case.id, *where)
            .order_by(*order_by)
        )
        for (
            media_id,
            cluster,
            kind,
            at,
            chat_id,
            account_id,
            ckey,
            title,
            akey,
            ident,
            names,
        ) in rows:
            yield Posting(
                media_id,
                cluster,
                kind,
                at,
                chat_id,
                account_id,
                ckey,
                title,
                akey,
                ident,
                list(names or []),
                self.sees_chat(chat_id) and self.sees_account(account_id),
            )

    # -- sets and look-ups ------------------------------------------------------------------
    def media_ids(self) -> frozenset[int] | None:
        """Media posted by the scope's accounts; None when the scope is the whole case."""
        if not self._media_done:
            self._media_done = True
            if self.scope.accounts is not None:
                self._media = frozenset(
                    m
                    for m in self.session.scalars(
                        select(AttachmentRow.media_id)
                        .join(MessageRow, MessageRow.id == AttachmentRow.message_id)
                        .where(self.postings())
                        .distinct()
                    )
                    if m is not None
                )
        return self._media

    def account_keys(self) -> dict[int, str]:
        """Row id -> public id of every visible account."""
        if self._account_keys is None:
            self._account_keys = dict(
                self.session.execute(
                    select(AccountRow.id, AccountRow.key).where(self.accounts())
                ).all()
            )
        return self._account_keys

    def chat_keys(self) -> dict[int, str]:
        """Row id -> public id of every visible chat."""
        if self._chat_keys is None:
            self._chat_keys = dict(
                self.session.execute(select(ChatRow.id, ChatRow.key).where(self.chats())).all()
            )
        return self._chat_keys

    def sees_account(self, account_id: int | None) -> bool:
        return self.scope.sees_account(account_id)

    def sees_chat(self, chat_id: int | None) -> bool:
        return self.scope.sees_chat(chat_id)

    def hidden_numbers(self) -> frozenset[str]:
        """The last nine digits of each phone number outside the scope: what a number ends in
        however it is written (+52 1 55 …, 55 …, +5255…)."""
        if self._hidden_numbers is None:
            found: frozenset[str] = frozenset()
            if self.limited:
                found = frozenset(
                    digits(identifier)[-9:]
                    for identifier in self.session.scalars(
                        select(AccountRow.identifier).where(
                            AccountRow.case_id == self.case.id,
                            AccountRow.identifier_kind == "phone",
                            AccountRow.id.not_in(self.scope.accounts or frozenset()),
                        )
                    )
                )
            self._hidden_numbers = found
        return self._hidden_numbers

    def hidden_chat_names(self) -> list[str]:
        """Titles and former titles of the chats outside the scope, longest first."""
        if self._hidden_chat_names is None:
            names: set[str] = set()
            if self.limited:
                for chat_id, title, aliases in self.session.execute(
                    select(ChatRow.id, ChatRow.title, ChatRow.aliases).where(
                        ChatRow.case_id == self.case.id
                    )
                ):
                    if not self.sees_chat(chat_id):
                        names.update(n for n in (title, *(aliases or [])) if n)
            self._hidden_chat_names = sorted(names, key=len, reverse=True)
        return self._hidden_chat_names
