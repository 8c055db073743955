"""A small synthetic case written through the store API, for the web and intake tests.

Everything is invented: Spanish numbers in the +34 600 fictional-use style, Mexican numbers
in +52 55 5000 01xx, benign drawn images. Matched media is "matched" only because its hash
was put into a synthetic hash list.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw

from casegraph.model import account_key, chat_key
from casegraph.store.cases import Home
from casegraph.store.db import utcnow
from casegraph.store.schema import (
    AccountRow,
    AttachmentRow,
    ChatEventRow,
    ChatRow,
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

INVITE = "https://chat.whatsapp.com/SynthInviteAlpha01"
ES_PHONES = ("+34600000101", "+34600000102", "+34600000103")
MX_PHONES = ("+525550000101", "+525550000102")
PARENT_TITLE = "Sunrise Stickers"
CHILD_TITLE = "Sunrise Stickers Reserve"


@dataclass
class Built:
    case: str
    accounts: dict[str, str] = field(default_factory=dict)  # identifier -> account key
    chats: dict[str, str] = field(default_factory=dict)  # title -> chat key
    plain_media: str = ""
    matched_media: str = ""
    video_media: str = ""


def drawn_png(seed: int, size: int = 96) -> bytes:
    """A benign picture: coloured boxes and a circle on a tinted background."""
    image = Image.new("RGB", (size, size), (40 + seed * 30 % 200, 120, 200 - seed * 20 % 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size // 2, size // 2), fill=(250, 220, 40))
    draw.ellipse((size // 3, size // 3, size - 8, size - 8), fill=(20, 160 + seed % 90, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_case(home: Home, name: str = "op-alpha", messages_per_chat: int = 30) -> Built:
    """One operation: a parent group and its break-off, ES and MX members, three media files."""
    case = home.create_case(name, timezone="Europe/Madrid", agency="ES", actor="fixture")
    built = Built(case=name)
    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    plain, matched = drawn_png(1), drawn_png(2)
    plain_hashes, _ = case.evidence.put_bytes(plain)
    matched_hashes, _ = case.evidence.put_bytes(matched)
    video_hashes, _ = case.evidence.put_bytes(b"\x00\x00\x00\x18ftypmp42synthetic-video")
    with case.mutate("fixture", "fixture.build", f"case:{name}") as s:
        source = SourceRow(
            case_id=case.id,
            sha256="a" * 64,
            md5="b" * 32,
            sha1="c" * 40,
            size=1,
            filename="WhatsApp Chat with Sunrise Stickers.zip",
            format="whatsapp",
            received_at=utcnow(),
        )
        s.add(source)
        s.flush()
        accounts: dict[str, AccountRow] = {}
        for phone, country, names in (
            *((p, "ES", [f"Nombre {i}"]) for i, p in enumerate(ES_PHONES)),
            *((p, "MX", [f"Apodo {i}"]) for i, p in enumerate(MX_PHONES)),
        ):
            row = AccountRow(
                case_id=case.id,
                key=account_key("whatsapp", phone, case.id_secret),
                platform="whatsapp",
                identifier=phone,
                identifier_kind="phone",
                names=names,
                phone_country=country,
                country=country,
                country_confidence=0.9,
                country_reasons=[f"phone number plan {country}"],
                languages=["es"],
            )
            s.add(row)
            accounts[phone] = row
            built.accounts[phone] = row.key
        s.flush()
        chats: dict[str, ChatRow] = {}
        for title, native, creator in (
            (PARENT_TITLE, "wa-parent", ES_PHONES[0]),
            (CHILD_TITLE, "wa-child", MX_PHONES[0]),
        ):
            chat = ChatRow(
                case_id=case.id,
                key=chat_key("whatsapp", native, case.id_secret),
                platform="whatsapp",
                native_id=native,
                title=title,
                aliases=[f"{title} (old)"],
                created_by=accounts[creator].id,
                created_at=start,
            )
            s.add(chat)
            s.flush()
            chats[title] = chat
            built.chats[title] = chat.key
        chats[CHILD_TITLE].parent_id = chats[PARENT_TITLE].id
        chats[CHILD_TITLE].parent_confidence = 0.8
        chats[CHILD_TITLE].parent_evidence = ["invite link from the parent was used"]
        members = {
            PARENT_TITLE: [*ES_PHONES, MX_PHONES[0]],
            CHILD_TITLE: [ES_PHONES[0], *MX_PHONES],
        }
        for title, phones in members.items():
            for phone in phones:
                s.add(
                    MembershipRow(
                        case_id=case.id,
                        chat_id=chats[title].id,
                        account_id=accounts[phone].id,
                        since=start,
                        via="authored",
                    )
                )
        media: dict[str, MediaRow] = {}
        for hashes, kind in (
            (plain_hashes, "image"),
            (matched_hashes, "image"),
            (video_hashes, "video"),
        ):
            media_row = MediaRow(
                case_id=case.id,
                sha256=hashes.sha256,
                md5=hashes.md5,
                sha1=hashes.sha1,
                size=hashes.size,
                kind=kind,
                cluster=None,
            )
            s.add(media_row)
            media[hashes.sha256] = media_row
        media[plain_hashes.sha256].cluster = "cluster-plain"
        s.flush()
        for title, phones in members.items():
            chat = chats[title]
            for seq in range(messages_per_chat):
                phone = phones[seq % len(phones)]
                text = f"mensaje {seq} sobre pegatinas en {title}"
                if seq == 3 and title == PARENT_TITLE:
                    text = f"nuevo grupo aqui {INVITE}"
                if seq == 4:
                    text = "palabraunica del grupo " + title
                message = MessageRow(
                    case_id=case.id,
                    chat_id=chat.id,
                    source_id=source.id,
                    seq=seq,
                    sent_at=start + timedelta(hours=seq + (0 if title == PARENT_TITLE else 100)),
                    account_id=accounts[phone].id,
                    author_label=phone,
                    text=text,
                    kind="media" if seq in (5, 6, 7) else "text",
                )
                s.add(message)
                s.flush()
                attached = {5: plain_hashes, 6: matched_hashes, 7: video_hashes}.get(seq)
                if attached is not None:
                    s.add(
                        AttachmentRow(
                            case_id=case.id,
                            message_id=message.id,
                            reference=f"IMG-{seq}.png",
                            kind="image",
                            media_id=media[attached.sha256].id,
                        )
                    )
            s.add(
                ChatEventRow(
                    case_id=case.id,
                    chat_id=chat.id,
                    source_id=source.id,
                    seq=0,
                    at=start,
                    type="created",
                    actor_id=accounts[phones[0]].id,
                    text=f"{phones[0]} created group",
                )
            )
            s.add(
                ChatEventRow(
                    case_id=case.id,
                    chat_id=chat.id,
                    source_id=source.id,
                    seq=1,
                    at=start + timedelta(minutes=5),
                    type="admin_changed",
                    actor_id=accounts[phones[0]].id,
                    target_ids=[accounts[phones[1]].id],
                    text=f"{phones[1]} is now an admin",
                )
            )
        hash_list = HashListRow(
            case_id=case.id,
            name="synthetic-known",
            format="csv",
            imported_at=utcnow(),
            entry_count=1,
        )
        s.add(hash_list)
        s.flush()
        entry = HashEntryRow(
            list_id=hash_list.id,
            entry_id="K-1",
            sha256=matched_hashes.sha256,
            category="1",
            scheme="csv",
        )
        s.add(entry)
        s.flush()
        s.add(
            MatchRow(
                case_id=case.id,
                media_id=media[matched_hashes.sha256].id,
                list_id=hash_list.id,
                entry_id=entry.id,
                method="sha256",
                category="1",
                scheme="csv",
            )
        )
        referrals: tuple[tuple[str, tuple[str, ...], str, tuple[int, ...]], ...] = (
            ("ES", ES_PHONES, "referred", (31, 45)),
            ("MX", MX_PHONES, "proposed", (28,)),
        )
        for country, country_phones, status, ages in referrals:
            phones = list(country_phones)
            investigation = InvestigationRow(
                case_id=case.id,
                country=country,
                status=status,
                arrests=len(ages),
                suspects=len(phones),
                minors=1,
                created_at=utcnow(),
            )
            s.add(investigation)
            s.flush()
            for i, phone in enumerate(phones):
                s.add(
                    InvestigationAccountRow(
                        investigation_id=investigation.id, account_id=accounts[phone].id
                    )
                )
                if i < len(ages):
                    person = PersonRow(
                        case_id=case.id,
                        key=f"person-{country}-{i}",
                        label=f"Persona {country} {i}",
                        age=ages[i],
                    )
                    s.add(person)
                    s.flush()
                    accounts[phone].person_id = person.id
    built.plain_media = plain_hashes.sha256
    built.matched_media = matched_hashes.sha256
    built.video_media = video_hashes.sha256
    return built


CSRF_FIELD = 'name="csrf_token" value="'
PASSWORDS = {
    "admin": "admin-pass-123",
    "analyst": "analyst-pass-123",
    "reviewer": "reviewer-pass-123",
    "liaison": "liaison-pass-123",
    "auditor": "auditor-pass-123",
}


def seed_users(home: Home, *roles: str) -> None:
    """One user per role (default: all, plus liaison-mx); the liaison officer is Spain's (ES)."""
    from casegraph.web.users import add_user

    for role in roles or PASSWORDS:
        add_user(home, role, PASSWORDS[role], role, "ES" if role == "liaison" else None)
    if not roles:
        add_user(home, "liaison-mx", "liaison-pass-123", "liaison", "MX")


