"""A small synthetic operation written straight through the store, for the exchange tests.

Everything here is invented: fictional-range numbers (+34 600…, +52 55 5…), made-up names,
and "media" that are short benign byte strings whose hashes stand in for files.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from casegraph.media.hashlists.categories import VICS_US
from casegraph.model import account_key, chat_key
from casegraph.store.cases import Case, Home, dispose_engines
from casegraph.store.db import normalise_url, utcnow
from casegraph.store.evidence import hash_bytes
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatRow,
    ChatSourceRow,
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

T0 = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)

# identifier -> (platform, country or None, display name)
ACCOUNTS = {
    "+34600000101": ("whatsapp", "ES", "Lobo Gris"),
    "+34600000102": ("whatsapp", "ES", "Nube Azul"),
    "+525550000201": ("whatsapp", "MX", "Cometa"),
    "user900000001": ("telegram", None, "Farol"),
}
CHATS = {
    "g1": ("whatsapp", "Grupo Amarillo", ["+34600000101", "+34600000102", "+525550000201"]),
    "g2": ("telegram", "Canal Verde", ["+525550000201", "user900000001"]),
}
# media name -> (poster identifier, chat, matched category or None)
MEDIA = {
    "m1": ("+34600000101", "g1", "1"),
    "m2": ("+525550000201", "g1", "1"),
    "m3": ("+34600000102", "g1", None),
    "m4": ("user900000001", "g2", "1"),
}


@dataclass
class Operation:
    case: Case
    accounts: dict[str, str] = field(default_factory=dict)  # identifier -> account key
    chats: dict[str, str] = field(default_factory=dict)  # g1 -> chat key
    media: dict[str, dict[str, str]] = field(default_factory=dict)  # m1 -> hashes

    def targets(self, country: str) -> set[str]:
        wanted = None if country == "unattributed" else country
        return {i for i, (_p, c, _n) in ACCOUNTS.items() if c == wanted}


def media_bytes(name: str) -> bytes:
    return f"benign test media {name}".encode()


def build_operation(home: Home, name: str = "op") -> Operation:
    case = home.create_case(name, timezone="Europe/Madrid", agency="Coordinator")
    op = Operation(case)
    with case.mutate("test", "fixture.load", f"case:{name}") as session:
        source = SourceRow(
            case_id=case.id,
            sha256="0" * 64,
            md5="0" * 32,
            sha1="0" * 40,
            size=1,
            filename="fixture.txt",
            received_at=utcnow(),
        )
        session.add(source)
        person = PersonRow(case_id=case.id, key="person-es-1", label="Lobo", age=34, country="ES")
        session.add(person)
        session.flush()
        account_rows: dict[str, AccountRow] = {}
        for identifier, (platform, country, display) in ACCOUNTS.items():
            phone = identifier.startswith("+")
            row = AccountRow(
                case_id=case.id,
                key=account_key(platform, identifier, case.id_secret),
                platform=platform,
                identifier=identifier,
                identifier_kind="phone" if phone else "platform_id",
                names=[display],
                phone_country=country if phone else None,
                country=country,
                languages=["es"],
                person_id=person.id if identifier == "+34600000101" else None,
            )
            session.add(row)
            account_rows[identifier] = row
            op.accounts[identifier] = row.key
        session.flush()
        chat_rows: dict[str, ChatRow] = {}
        for chat_name, (platform, title, members) in CHATS.items():
            chat = ChatRow(
                case_id=case.id,
                key=chat_key(platform, chat_name, case.id_secret),
                platform=platform,
                native_id=chat_name,
                title=title,
                aliases=[f"{title} (antes)"],
                created_at=T0,
                created_by=account_rows[members[0]].id,
            )
            session.add(chat)
            session.flush()
            chat_rows[chat_name] = chat
            op.chats[chat_name] = chat.key
            session.add(ChatSourceRow(case_id=case.id, chat_id=chat.id, source_id=source.id))
            for identifier in members:
                session.add(
                    MembershipRow(
                        case_id=case.id,
                        chat_id=chat.id,
                        account_id=account_rows[identifier].id,
                        via="added",
                    )
                )
        hash_list = HashListRow(
            case_id=case.id, name="known_material", format="vics", imported_at=utcnow()
        )
        session.add(hash_list)
        session.flush()
        seq = 0
        for media_name, (poster, chat_name, category) in MEDIA.items():
            hashes = hash_bytes(media_bytes(media_name))
            op.media[media_name] = {"sha256": hashes.sha256, "md5": hashes.md5, "sha1": hashes.sha1}
            media = MediaRow(
                case_id=case.id,
                sha256=hashes.sha256,
                md5=hashes.md5,
                sha1=hashes.sha1,
                size=hashes.size,
                kind="sticker",
                mime="image/webp",
                hashed=True,
            )
            session.add(media)
            seq += 1
            text_message = MessageRow(
                case_id=case.id,
                chat_id=chat_rows[chat_name].id,
                source_id=source.id,
                seq=seq,
                sent_at=T0 + timedelta(minutes=seq),
                account_id=account_rows[poster].id,
                author_label=ACCOUNTS[poster][2],
                text=f"hola {media_name}",
                kind="text",
            )
            seq += 1
            media_message = MessageRow(
                case_id=case.id,
                chat_id=chat_rows[chat_name].id,
                source_id=source.id,
                seq=seq,
                sent_at=T0 + timedelta(minutes=seq),
                account_id=account_rows[poster].id,
                author_label=ACCOUNTS[poster][2],
                text="",
                kind="media",
                attachment_ref=f"STK-{media_name}.webp",
            )
            session.add_all([text_message, media_message])
            session.flush()
            session.add(
                AttachmentRow(
                    case_id=case.id,
                    message_id=media_message.id,
                    reference=f"STK-{media_name}.webp",
                    kind="sticker",
                    media_id=media.id,
                )
            )
            if category is not None:
                entry = HashEntryRow(
                    list_id=hash_list.id,
                    entry_id=f"entry-{media_name}",
                    md5=hashes.md5,
                    sha1=hashes.sha1,
                    category=category,
                    scheme=VICS_US,
                )
                session.add(entry)
                session.flush()
                session.add(
                    MatchRow(
                        case_id=case.id,
                        media_id=media.id,
                        list_id=hash_list.id,
                        entry_id=entry.id,
                        method="md5",
                        category=category,
                        scheme=VICS_US,
                    )
                )
        for country in ("ES", "MX", "unattributed"):
            investigation = InvestigationRow(case_id=case.id, country=country, created_at=utcnow())
            session.add(investigation)
            session.flush()
            for identifier in op.targets(country):
                session.add(
                    InvestigationAccountRow(
                        investigation_id=investigation.id,
                        account_id=account_rows[identifier].id,
                    )
                )
    return op


PASSPHRASE = "correct horse battery staple"


class AgencyHomes:
    """Homes of separate agencies on the backend of `base`.

    On PostgreSQL each agency gets a schema of its own, as each would have its own server:
    agencies must not see each other's cases, and a test's case names must not meet another's.
    """

    def __init__(self, base: Home) -> None:
        self.base = base
        self.schemas: list[str] = []

    def home(self, root: Path) -> Home:
        if self.base.db_url is None:
            return Home(root)
        schema = f"cg_agency_{uuid.uuid4().hex[:10]}"
        self._execute(f"create schema {schema}")
        self.schemas.append(schema)
        url = re.sub(r"search_path%3D\w+", f"search_path%3D{schema}", self.base.db_url)
        return Home(root, db_url=url)

    def close(self) -> None:
        dispose_engines()
        for schema in self.schemas:
            self._execute(f"drop schema {schema} cascade")
        self.schemas.clear()

    def _execute(self, statement: str) -> None:
        assert self.base.db_url is not None
        engine = create_engine(normalise_url(self.base.db_url))
        with engine.begin() as connection:
            connection.execute(text(statement))
        engine.dispose()


@dataclass
class Agencies:
    """A coordinator (sender) home and a partner (recipient) home that know each other."""

    coordinator: Home
    partner: Home
    outsider: Home


def make_agencies(home: Home, tmp: Path, homes: AgencyHomes | None = None) -> Agencies:
    """Keys exchanged between a coordinator (`home`), a partner and an outsider."""
    from casegraph.exchange.keys import export_public_key, generate_key, import_public_key

    homes = homes or AgencyHomes(home)
    partner, outsider = homes.home(tmp / "partner-es"), homes.home(tmp / "outsider")
    generate_key(home.root, "coord", agency="Coordinating Unit", country="NL")
    generate_key(partner.root, "es", agency="Unidad ES", country="ES")
    generate_key(outsider.root, "other", agency="Other Unit", country="FR")
    export_public_key(home.root, "coord", tmp / "coord.pub.json")
    export_public_key(partner.root, "es", tmp / "es.pub.json")
    export_public_key(outsider.root, "other", tmp / "other.pub.json")
    import_public_key(home.root, tmp / "es.pub.json")
    import_public_key(home.root, tmp / "other.pub.json")
    import_public_key(partner.root, tmp / "coord.pub.json")
    import_public_key(partner.root, tmp / "other.pub.json")
    return Agencies(home, partner, outsider)
