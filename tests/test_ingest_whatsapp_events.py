"""WhatsApp system events in six locales, with actors and targets resolved to accounts."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from casegraph.ingest.records import ParsedChat
from casegraph.ingest.whatsapp import chat_native_id, parse_whatsapp
from casegraph.ingest.whatsapp_patterns import LOCALES, wording
from casegraph.model import ChatEvent, Message

MADRID = ZoneInfo("Europe/Madrid")
LRM = "\u200e"


def parse(
    tmp_path: Path, text: str, name: str = "chat.txt", hint: str | None = None
) -> tuple[ParsedChat, list[Message | ChatEvent]]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    parsed = parse_whatsapp(
        lambda: path.open("rb"), file_name=name, tz=MADRID, name_hint=hint, default_region="ES"
    )
    return parsed, list(parsed.records)


def one_event(tmp_path: Path, body: str) -> ChatEvent:
    _, records = parse(tmp_path, f"25/02/24, 10:00 - {body}\n")
    (event,) = records
    assert isinstance(event, ChatEvent)
    return event


# (locale, system text, type, actor, targets) — invented names, wording from the reference.
CASES = [
    ("en", "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
     "WhatsApp, can read or listen to them. Tap to learn more.", "encryption_notice", None, ()),
    ("en", "Messages to this group are now secured with end-to-end encryption. Tap for more info.",
     "encryption_notice", None, ()),
    ("en", 'Mara Lind created group "Tidewater Runners"', "created", "Mara Lind", ()),
    ("en", "Mara Lind created this group", "created", "Mara Lind", ()),
    ("en", "Mara Lind added Jon Pike, Ola Berg and +34 600 000 123", "added", "Mara Lind",
     ("Jon Pike", "Ola Berg", "+34600000123")),
    ("en", "Mara Lind removed Jon Pike", "removed", "Mara Lind", ("Jon Pike",)),
    ("en", "Jon Pike left", "left", "Jon Pike", ()),
    ("en", "Jon Pike joined using this group's invite link", "joined_via_link", "Jon Pike", ()),
    ("en", "Jon Pike joined using this group’s invite link", "joined_via_link", "Jon Pike", ()),
    ("en", "Mara Lind changed the subject from “Old” to “New”", "subject_changed", "Mara Lind", ()),
    ("en", "Mara Lind changed this group's icon", "icon_changed", "Mara Lind", ()),
    ("en", "+34 600 000 123 changed to +34 600 000 456", "number_changed", "+34600000123",
     ("+34600000456",)),
    ("en", "Jon Pike changed their phone number to a new number. Tap to message or add the new "
     "number.", "number_changed", "Jon Pike", ()),
    ("en", "Your security code with Jon Pike changed. Tap to learn more.",
     "security_code_changed", "Jon Pike", ()),
    ("en", "Jon Pike turned on disappearing messages. New messages will disappear from this chat "
     "after 7 days. Tap to change.", "disappearing_messages", "Jon Pike", ()),
    ("en", "Missed voice call", "call", None, ()),
    ("en", "Jon Pike started a video call", "call", "Jon Pike", ()),
    ("en", "You're now an admin", "admin_changed", None, ()),
    ("es", "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este "
     "chat, ni siquiera WhatsApp, puede leerlos ni escucharlos. Toca para obtener más información.",
     "encryption_notice", None, ()),
    ("es", "Lola Vidal se unió usando el enlace de invitación de este grupo", "joined_via_link",
     "Lola Vidal", ()),
    ("es", "Lola Vidal salió del grupo", "left", "Lola Vidal", ()),
    ("es", "+34 600 000 123 cambió a +34 600 000 456", "number_changed", "+34600000123",
     ("+34600000456",)),
    ("es", "Lola Vidal creó el grupo “Los del Barrio”", "created", "Lola Vidal", ()),
    ("es", "Lola Vidal añadió a Bea Soto y +52 1 55 1234 5678", "added", "Lola Vidal",
     ("Bea Soto", "+525512345678")),
    ("es", "Lola Vidal agregó a Bea Soto", "added", "Lola Vidal", ("Bea Soto",)),
    ("es", "Lola Vidal eliminó a Bea Soto", "removed", "Lola Vidal", ("Bea Soto",)),
    ("es", 'Lola Vidal cambió el asunto de "Viejo" a "Nuevo"', "subject_changed", "Lola Vidal", ()),
    ("es", "Lola Vidal cambió el ícono de este grupo", "icon_changed", "Lola Vidal", ()),
    ("es", "Llamada perdida", "call", None, ()),
    ("pt", "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta e ficam "
     "somente entre você e os participantes desta conversa.", "encryption_notice", None, ()),
    ("pt", "Caio Lima criou este grupo", "created", "Caio Lima", ()),
    ("pt", "Caio Lima adicionou Rui Costa e Ana Reis", "added", "Caio Lima",
     ("Rui Costa", "Ana Reis")),
    ("pt", "Caio Lima removeu Rui Costa", "removed", "Caio Lima", ("Rui Costa",)),
    ("pt", "Rui Costa saiu", "left", "Rui Costa", ()),
    ("pt", "Rui Costa entrou usando o link de convite deste grupo", "joined_via_link",
     "Rui Costa", ()),
    ("pt", 'Caio Lima mudou o assunto de "A" para "B"', "subject_changed", "Caio Lima", ()),
    ("pt", "Caio Lima mudou a imagem deste grupo", "icon_changed", "Caio Lima", ()),
    ("de", "Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Niemand außerhalb dieses "
     "Chats kann sie lesen oder anhören, nicht einmal WhatsApp. Tippe, um mehr zu erfahren.",
     "encryption_notice", None, ()),
    ("de", "Jonas Keller hat die Gruppe „Lauftreff“ erstellt.", "created", "Jonas Keller", ()),
    ("de", "Jonas Keller hat Mia Roth und Lukas Brandt hinzugefügt.", "added", "Jonas Keller",
     ("Mia Roth", "Lukas Brandt")),
    ("de", "Jonas Keller hat Mia Roth entfernt.", "removed", "Jonas Keller", ("Mia Roth",)),
    ("de", "Mia Roth hat die Gruppe verlassen.", "left", "Mia Roth", ()),
    ("de", "Jonas Keller hat den Betreff von „Alt“ zu „Neu“ geändert.", "subject_changed",
     "Jonas Keller", ()),
    ("de", "Jonas Keller hat das Gruppenbild geändert.", "icon_changed", "Jonas Keller", ()),
    ("de", "+49 1523 0000000 hat zu +49 1523 0000001 gewechselt.", "number_changed",
     "+4915230000000", ("+4915230000001",)),
    ("de", "Deine Sicherheitsnummer für Mia Roth hat sich geändert. Tippe, um mehr zu erfahren.",
     "security_code_changed", "Mia Roth", ()),
    ("de", "Verpasster Sprachanruf", "call", None, ()),
    ("de", "Mia Roth hat einen Videoanruf gestartet.", "call", "Mia Roth", ()),
    ("fr", "Les messages et les appels sont chiffrés de bout en bout.", "encryption_notice",
     None, ()),
    ("fr", "Lucie Blanc a créé le groupe « Les Amis »", "created", "Lucie Blanc", ()),
    ("fr", "Lucie Blanc a ajouté Paul Roy et Jade Lenoir", "added", "Lucie Blanc",
     ("Paul Roy", "Jade Lenoir")),
    ("fr", "Lucie Blanc a retiré Paul Roy", "removed", "Lucie Blanc", ("Paul Roy",)),
    ("fr", "Paul Roy a quitté le groupe", "left", "Paul Roy", ()),
    ("fr", "Paul Roy a rejoint en utilisant le lien d'invitation de ce groupe", "joined_via_link",
     "Paul Roy", ()),
    ("fr", "Lucie Blanc a modifié le sujet de « A » en « B »", "subject_changed", "Lucie Blanc",
     ()),
    ("fr", "Lucie Blanc a changé la photo du groupe", "icon_changed", "Lucie Blanc", ()),
    ("it", "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa "
     "chat può leggerli.", "encryption_notice", None, ()),
    ("it", 'Sara Greco ha creato il gruppo "Amici"', "created", "Sara Greco", ()),
    ("it", "Sara Greco ha aggiunto Luca Fabbri e Marta Villa", "added", "Sara Greco",
     ("Luca Fabbri", "Marta Villa")),
    ("it", "Sara Greco ha rimosso Luca Fabbri", "removed", "Sara Greco", ("Luca Fabbri",)),
    ("it", "Luca Fabbri ha abbandonato il gruppo", "left", "Luca Fabbri", ()),
    ("it", "Luca Fabbri si è unito tramite link di invito del gruppo", "joined_via_link",
     "Luca Fabbri", ()),
    ("it", "Sara Greco ha modificato l'oggetto da \"A\" a \"B\"", "subject_changed", "Sara Greco",
     ()),
    ("it", "Sara Greco ha cambiato l'immagine del gruppo", "icon_changed", "Sara Greco", ()),
    ("it", "+39 333 000 0000 è passato a +39 333 000 0001", "number_changed", "+393330000000",
     ("+393330000001",)),
]  # fmt: skip


@pytest.mark.parametrize(("locale", "text", "kind", "actor", "targets"), CASES)
def test_system_event_in_every_locale(
    tmp_path: Path, locale: str, text: str, kind: str, actor: str | None, targets: tuple[str, ...]
) -> None:
    event = one_event(tmp_path, text)
    assert (event.type, event.actor, event.targets) == (kind, actor, targets)
    assert event.details["locale"] == locale
    assert event.text == text


def test_every_locale_has_a_pattern_file_with_a_version() -> None:
    words = wording()
    assert set(words.versions) == set(LOCALES) == {"en", "es", "pt", "de", "fr", "it"}
    assert {t.locale for t in words.templates} == set(LOCALES)


def test_unconfirmed_wording_is_flagged_in_the_event(tmp_path: Path) -> None:
    assert (
        one_event(tmp_path, "Lola Vidal eliminó a Bea Soto").details["confirmed_wording"] is False
    )
    assert one_event(tmp_path, "Jon Pike left").details["confirmed_wording"] is True


def test_exporter_forms_resolve_to_no_account(tmp_path: Path) -> None:
    created = one_event(tmp_path, 'You created group "Night Owls"')
    added = one_event(tmp_path, "Ana Ruiz added you")
    assert (created.actor, created.details["actor_is_exporter"]) == (None, True)
    assert added.targets == () and added.details["targets_include_exporter"] is True
    german = one_event(tmp_path, "Du hast Mia Roth hinzugefügt.")
    assert (german.actor, german.targets) == (None, ("Mia Roth",))


def test_unrecognised_system_line_is_unclassified_never_text(tmp_path: Path) -> None:
    parsed, records = parse(tmp_path, "25/02/24, 10:00 - Something new happened to this group\n")
    (event,) = records
    assert isinstance(event, ChatEvent) and event.type == "unclassified"
    assert event.text == "Something new happened to this group"
    assert parsed.accounts == {}


def test_modern_ios_actor_in_author_slot(tmp_path: Path) -> None:
    text = (
        "[14/02/2024, 20:30:12] Mara Lind: Mara Lind created group “Tidewater Runners”\n"
        f"[14/02/2024, 20:31:05] Tidewater Runners: {LRM}Mara Lind added Jon Pike\n"
        "[14/02/2024, 20:32:00] ~\u202fRafa: ~\u202fRafa joined using this group's invite link\n"
        "[14/02/2024, 20:33:00] Jon Pike: Mara Lind left\n"
        "[14/02/2024, 20:34:00] Jon Pike: hi\n"
    )
    parsed, records = parse(tmp_path, text)
    created, added, joined, typed, _ = records
    assert isinstance(created, ChatEvent) and created.type == "created"
    assert (created.actor, created.label) == ("Mara Lind", "Mara Lind")
    assert isinstance(added, ChatEvent) and added.type == "added"
    assert (added.actor, added.targets, added.label) == (
        "Mara Lind",
        ("Jon Pike",),
        "Tidewater Runners",
    )
    assert isinstance(joined, ChatEvent) and joined.actor == "Rafa"
    assert isinstance(typed, Message), "a member typing event-like words stays a message"
    assert "Tidewater Runners" not in parsed.accounts


def test_group_name_labelled_encryption_notice_is_an_event(tmp_path: Path) -> None:
    text = (
        "09.06.17, 11:02 - Cala Norte: Messages and calls are end-to-end encrypted. "
        "Tap to learn more.\n"
        "13.06.17, 11:03 - Ana: hola\n"
    )
    parsed, records = parse(tmp_path, text, hint="Cala Norte")
    assert isinstance(records[0], ChatEvent) and records[0].type == "encryption_notice"
    assert records[0].label == "Cala Norte"
    assert "Cala Norte" not in parsed.accounts


def test_subject_with_colon_is_one_system_line(tmp_path: Path) -> None:
    event = one_event(tmp_path, "Ana Ruiz changed the subject from “Plan: A” to “Plan: B”")
    assert (event.type, event.details["old"], event.details["new"]) == (
        "subject_changed",
        "Plan: A",
        "Plan: B",
    )


def test_title_aliases_and_native_id_follow_subject_history(tmp_path: Path) -> None:
    text = (
        '25/02/24, 10:00 - Ana created group "First"\n'
        '25/02/24, 10:01 - Ana changed the subject from "First" to "Second"\n'
        '26/02/24, 10:02 - Bo changed the subject from "Second" to "Third"\n'
    )
    parsed, _ = parse(tmp_path, text, hint="Third")
    assert parsed.chat is not None
    assert (parsed.chat.title, parsed.chat.aliases) == ("Third", ["First", "Second"])
    assert parsed.chat.native_id == chat_native_id("First")


def test_truncated_export_keys_on_the_earliest_rename(tmp_path: Path) -> None:
    text = '25/02/24, 10:01 - Ana changed the subject from "First" to "Second"\n'
    parsed, _ = parse(tmp_path, text)
    assert parsed.chat is not None and parsed.chat.native_id == chat_native_id("First")


def test_without_subject_events_the_file_name_hint_names_the_chat(tmp_path: Path) -> None:
    parsed, _ = parse(tmp_path, "25/02/24, 10:00 - Ana: hola\n", hint="Los Amigos")
    assert parsed.chat is not None
    assert (parsed.chat.title, parsed.chat.native_id) == ("Los Amigos", "subject:los amigos")


def test_display_names_kept_verbatim_with_emoji_and_rtl(tmp_path: Path) -> None:
    text = "25/02/24, 10:00 - Lía 🌸: hola\n25/02/24, 10:01 - \u202bسارة\u202c: مرحبا\n"
    parsed, records = parse(tmp_path, text)
    assert parsed.accounts["Lía 🌸"].names == ["Lía 🌸"]
    rtl = [m for m in records if isinstance(m, Message)][1]
    assert rtl.author == "سارة" and parsed.accounts["سارة"].names == ["\u202bسارة\u202c"]


def test_unknown_text_under_the_group_label_is_unclassified(tmp_path: Path) -> None:
    text = (
        '[14/02/2024, 20:30:12] Mara Lind: Mara Lind created group "Tidewater Runners"\n'
        f"[14/02/2024, 20:31:05] Tidewater Runners: {LRM}Mara Lind pinned a message\n"
    )
    parsed, records = parse(tmp_path, text)
    event = records[1]
    assert isinstance(event, ChatEvent)
    assert (event.type, event.label) == ("unclassified", "Tidewater Runners")
    assert "Tidewater Runners" not in parsed.accounts
