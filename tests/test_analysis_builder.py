"""A small hand-built operation written straight into a case's tables (no parser involved).

Shared by the analysis and HTML report tests: a parent group, one break-off whose creator and
members come from the parent (and whose invite link was posted there), and one unrelated
Telegram group that shares a sticker with the parent but no people. All data is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from casegraph.model import account_key, chat_key
from casegraph.store.cases import Case
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
    HashEntryRow,
    HashListRow,
    MatchRow,
    MediaRow,
    MembershipRow,
    MessageRow,
    SourceRow,
)

STICKER_PDQ = "f" * 16 + "0" * 48
VARIANT_PDQ = "f" * 15 + "e" + "0" * 48  # one bit away: the same sticker re-encoded
OTHER_PDQ = "0f" * 32

ACCOUNTS = {  # identifier -> (platform, name, phone country)
    "+34600000101": ("whatsapp", "Ana Nube", "ES"),
    "+525512340102": ("whatsapp", "Beto Rayo", "MX"),
    "+5511987650103": ("whatsapp", "Caio Lume", "BR"),
    "+393123450104": ("whatsapp", "Dario Vento", "IT"),
    "+34600000105": ("whatsapp", "Eva Brisa", "ES"),
    "user1000001": ("telegram", "Teo Faro", None),
    "user1000002": ("telegram", "Uma Isla", None),
}


@dataclass
class BuiltCase:
    accounts: dict[str, int]  # identifier -> row id
    chats: dict[str, int]  # "parent" | "breakoff" | "unrelated" -> row id
    media: dict[str, int]  # "sticker" | "variant" | "photo" -> row id
    sticker_sha: str
    invite_link: str = "https://chat.whatsapp.com/AbCdEfGhIjK1234567890"


def at(day: int, month: int = 1, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def build_operation(case: Case) -> BuiltCase:
    with case.mutate("test", "test.build", f"case:{case.name}") as s:
        source = SourceRow(
            case_id=case.id,
            sha256="a" * 64,
            md5="b" * 32,
            sha1="c" * 40,
            size=1000,
            filename="WhatsApp Chat with Club Nube.zip",
            format="whatsapp-android",
            captured_by="agent-7",
            received_at=at(1, 3),
        )
        s.add(source)
        accounts = {}
        for identifier, (platform, name, country) in ACCOUNTS.items():
            row = AccountRow(
                case_id=case.id,
                key=account_key(platform, identifier, case.id_secret),
                platform=platform,
                identifier=identifier,
                identifier_kind="phone" if identifier.startswith("+") else "platform_id",
                names=[name],
                phone_country=country,
            )
            s.add(row)
            accounts[identifier] = row
        chats = {}
        for label, platform, native, title in (
            ("parent", "whatsapp", "club-nube", "Club Nube"),
            ("breakoff", "whatsapp", "nube-2", "Nube 2 <b>bis</b>"),
            ("unrelated", "telegram", "4000001", "Faro Norte"),
        ):
            chat_row = ChatRow(
                case_id=case.id,
                key=chat_key(platform, native, case.id_secret),
                platform=platform,
                native_id=native,
                title=title,
            )
            s.add(chat_row)
            chats[label] = chat_row
        s.flush()
        a = {k: v.id for k, v in accounts.items()}
        c = {k: v.id for k, v in chats.items()}
        parent, breakoff, unrelated = c["parent"], c["breakoff"], c["unrelated"]

        def event(chat: int, when: datetime, kind: str, actor: str, *targets: str) -> None:
            s.add(
                ChatEventRow(
                    case_id=case.id,
                    chat_id=chat,
                    source_id=source.id,
                    seq=0,
                    at=when,
                    type=kind,
                    actor_id=a[actor],
                    target_ids=[a[t] for t in targets],
                )
            )

        def member(chat: int, who: str, since: datetime, via: str) -> None:
            s.add(
                MembershipRow(
                    case_id=case.id, chat_id=chat, account_id=a[who], since=since, via=via
                )
            )

        event(parent, at(10), "created", "+34600000101")
        member(parent, "+34600000101", at(10), "created")
        for who in ("+525512340102", "+5511987650103", "+393123450104", "+34600000105"):
            event(parent, at(10, hour=13), "added", "+34600000101", who)
            member(parent, who, at(10, hour=13), "added")
        event(breakoff, at(1, 2), "created", "+525512340102")
        member(breakoff, "+525512340102", at(1, 2), "created")
        for who in ("+5511987650103", "+34600000105"):
            event(breakoff, at(2, 2), "joined_via_link", who)
            member(breakoff, who, at(2, 2), "joined_via_link")
        event(unrelated, at(20), "created", "user1000001")
        member(unrelated, "user1000001", at(20), "created")
        member(unrelated, "user1000002", at(20, hour=14), "authored")

        texts = [
            (
                parent,
                "+34600000101",
                at(10, hour=14),
                "Bienvenidos al grupo, aquí compartimos todo lo que tenemos",
            ),
            (
                parent,
                "+5511987650103",
                at(11),
                "Obrigado, estou muito feliz de estar aqui com vocês",
            ),
            (parent, "+393123450104", at(12), "Ciao a tutti, sono contento di essere qui con voi"),
            (
                parent,
                "+525512340102",
                at(1, 2, 20),
                f"Nos vamos al nuevo grupo: {BuiltCase.invite_link} escríbeme al +52 55 1234 0102",
            ),
            (
                breakoff,
                "+525512340102",
                at(1, 2, 13),
                "Este es el grupo nuevo, más tranquilo que el anterior",
            ),
            (breakoff, "+34600000105", at(2, 2, 15), "Hola a todos, ya estoy aquí con vosotros"),
            (
                unrelated,
                "user1000001",
                at(20, hour=15),
                "Ciao, questo gruppo è per gli amici del faro",
            ),
            (
                unrelated,
                "user1000002",
                at(21),
                "Benvenuti, scrivete a faro@example.org o @faro_norte",
            ),
        ]
        for seq, (chat, who, when, text) in enumerate(texts):
            s.add(
                MessageRow(
                    case_id=case.id,
                    chat_id=chat,
                    source_id=source.id,
                    seq=seq,
                    sent_at=when,
                    account_id=a[who],
                    text=text,
                    kind="text",
                )
            )

        media = {}
        for label, sha, pdq, kind in (
            ("sticker", "1" * 64, STICKER_PDQ, "sticker"),
            ("variant", "2" * 64, VARIANT_PDQ, "sticker"),
            ("photo", "3" * 64, OTHER_PDQ, "image"),
        ):
            media_row = MediaRow(
                case_id=case.id,
                sha256=sha,
                md5=sha[:32],
                sha1=sha[:40],
                size=100,
                kind=kind,
                pdq=pdq,
                pdq_quality=100,
                hashed=True,
            )
            s.add(media_row)
            media[label] = media_row
        s.flush()
        postings = [  # the sticker starts in the parent, then spreads; the variant follows
            (parent, "+393123450104", at(15), "sticker"),
            (unrelated, "user1000001", at(25), "sticker"),
            (breakoff, "+525512340102", at(3, 2), "sticker"),
            (breakoff, "+34600000105", at(4, 2), "variant"),
            (parent, "+34600000101", at(16), "photo"),
        ]
        for seq, (chat, who, when, label) in enumerate(postings, start=100):
            message = MessageRow(
                case_id=case.id,
                chat_id=chat,
                source_id=source.id,
                seq=seq,
                sent_at=when,
                account_id=a[who],
                text="",
                kind="media",
                attachment_ref=f"STK-{seq}.webp",
            )
            s.add(message)
            s.flush()
            s.add(
                AttachmentRow(
                    case_id=case.id,
                    message_id=message.id,
                    reference=f"STK-{seq}.webp",
                    kind=media[label].kind,
                    member_path=f"STK-{seq}.webp",
                    media_id=media[label].id,
                )
            )
        hash_list = HashListRow(
            case_id=case.id, name="known", format="csv", imported_at=at(1, 3), entry_count=1
        )
        s.add(hash_list)
        s.flush()
        entry = HashEntryRow(
            list_id=hash_list.id, entry_id="e1", md5="1" * 32, category="1", scheme="csv"
        )
        s.add(entry)
        s.flush()
        s.add(
            MatchRow(
                case_id=case.id,
                media_id=media["sticker"].id,
                list_id=hash_list.id,
                entry_id=entry.id,
                method="md5",
                category="1",
                scheme="csv",
            )
        )
    return BuiltCase(
        accounts=a, chats=c, media={k: v.id for k, v in media.items()}, sticker_sha="1" * 64
    )
