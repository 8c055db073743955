"""Mundane group chatter per language: plans, football, weather, school, food, greetings.

No line uses the verbs of system events (joined, left, added, changed ...), so a line count
in tests can tell messages from events by wording alone.
"""

from __future__ import annotations

import random

PHRASES: dict[str, tuple[str, ...]] = {
    "es": (
        "Buenas a todos",
        "¿Alguien sabe a qué hora empieza el partido?",
        "jajaja qué bueno",
        "Mañana no puedo, tengo examen",
        "Qué calor hace hoy",
        "¿Quién viene el sábado?",
        "Ese sticker está muy bien",
        "Me quedo sin batería, luego hablamos",
        "Vale, perfecto",
        "Hoy toca pizza",
        "¿Alguien tiene los apuntes de mates?",
        "Qué sueño tengo",
        "Mirad qué gracioso",
        "Jajajaja no puedo más",
        "Llego en diez minutos",
        "El bus va lleno otra vez",
        "¿Habéis visto el gol de ayer?",
        "Buenas noches gente",
        "Mandad más stickers",
        "Esto se está llenando",
        "Qué pereza el lunes",
        "Yo voy seguro",
        "Me encanta esa canción",
        "Está lloviendo muchísimo aquí",
        "¿Qué tal el finde?",
        "No me llegó el mensaje",
        "Ahora lo miro",
        "Ese es el mejor 😂",
        "Uff qué día",
    ),
    "pt": (
        "Bom dia pessoal",
        "Alguém vai no jogo hoje?",
        "kkkkkk muito bom",
        "Hoje tem churrasco",
        "Que calor",
        "Chego em dez minutos",
        "Esse figurinha é ótima",
        "Boa noite a todos",
        "Alguém viu o jogo ontem?",
        "Vou sim",
        "Tô sem bateria",
        "Que preguiça de segunda",
    ),
    "it": (
        "Ciao a tutti",
        "Chi viene sabato?",
        "Ahahah bellissimo",
        "Che caldo oggi",
        "Arrivo tra dieci minuti",
        "Avete visto la partita?",
        "Buonanotte ragazzi",
        "Domani non posso",
        "Che sonno",
        "Bello questo sticker",
        "Stasera pizza?",
        "Va bene",
    ),
    "fr": (
        "Salut tout le monde",
        "Qui vient samedi ?",
        "Mdr trop bien",
        "Il fait trop chaud",
        "J'arrive dans dix minutes",
        "Vous avez vu le match ?",
        "Bonne nuit",
        "Demain je peux pas",
        "Entraînement à 18h",
        "Super ce sticker",
        "On se voit au stade",
        "D'accord",
    ),
    "en": (
        "Morning all",
        "Who's coming Saturday?",
        "haha that's great",
        "So hot today",
        "Be there in ten",
        "Did you see the match?",
        "Night everyone",
        "Can't make it tomorrow",
        "Running late sorry",
        "Love that sticker",
        "Pizza tonight?",
        "Sounds good",
        "Next chapter for Thursday?",
        "Anyone got a spare charger?",
    ),
}

SECOND_PARAGRAPH: dict[str, tuple[str, ...]] = {
    "es": ("Y traed agua que hace calor", "Os aviso luego", "Confirmad antes de las ocho"),
    "pt": ("Confirmem até as oito",),
    "it": ("Confermate entro le otto",),
    "fr": ("Confirmez avant 20h",),
    "en": ("Reply before noon", "Bring snacks"),
}

CAPTIONS = {
    "es": "mirad este 😂",
    "en": "look at this one",
    "pt": "olha essa",
    "it": "guardate",
    "fr": "regardez",
}


def chatter(rng: random.Random, language: str) -> str:
    """One short line of chatter in `language`."""
    text = rng.choice(PHRASES[language])
    if rng.random() < 0.15:
        text += " " + rng.choice(("😂", "👍", "🔥", "🙌", "😅", "⚽"))
    return text


def multi_line(rng: random.Random, language: str) -> str:
    """A body of two paragraphs separated by a blank line, as people type them."""
    return f"{chatter(rng, language)}\n\n{rng.choice(SECOND_PARAGRAPH[language])}"
