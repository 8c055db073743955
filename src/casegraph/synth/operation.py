"""The small synthetic operation: who is in which group, when groups break off, what is posted.

Parent g1 (the tip names it) -> break-offs g2 (from g1), g3 (from g2), g4 (from g1); a Telegram
group t1 with some of the same people; control chats c1-c3 with nobody from the operation.
Invite links are posted in the parent after the break-off exists (WhatsApp only issues links
for existing groups) and before anyone joins through them.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from casegraph.synth.builder import ChatBuilder
from casegraph.synth.people import (
    Person,
    international,
    make_person,
    mexican_legacy,
    random_mobile,
    telegram_id,
)
from casegraph.synth.records import ChatPlan, MediaItem

NBSP, NB_HYPHEN = "\u00a0", "\u2011"
OP_COUNTRIES = {"ES": 9, "MX": 5, "AR": 3, "CO": 2, "PE": 2, "CL": 2, "IT": 3, "FR": 2, "BR": 1,
                "GB": 1}  # fmt: skip
# what each chat posts, in posting order; chats exported without media show markers instead
POSTS = {
    "g1": "S0 S1 S2 S3 S4 S5 S6 S7 S8 S9 A0 A1 P0 P1 P2 P3 V0 S0 S3 P0",
    "g2": "S0 S1 S2r A0 A1 P0r P1 P4 S10 S11 V1 S10",
    "g3": "S0r S10r S12 A2 P1r P5 S1 A0r S12",
    "g4": "S0 " * 6,
    "t1": "S0 S3 S12 S13 A3 P3 P2r P4 V0",
    "c1": "P0 " * 6,
    "c2": "P0 " * 4,
    "c3": "P0 " * 3,
}
# chat -> (first chatter, last chatter, number of chatter messages)
SPANS = {
    "g1": ("2024-01-08T18:40:00", "2024-04-12T22:00:00", 640),
    "g2": ("2024-02-14T21:20:00", "2024-04-10T23:00:00", 330),
    "g3": ("2024-03-05T20:20:00", "2024-04-12T21:00:00", 195),
    "g4": ("2024-02-22T20:00:00", "2024-04-05T21:00:00", 150),
    "t1": ("2024-03-12T18:10:00", "2024-04-11T22:00:00", 200),
    "c1": ("2024-01-20T10:10:00", "2024-04-01T21:00:00", 150),
    "c2": ("2024-02-01T18:10:00", "2024-04-08T21:00:00", 150),
    "c3": ("2024-01-10T19:10:00", "2024-03-28T21:00:00", 150),
}
# chat -> (kind, count) of plain lines turned into that kind after filling
SPRINKLES = {
    "g1": (("deleted", 4), ("view_once", 3), ("media_omitted", 2)),
    "g2": (("deleted", 2), ("view_once", 2), ("media_omitted", 1)),
    "g3": (("deleted", 1),),
    "g4": (("view_once", 1),),
    "c1": (("deleted", 1),),
    "c3": (("deleted", 2),),
}
# header-shaped lines typed or pasted inside a body, in another variant than the file's
PASTED_IOS_LINE = (
    "esto me pasó mi primo:\n[12/02/24 9:15:02 p.m.] Marta Vidal: mañana no hay clase\n"
    "no sé si es verdad"
)
PASTED_ANDROID_LINE = (
    "copio lo que puso en el otro:\n28/02/24, 21:02 - Óscar Peña: no fui yo\nqué raro todo"
)
CONTROLS = (
    ("c1", "Família Oliveira", "android-pt-br-24h", "pt", "2024-01-20T10:00:00", "BR", 5),
    ("c2", "FC Bords de Loire", "android-fr-24h", "fr", "2024-02-01T18:00:00", "FR", 5),
    ("c3", "Thursday Book Club", "android-en-us-24h", "en", "2024-01-10T19:00:00", "US", 4),
)


@dataclass(slots=True)
class Operation:
    chats: list[ChatPlan]
    people: list[Person]
    tip: str


def invite_link(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "https://chat.whatsapp.com/" + "".join(rng.choice(alphabet) for _ in range(22))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ph(person: Person) -> str:
    return person.phone or ""


class Story:
    """Builds the operation chat by chat; `c` maps a country to its operation members."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()
        self.names: set[str] = set()  # unique full names, so a saved contact name names one person
        self.people: list[Person] = []
        self.c: dict[str, list[Person]] = {}
        for country, count in OP_COUNTRIES.items():
            for _ in range(count):
                person = make_person(
                    rng, f"op{len(self.people)}", country, self.taken, names=self.names
                )
                self.people.append(person)
                self.c.setdefault(country, []).append(person)
        # the subscriber whose number older phones show in the legacy +52 1 form
        self.c["MX"][0].phone = random_mobile(rng, "MX", self.taken, prefix="55")
        # one member changes number mid-operation; the old number stays an account of its own
        changer = self.c["ES"][3]
        self.old_number = ph(changer)
        changer.extra_phones.append(self.old_number)
        changer.phone = random_mobile(rng, "ES", self.taken)
        self.language_of = {ph(p): p.language for p in self.people} | {self.old_number: "es"}
        self.chats: dict[str, ChatPlan] = {}
        self.builders: dict[str, ChatBuilder] = {}
        self.extra_people: list[Person] = []

    def numbers(self, members: list[Person]) -> dict[str, str]:
        return {ph(p): international(ph(p)) for p in members if p.phone}

    def new_chat(self, plan: ChatPlan) -> ChatBuilder:
        self.chats[plan.id] = plan
        self.builders[plan.id] = ChatBuilder(plan, self.rng, self.language_of)
        return self.builders[plan.id]

    def parent(self) -> None:
        es, mx, ar, it = self.c["ES"], self.c["MX"], self.c["AR"], self.c["IT"]
        g1 = ChatPlan("g1", "whatsapp", "Los Stickers del Barrio", "android-es-12h", True, "es",
                      aliases=["Stickers 2024"], invite_link=invite_link(self.rng))  # fmt: skip
        g1.labels = self.numbers(self.people) | {self.old_number: international(self.old_number)}
        g1.labels[ph(mx[0])] = mexican_legacy(ph(mx[0]))
        g1.labels[ph(ar[1])] = international(ph(ar[1])).replace("-", NB_HYPHEN)
        b = self.new_chat(g1)
        b.busy = {ph(es[0]), ph(es[1]), ph(mx[0])}
        initial = [ph(es[1]), ph(es[2]), self.old_number, ph(mx[0]), ph(ar[0])]
        b.created(_at("2024-01-08T18:30:00"), ph(es[0]), initial)
        joiners = es[4:7] + mx[1:4] + ar[1:3] + self.c["CO"] + self.c["PE"] + self.c["CL"][:1]
        for n, person in enumerate([*joiners, it[0], it[1], self.c["FR"][0]]):
            at = _at("2024-01-09T17:00:00") + timedelta(days=n, minutes=self.rng.randrange(300))
            b.joined(at, ph(person))
        b.subject(_at("2024-01-20T20:14:00"), ph(es[0]), "Stickers 2024", g1.title)
        b.icon(_at("2024-01-21T11:02:00"), ph(es[1]))
        b.number(_at("2024-02-25T10:41:00"), self.old_number, ph(es[3]))
        b.left(_at("2024-03-01T22:05:00"), ph(mx[3]))
        b.left(_at("2024-03-10T09:12:00"), ph(ar[2]))
        b.removed(_at("2024-03-15T19:30:00"), ph(es[0]), ph(self.c["CO"][1]))
        b.added(_at("2024-03-20T18:45:00"), ph(es[0]), [ph(es[7])])
        b.post(_at("2024-02-13T21:40:00"), ph(es[2]), PASTED_IOS_LINE)

    def private_break_off(self) -> None:
        es, mx, cl = self.c["ES"], self.c["MX"], self.c["CL"]
        g2 = ChatPlan(
            "g2",
            "whatsapp",
            "Stickers Privados",
            "ios-es-12h",
            True,
            "es",
            aliases=["Privado"],
            parent="g1",
            invite_link=invite_link(self.rng),
        )
        g2.labels = self.numbers(self.people)
        for contact in (es[2], es[4], self.c["AR"][0]):  # saved as contacts by the exporter
            g2.labels[ph(contact)] = contact.full_name
        b = self.new_chat(g2)
        b.busy = {ph(es[1]), ph(cl[0])}
        start = _at("2024-02-14T21:05:00")
        b.created(start, ph(es[1]), [ph(es[2]), ph(mx[0])])
        link = f"Nuevo grupo, solo los de confianza {g2.invite_link}"
        self.builders["g1"].post(start + timedelta(minutes=8), ph(es[1]), link)
        joiners = [es[4], es[5], mx[1], self.c["AR"][0], self.c["PE"][0], cl[0], cl[1]]
        for n, person in enumerate([*joiners, self.c["CO"][0]]):
            at = start + timedelta(hours=2 + 19 * n, minutes=self.rng.randrange(60))
            b.joined(at, ph(person))
        b.joined(_at("2024-03-01T19:20:00"), ph(es[3]))
        b.subject(_at("2024-02-15T10:30:00"), ph(es[1]), "Privado", g2.title)
        b.left(_at("2024-03-20T23:01:00"), ph(self.c["AR"][0]))
        b.added(_at("2024-03-25T17:10:00"), ph(es[1]), [ph(es[6])])
        b.post(_at("2024-02-27T22:18:00"), ph(cl[0]), PASTED_ANDROID_LINE)

    def second_generation_break_off(self) -> None:
        cl, fr = self.c["CL"], self.c["FR"]
        g3 = ChatPlan("g3", "whatsapp", "Trading Room", "ios-en-12h-nnbsp", True, "en",
                      parent="g2", invite_link=invite_link(self.rng))  # fmt: skip
        g3.labels = self.numbers(self.people)
        g3.labels[ph(fr[1])] = international(ph(fr[1])).replace(" ", NBSP)
        b = self.new_chat(g3)
        b.busy = {ph(cl[0])}
        start = _at("2024-03-05T20:10:00")
        b.created(start, ph(cl[0]), [ph(self.c["GB"][0]), ph(fr[1])])
        link = f"Os paso el otro {g3.invite_link}"
        self.builders["g2"].post(start + timedelta(minutes=6), ph(cl[0]), link)
        joiners = [self.c["ES"][5], self.c["MX"][1], cl[1], self.c["PE"][0], self.c["BR"][0]]
        for n, person in enumerate(joiners):
            at = start + timedelta(hours=1 + 23 * n, minutes=self.rng.randrange(60))
            b.joined(at, ph(person))
        b.added(_at("2024-03-28T21:00:00"), ph(cl[0]), [ph(self.c["CO"][0])])

    def italian_break_off(self) -> None:
        it = self.c["IT"]
        g4 = ChatPlan("g4", "whatsapp", "Gli Adesivi", "android-it-24h", False, "it",
                      parent="g1", invite_link=invite_link(self.rng))  # fmt: skip
        g4.labels = self.numbers(self.people)
        b = self.new_chat(g4)
        start = _at("2024-02-22T19:40:00")
        b.created(start, ph(it[0]), [ph(it[2])])
        link = f"Gruppo nuovo per noi {g4.invite_link}"
        self.builders["g1"].post(start + timedelta(minutes=5), ph(it[0]), link)
        for n, person in enumerate([it[1], self.c["FR"][0], self.c["ES"][6]]):
            b.joined(start + timedelta(hours=3 + 30 * n), ph(person))
        b.added(_at("2024-03-30T12:00:00"), ph(it[0]), [ph(self.c["ES"][8])])

    def telegram(self) -> None:
        """t1: some operation members again, under Telegram ids, plus Telegram-only users."""
        taken: set[str] = set()
        es = self.c["ES"]
        regulars = [es[1], es[2], self.c["MX"][1], self.c["AR"][0], self.c["IT"][0]]
        newcomers = [make_person(self.rng, f"tg{n}", country, self.taken, False, self.names)
                     for n, country in enumerate(("ES", "AR", "MX"))]  # fmt: skip
        self.extra_people += newcomers
        members = regulars + newcomers
        for person in members:
            person.telegram_id = telegram_id(self.rng, taken)
            self.language_of[person.telegram_id] = person.language
        t1 = ChatPlan(
            "t1",
            "telegram",
            "Sticker Exchange",
            "telegram-desktop-json",
            True,
            "es",
            aliases=["Stickers TG"],
            native_id=self.rng.randint(10**9, 2 * 10**9),
        )
        for n, person in enumerate(members):  # some users show a short name, never a shared one
            short = f"{person.first} {person.last[0]}."
            used = set(t1.labels.values())
            label = short if n % 2 and short not in used else person.full_name
            t1.labels[person.telegram_id or ""] = label
        b = self.new_chat(t1)
        ids = [p.telegram_id or "" for p in members]
        b.created(_at("2024-03-12T18:00:00"), ids[0], ids[1:3])
        for n, who in enumerate(ids[3:]):
            b.joined(_at("2024-03-12T19:00:00") + timedelta(hours=9 * n), who)
        b.subject(_at("2024-03-13T09:00:00"), ids[0], "Stickers TG", t1.title)
        b.removed(_at("2024-04-02T10:00:00"), ids[0], ids[-1])

    def controls(self) -> None:
        """Family, football club, book club: their own people, no overlap with the operation."""
        for chat_id, title, variant, language, start, country, size in CONTROLS:
            group = [
                make_person(self.rng, f"{chat_id}-{n}", country, self.taken, names=self.names)
                for n in range(size)
            ]
            self.extra_people += group
            self.language_of |= {ph(p): p.language for p in group}
            plan = ChatPlan(chat_id, "whatsapp", title, variant, False, language)
            plan.labels = self.numbers(group)
            b = self.new_chat(plan)
            b.created(_at(start), ph(group[0]), [ph(p) for p in group[1:3]])
            for n, person in enumerate(group[3:]):
                b.joined(_at(start) + timedelta(days=2 + n), ph(person))

    def fill(self, media: dict[str, MediaItem]) -> None:
        for chat_id, (start, end, count) in SPANS.items():
            builder = self.builders[chat_id]
            builder.fill(_at(start), _at(end), count, [media[k] for k in POSTS[chat_id].split()])
            builder.sprinkle("multi_line", 4)
            for kind, times in SPRINKLES.get(chat_id, ()):
                builder.sprinkle(kind, times)
        self.builders["g1"].out_of_order()
        self.builders["g2"].out_of_order()

    def tip(self) -> str:
        parent = self.chats["g1"]
        return (
            "Public report received through the hotline web form\n"
            f"Platform: WhatsApp\nGroup name: {parent.title}\nInvite link: {parent.invite_link}\n"
            f"Phone number seen in the group: {international(ph(self.c['ES'][0]))}\n"
            "Description: a group of teenagers sharing stickers they should not.\n"
        )


def build_operation(rng: random.Random, media: dict[str, MediaItem]) -> Operation:
    story = Story(rng)
    story.parent()
    story.private_break_off()
    story.second_generation_break_off()
    story.italian_break_off()
    story.telegram()
    story.controls()
    story.fill(media)
    return Operation(list(story.chats.values()), story.people + story.extra_people, story.tip())
