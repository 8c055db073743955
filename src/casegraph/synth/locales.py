"""WhatsApp export variants: header shapes, system-event wordings, markers and file names.

Wordings are the ones in shared/reference/chat-formats.md §1.5-1.8 for each language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

NBSP, NNBSP, LRM, BOM = "\u00a0", "\u202f", "\u200e", "\ufeff"

E2E = {
    "es": "Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este "
    "chat, ni siquiera WhatsApp, puede leerlos ni escucharlos. Toca para obtener más información.",
    "en": "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more.",
    "pt": "As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta e ficam "
    "somente entre você e os participantes desta conversa.",
    "fr": "Les messages et les appels sont chiffrés de bout en bout. Personne en dehors de cette "
    "discussion, pas même WhatsApp, ne peut les lire ou les écouter.",
    "it": "I messaggi e le chiamate sono crittografati end-to-end. Nessuno al di fuori di questa "
    "chat, nemmeno WhatsApp, può leggerli o ascoltarli.",
}

# event type -> template; {A} actor, {B} targets, {G} subject, {old}/{new} subjects or numbers.
EVENTS: dict[str, dict[str, str]] = {
    "es": {
        "created": "{A} creó el grupo “{G}”",
        "added": "{A} añadió a {B}",
        "removed": "{A} eliminó a {B}",
        "left": "{A} salió del grupo",
        "joined_via_link": "{A} se unió usando el enlace de invitación de este grupo",
        "subject_changed": '{A} cambió el asunto de "{old}" a "{new}"',
        "icon_changed": "{A} cambió el ícono de este grupo",
        "number_changed": "{old} cambió a {new}",
    },
    "en": {
        "created": '{A} created group "{G}"',
        "added": "{A} added {B}",
        "removed": "{A} removed {B}",
        "left": "{A} left",
        "joined_via_link": "{A} joined using this group's invite link",
        "subject_changed": "{A} changed the subject from “{old}” to “{new}”",
        "icon_changed": "{A} changed this group's icon",
        "number_changed": "{old} changed to {new}",
    },
    "pt": {
        "created": "{A} criou este grupo",
        "added": "{A} adicionou {B}",
        "removed": "{A} removeu {B}",
        "left": "{A} saiu",
        "joined_via_link": "{A} entrou usando o link de convite deste grupo",
        "subject_changed": '{A} mudou o assunto de "{old}" para "{new}"',
        "icon_changed": "{A} mudou a imagem deste grupo",
        "number_changed": "{old} mudou para {new}",
    },
    "fr": {
        "created": "{A} a créé le groupe « {G} »",
        "added": "{A} a ajouté {B}",
        "removed": "{A} a retiré {B}",
        "left": "{A} a quitté le groupe",
        "joined_via_link": "{A} a rejoint en utilisant le lien d'invitation de ce groupe",
        "subject_changed": "{A} a modifié le sujet de « {old} » en « {new} »",
        "icon_changed": "{A} a changé la photo du groupe",
        "number_changed": "{old} a changé pour {new}",
    },
    "it": {
        "created": '{A} ha creato il gruppo "{G}"',
        "added": "{A} ha aggiunto {B}",
        "removed": "{A} ha rimosso {B}",
        "left": "{A} ha abbandonato il gruppo",
        "joined_via_link": "{A} si è unito tramite link di invito del gruppo",
        "subject_changed": '{A} ha modificato l\'oggetto da "{old}" a "{new}"',
        "icon_changed": "{A} ha cambiato l'immagine del gruppo",
        "number_changed": "{old} è passato a {new}",
    },
}

TARGET_JOIN = {
    "es": " y ",
    "en": ", ",
    "pt": " e ",
    "fr": " et ",
    "it": " e ",
}  # before the last target
MEDIA_OMITTED = {
    "es": "<Multimedia omitido>",
    "en": "<Media omitted>",
    "pt": "<Mídia omitida>",
    "fr": "<médias omis>",
    "it": "<media omessi>",
}
IOS_OMITTED = {
    "es": {"image": "imagen omitida", "sticker": "sticker omitido", "video": "video omitido"},
    "en": {"image": "image omitted", "sticker": "sticker omitted", "video": "video omitted"},
}
DELETED = {
    "es": "Se eliminó este mensaje.",
    "en": "This message was deleted",
    "pt": "Mensagem apagada",
}
ANDROID_ATTACHED = {
    "es": "(archivo adjunto)",
    "en": "(file attached)",
    "pt": "(arquivo anexado)",
    "fr": "(fichier joint)",
    "it": "(file allegato)",
}
IOS_ATTACHED = {"es": "<adjunto: {name}>", "en": "<attached: {name}>"}
ANDROID_CHAT_NAME = {
    "es": "Chat de WhatsApp con {name}",
    "en": "WhatsApp Chat with {name}",
    "pt": "Conversa do WhatsApp com {name}",
    "fr": "Discussion WhatsApp avec {name}",
    "it": "Chat WhatsApp con {name}",
}


def _h12(hour: int) -> int:
    return hour % 12 or 12


def _android_es_12h(t: datetime) -> str:
    token = f"a.{NBSP}m." if t.hour < 12 else f"p.{NBSP}m."
    return f"{t.day:02d}/{t.month:02d}/{t.year % 100:02d} {_h12(t.hour)}:{t.minute:02d} {token} - "


def _ios_es_12h(t: datetime) -> str:
    token = "a.m." if t.hour < 12 else "p.m."
    return (
        f"[{t.day:02d}/{t.month:02d}/{t.year % 100:02d} "
        f"{_h12(t.hour)}:{t.minute:02d}:{t.second:02d} {token}] "
    )


def _ios_en_12h(t: datetime) -> str:
    token = "AM" if t.hour < 12 else "PM"
    return (
        f"[{t.day:02d}/{t.month:02d}/{t.year}, "
        f"{_h12(t.hour)}:{t.minute:02d}:{t.second:02d}{NNBSP}{token}] "
    )


def _android_it(t: datetime) -> str:
    return f"{t.day:02d}/{t.month:02d}/{t.year % 100:02d}, {t.hour:02d}:{t.minute:02d} - "


def _android_pt_br(t: datetime) -> str:
    return f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d} - "


def _android_fr(t: datetime) -> str:
    return f"{t.day:02d}/{t.month:02d}/{t.year} à {t.hour:02d}:{t.minute:02d} - "


def _android_en_gb(t: datetime) -> str:
    return f"{t.day:02d}/{t.month:02d}/{t.year}, {t.hour:02d}:{t.minute:02d} - "


def _android_en_us(t: datetime) -> str:
    return f"{t.month}/{t.day}/{t.year % 100:02d}, {t.hour}:{t.minute:02d} - "


@dataclass(frozen=True, slots=True)
class Variant:
    """One export shape: who wrote it (Android/iOS), in which language, with which header."""

    name: str
    os: str  # "android" | "ios"
    language: str
    header: Callable[[datetime], str]
    newline: str = "\n"

    @property
    def events(self) -> dict[str, str]:
        return EVENTS[self.language]


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("android-es-12h", "android", "es", _android_es_12h),
        Variant("ios-es-12h", "ios", "es", _ios_es_12h),
        Variant("ios-en-12h-nnbsp", "ios", "en", _ios_en_12h),
        Variant("android-it-24h", "android", "it", _android_it),
        Variant("android-pt-br-24h", "android", "pt", _android_pt_br),
        Variant("android-fr-24h", "android", "fr", _android_fr),
        Variant("android-en-us-24h", "android", "en", _android_en_us, newline="\r\n"),
        Variant("android-en-gb-24h", "android", "en", _android_en_gb),
    )
}