def csrf_of(html: str) -> str:
    start = html.index(CSRF_FIELD) + len(CSRF_FIELD)
    return html[start : html.index('"', start)]


def login(client: Any, username: str, password: str | None = None) -> None:
    """Log a TestClient in through the real login form."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password or PASSWORDS.get(username, "liaison-pass-123"),
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


_addresses = itertools.count(1)


def make_client(home: Home, **options: Any) -> Any:
    """A browser at an address of its own: rate limits are per address and shared by every
    app over the home (as by `serve --workers`), so test clients must not share one."""
    from fastapi.testclient import TestClient

    from casegraph.web.app import create_app

    n = next(_addresses)
    address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return TestClient(create_app(home, **options), client=(address, 50000))


class LiveServer:
    """uvicorn on 127.0.0.1 at a free port, in a background thread."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


KEY_PASSPHRASE = "synthetic-key-passphrase"
OWN_KEY = "es-unit"
PARTNER_KEY = "es-partner"


def add_referral_keys(home: Home, passphrase: str = KEY_PASSPHRASE) -> tuple[str, str]:
    """Our signing identity and a partner's public key (made in a separate, partner-side home).

    Returns (own identity name, partner key name)."""
    from casegraph.exchange.keys import export_public_key, generate_key, import_public_key

    generate_key(home.root, OWN_KEY, "Synthetic Unit", "ES", passphrase)
    partner_root = home.root.parent / "partner-home"
    generate_key(partner_root, PARTNER_KEY, "Synthetic Partner Unit", "ES", passphrase)
    exported = export_public_key(partner_root, PARTNER_KEY, home.root.parent / "partner.pub.json")
    import_public_key(home.root, exported)
    return OWN_KEY, PARTNER_KEY
