"""Writing a received referral into a case: add what is new, merge what is known.

Every item is first looked up by the id the sender gave it (kept in `exchange_links`), so a
later version of the same referral lands on the same rows; an item not yet linked is matched
by the natural keys ingest uses (platform + identifier / native id, media SHA-256), so a
referral and a later ingest of the same export meet on one row. Ids are never recomputed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casegraph.exchange.codes import Handling
from casegraph.model import account_key, chat_key, received_key
from casegraph.store.cases import Case
from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    ChatSourceRow,
    ExchangeLinkRow,
    HashEntryRow,
    HashListRow,
    InvestigationAccountRow,
    InvestigationRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    PersonRow,
    SourceRow,
)


class Upserter:
    def __init__(
        self,
        session: Session,
        case: Case,
        source: SourceRow,
        manifest: dict[str, Any],
        handling: Handling,
    ) -> None:
        self.session = session
        self.case = case
        self.source = source
        self.manifest = manifest
        self.handling = handling
        self.accounts: dict[str, AccountRow] = {}  # sender's account key -> our row
        self.chats: dict[str, ChatRow] = {}
        self.media: dict[str, MediaRow] = {}
        self.origin: str = manifest["sender"]["fingerprint"]
        self.links = self._links()

    def _links(self) -> dict[tuple[str, str], int]:
        rows = self.session.execute(
            select(ExchangeLinkRow.kind, ExchangeLinkRow.external_id, ExchangeLinkRow.local_id)
            .where(ExchangeLinkRow.case_id == self.case.id)
            .where(ExchangeLinkRow.origin == self.origin)
        )
        return {(kind, external): local for kind, external, local in rows}

    def _linked(self, model: type[Any], kind: str, external_id: str) -> Any:
        local = self.links.get((kind, external_id))
        return None if local is None else self.session.get(model, local)

    def _link(self, kind: str, external_id: str, local_id: int) -> None:
        if self.links.get((kind, external_id)) == local_id:
            return
        self.session.add(
            ExchangeLinkRow(
                case_id=self.case.id,
                origin=self.origin,
                kind=kind,
                external_id=external_id,
                local_id=local_id,
            )
        )
        self.links[(kind, external_id)] = local_id

    def load(self, document: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, int]:
        persons = {p["key"]: self._person(p) for p in document.get("persons", [])}
        for account in document["accounts"]:
            self.accounts[account["key"]] = self._account(account, persons)
        for chat in document["chats"]:
            self.chats[chat["key"]] = self._chat(chat)
        for media in document["media"]:
            self.media[media["sha256"]] = self._media(media)
        matches = self._matches(document["matches"])
        added = self._messages(messages)
        self._investigation(document)
        return {
            "accounts": len(self.accounts),
            "chats": len(self.chats),
            "messages": added,
            "media": len(self.media),
            "matches": matches,
        }

    def _person(self, person: dict[str, Any]) -> PersonRow:
        row = self._linked(PersonRow, "person", person["key"])
        if row is None:
            row = self.session.scalars(
                select(PersonRow).where(
                    PersonRow.case_id == self.case.id, PersonRow.key == person["key"]
                )
            ).one_or_none()
        if row is None:
            row = PersonRow(case_id=self.case.id, key=person["key"])
            self.session.add(row)
        row.label = row.label or person.get("label") or ""
        row.age = row.age if row.age is not None else person.get("age")
        row.date_of_birth = row.date_of_birth or person.get("date_of_birth")
        row.country = row.country or person.get("country")
        self.session.flush()
        self._link("person", person["key"], row.id)
        return row

    def _account(self, account: dict[str, Any], persons: dict[str, PersonRow]) -> AccountRow:
        platform, identifier = account["platform"], account["identifier"]
        row = self._linked(AccountRow, "account", account["key"])
        if row is None:
            row = self.session.scalars(
                select(AccountRow).where(
                    AccountRow.case_id == self.case.id,
                    AccountRow.platform == platform,
                    AccountRow.identifier == identifier,
                )
            ).one_or_none()
        if row is None:
            row = AccountRow(
                case_id=self.case.id,
                # the sender's id, as sent: it cannot be recomputed without the sender's secret
                key=received_key(account.get("key"))
                or account_key(platform, identifier, self.case.id_secret),
                platform=platform,
                identifier=identifier,
                identifier_kind=account.get("identifier_kind", "name"),
                names=[],
                languages=[],
                country_reasons=[],
                provenance={},
            )
            self.session.add(row)
        row.names = sorted({*row.names, *account.get("names", [])})
        row.languages = sorted({*row.languages, *account.get("languages", [])})
        if row.country is None and account.get("country"):
            row.country = account["country"]
        referral = {**self._referral(), "country": account.get("country")}
        # one entry per referral: a later version replaces what the earlier one said
        referrals = [
            r
            for r in row.provenance.get("referrals", [])
            if r.get("referral_id") != referral["referral_id"]
        ]
        # a new dict, so SQLAlchemy sees the JSON column change
        row.provenance = {**row.provenance, "referrals": [*referrals, referral]}
        person = persons.get(account.get("person") or "")
        if person is not None and row.person_id is None:
            self.session.flush()
            row.person_id = person.id
        self.session.flush()
        self._link("account", account["key"], row.id)
        return row

    def _referral(self) -> dict[str, Any]:
        """Who sent what we now hold, when, and under which codes."""
        sender = self.manifest["sender"]
        return {
            "from": sender.get("agency") or sender["name"],
            "fingerprint": sender["fingerprint"],
            "sent_at": self.manifest["created_at"],
            "origin_case": self.manifest["case"],
            "source": self.source.sha256,
            "referral_id": self.manifest["referral"]["id"],
            "version": self.manifest["referral"]["version"],
            "handling_code": self.handling.handling_code,
            "evaluation": self.handling.evaluation,
        }

    def _chat(self, chat: dict[str, Any]) -> ChatRow:
        row = self._linked(ChatRow, "chat", chat["key"])
        if row is None:
            row = self.session.scalars(
                select(ChatRow).where(
                    ChatRow.case_id == self.case.id,
                    ChatRow.platform == chat["platform"],
                    ChatRow.native_id == chat["native_id"],
                )
            ).one_or_none()
        if row is None:
            row = ChatRow(
                case_id=self.case.id,
                key=received_key(chat.get("key"))
                or chat_key(chat["platform"], chat["native_id"], self.case.id_secret),
                platform=chat["platform"],
                native_id=chat["native_id"],
                title=chat["title"],
                aliases=list(chat.get("aliases", [])),
                kind=chat.get("kind", "group"),
                parent_evidence=[],
            )
            if chat.get("created_at"):
                row.created_at = datetime.fromisoformat(chat["created_at"])
            self.session.add(row)
            self.session.flush()
        creator = self.accounts.get(chat.get("created_by") or "")
        if row.created_by is None and creator is not None:
            row.created_by = creator.id
        self.session.add(
            ChatSourceRow(case_id=self.case.id, chat_id=row.id, source_id=self.source.id)
        )
        known = set(
            self.session.scalars(
                select(MembershipRow.account_id).where(MembershipRow.chat_id == row.id)
            )
        )
        for member in chat.get("members", []):
            account = self.accounts[member]
            if account.id not in known:
                self.session.add(
                    MembershipRow(
                        case_id=self.case.id, chat_id=row.id, account_id=account.id, via="referral"
                    )
                )
        self.session.flush()
        self._link("chat", chat["key"], row.id)
        return row

    def _media(self, media: dict[str, Any]) -> MediaRow:
        row = self.session.scalars(
            select(MediaRow).where(
                MediaRow.case_id == self.case.id, MediaRow.sha256 == media["sha256"]
            )
        ).one_or_none()
        if row is None:
            row = MediaRow(
                case_id=self.case.id,
                sha256=media["sha256"],
                md5=media["md5"],
                sha1=media["sha1"],
                size=int(media["size"]),
                kind=media.get("kind", "other"),
                mime=media.get("mime", ""),
                pdq=media.get("pdq"),
                frame_pdqs=[],
                hashed=False,
            )
            self.session.add(row)
            self.session.flush()
        self._link("media", media["sha256"], row.id)
        return row

    def _matches(self, matches: list[dict[str, Any]]) -> int:
        if not matches:
            return 0
        sender = self.manifest["sender"]
        name = f"referral:{sender['fingerprint'][:12]}:{self.manifest['case']}"[:200]
        hash_list = self.session.scalars(
            select(HashListRow).where(HashListRow.case_id == self.case.id, HashListRow.name == name)
        ).one_or_none()
        if hash_list is None:
            hash_list = HashListRow(
                case_id=self.case.id,
                name=name,
                format="casegraph-referral",
                source_sha256=self.source.sha256,
                imported_at=utcnow(),
            )
            self.session.add(hash_list)
            self.session.flush()
        added = 0
        for match in matches:
            media = self.media[match["media_sha256"]]
            entry_id = f"{match['list']}:{match['entry']}"
            entry = self.session.scalars(
                select(HashEntryRow).where(
                    HashEntryRow.list_id == hash_list.id, HashEntryRow.entry_id == entry_id
                )
            ).one_or_none()
            if entry is None:
                entry = HashEntryRow(
                    list_id=hash_list.id,
                    entry_id=entry_id,
                    md5=media.md5,
                    sha1=media.sha1,
                    sha256=media.sha256,
                    category=match.get("category"),
                    scheme=match.get("scheme"),
                    extra={"handling": match.get("handling", self.handling.fields())},
                )
                self.session.add(entry)
                self.session.flush()
                hash_list.entry_count += 1
            exists = self.session.scalar(
                select(MatchRow.id).where(
                    MatchRow.media_id == media.id, MatchRow.entry_id == entry.id
                )
            )
            if exists is None:
                self.session.add(
                    MatchRow(
                        case_id=self.case.id,
                        media_id=media.id,
                        list_id=hash_list.id,
                        entry_id=entry.id,
                        method=match["method"],
                        distance=int(match.get("distance", 0)),
                        category=match.get("category"),
                        scheme=match.get("scheme"),
                    )
                )
                added += 1
        self.session.flush()
        return added

    def _messages(self, messages: list[dict[str, Any]]) -> int:
        """Messages not held yet (by the sender's message id); returns how many were added."""
        added = 0
        for message in messages:
            if ("message", message["id"]) in self.links:
                continue
            added += 1
            row = MessageRow(
                case_id=self.case.id,
                chat_id=self.chats[message["chat"]].id,
                source_id=self.source.id,
                seq=added,
                sent_at=datetime.fromisoformat(message["sent_at"]),
                account_id=self.accounts[message["account"]].id,
                author_label=(self.accounts[message["account"]].names or [""])[0],
                text=message.get("text", ""),
                kind=message.get("kind", "text"),
                flags=["referral"],
            )
            self.session.add(row)
            self.session.flush()
            self._link("message", message["id"], row.id)
            sha256 = message.get("attachment_sha256")
            if sha256:
                media = self.media.get(sha256)
                self.session.add(
                    AttachmentRow(
                        case_id=self.case.id,
                        message_id=row.id,
                        reference=sha256,
                        kind=media.kind if media else "other",
                        media_id=media.id if media else None,
                        missing_reason=None if media else "not shared in the referral",
                    )
                )
        self.session.flush()
        return added

    def _investigation(self, document: dict[str, Any]) -> None:
        country = document["country"]
        row = self.session.scalars(
            select(InvestigationRow).where(
                InvestigationRow.case_id == self.case.id, InvestigationRow.country == country
            )
        ).one_or_none()
        if row is None:
            row = InvestigationRow(
                case_id=self.case.id,
                country=country,
                status="referred",
                agency=self.manifest["recipient"].get("agency", ""),
                created_at=utcnow(),
                provenance={},
            )
            self.session.add(row)
        # the sender's codes bind what the recipient may do with the shared items
        row.handling_code = self.handling.handling_code
        row.evaluation = self.handling.evaluation
        row.tlp = self.handling.tlp
        row.pap = self.handling.pap
        row.conditions = self.handling.conditions
        received = {**self._referral(), "recipient": self.manifest["recipient"]}
        referrals = [*row.provenance.get("received", []), received]
        held = {
            **self.manifest["referral"],
            "origin": self.origin,
            "origin_case": self.manifest["case"],
            "sender": self.manifest["sender"],
            "ciphertext_sha256": self.source.sha256,
        }
        row.provenance = {**row.provenance, "received": referrals, "referral": held}
        self.session.flush()
        assigned = set(
            self.session.scalars(
                select(InvestigationAccountRow.account_id).where(
                    InvestigationAccountRow.investigation_id == row.id
                )
            )
        )
        current = {account.id for account in self.accounts.values()}
        for link in self.session.scalars(
            select(InvestigationAccountRow).where(
                InvestigationAccountRow.investigation_id == row.id,
                InvestigationAccountRow.assigned_by == "referral",
                InvestigationAccountRow.account_id.not_in(current),
            )
        ):
            self.session.delete(link)  # the sender moved this target out in a later version
        for account in self.accounts.values():
            if account.id not in assigned:
                self.session.add(
                    InvestigationAccountRow(
                        investigation_id=row.id, account_id=account.id, assigned_by="referral"
                    )
                )
        self.session.flush()
