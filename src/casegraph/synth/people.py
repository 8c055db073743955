"""Invented people: names, countries, languages and valid-looking phone numbers.

Every number is drawn at random inside a mobile range that `phonenumbers` accepts, so tests
can check E.164 validity; none is taken from any directory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

# country -> (language, first names, surnames); all names are common, combined at random.
COUNTRIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ES": (
        "es",
        ("Lucía", "Mateo", "Hugo", "Martina", "Pablo", "Sofía", "Álvaro", "Nerea", "Javi", "Irene"),
        ("García", "Navarro", "Ortega", "Ruiz", "Castro", "Molina", "Iglesias", "Serrano"),
    ),
    "MX": (
        "es",
        ("Diego", "Ximena", "Emiliano", "Valeria", "Iker", "Renata", "Leonardo", "Fernanda"),
        ("Hernández", "Ramírez", "Cruz", "Morales", "Reyes", "Mendoza", "Flores"),
    ),
    "AR": (
        "es",
        ("Santiago", "Camila", "Tomás", "Delfina", "Bautista", "Abril", "Thiago"),
        ("Fernández", "Romero", "Sosa", "Acosta", "Benítez", "Medina"),
    ),
    "CO": (
        "es",
        ("Juan Esteban", "Mariana", "Samuel", "Salomé", "Jerónimo", "Manuela"),
        ("Rodríguez", "Gómez", "Ríos", "Cárdenas", "Ospina", "Zapata"),
    ),
    "PE": (
        "es",
        ("Renzo", "Alessandra", "Piero", "Luana", "Gianfranco", "Ariana"),
        ("Quispe", "Huamán", "Vargas", "Paredes", "Salazar", "Chávez"),
    ),
    "CL": (
        "es",
        ("Benjamín", "Josefa", "Agustín", "Florencia", "Vicente", "Trinidad"),
        ("Muñoz", "Rojas", "Contreras", "Sepúlveda", "Fuentes", "Tapia"),
    ),
    "IT": (
        "it",
        ("Lorenzo", "Giulia", "Matteo", "Chiara", "Tommaso", "Alessia", "Riccardo"),
        ("Rossi", "Bianchi", "Esposito", "Ferrari", "Ricci", "Colombo"),
    ),
    "FR": (
        "fr",
        ("Louis", "Chloé", "Raphaël", "Manon", "Jules", "Léa", "Nathan"),
        ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard"),
    ),
    "BR": (
        "pt",
        ("Gabriel", "Beatriz", "Heitor", "Helena", "Davi", "Lívia", "Caio"),
        ("Oliveira", "Souza", "Lima", "Pereira", "Carvalho", "Araújo"),
    ),
    "PT": (
        "pt",
        ("Duarte", "Inês", "Afonso", "Matilde", "Rodrigo", "Leonor"),
        ("Silva", "Santos", "Ferreira", "Costa", "Marques", "Pinto"),
    ),
    "GB": (
        "en",
        ("Oliver", "Amelia", "Harry", "Isla", "Freddie", "Poppy"),
        ("Hughes", "Walsh", "Bennett", "Carter", "Fletcher", "Lloyd"),
    ),
    "US": (
        "en",
        ("Ethan", "Ava", "Mason", "Harper", "Logan", "Aria"),
        ("Walker", "Brooks", "Hayes", "Reed", "Porter", "Sullivan"),
    ),
}


@dataclass(slots=True)
class Person:
    """One invented person; `phone` is E.164, `telegram_id` is `user<digits>` when they use it."""

    key: str
    first: str
    last: str
    country: str
    language: str
    phone: str | None = None
    telegram_id: str | None = None
    date_of_birth: str | None = None
    extra_phones: list[str] = field(default_factory=list)  # numbers held before a change

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"


# national mobile prefixes that look right to a reader from that country
MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "ES": ("6", "7"),
    "MX": ("55", "33", "81"),
    "AR": ("911", "9351", "9341"),
    "CO": ("30", "31", "32"),
    "PE": ("9",),
    "CL": ("9",),
    "IT": ("32", "33", "34", "39"),
    "FR": ("6", "7"),
    "BR": ("119", "219"),
    "PT": ("91", "92", "93", "96"),
    "GB": ("77", "78", "79"),
    "US": ("201", "415", "312", "617"),
}


def random_mobile(rng: random.Random, region: str, taken: set[str], prefix: str = "") -> str:
    """A fresh E.164 mobile number of `region` that phonenumbers calls valid."""
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"phonenumbers has no example mobile number for {region}")
    national = str(example.national_number)
    head = prefix or rng.choice(MOBILE_PREFIXES[region])
    for _ in range(10_000):
        tail = "".join(rng.choice("0123456789") for _ in range(len(national) - len(head)))
        number = phonenumbers.parse(f"+{example.country_code}{head}{tail}")
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        if e164 in taken or not phonenumbers.is_valid_number(number):
            continue
        if phonenumbers.number_type(number) not in (
            PhoneNumberType.MOBILE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            continue
        taken.add(e164)
        return e164
    raise RuntimeError(f"no valid mobile number found for {region} with prefix {prefix!r}")


def international(e164: str) -> str:
    """The number as a phone shows a non-contact: `+34 612 34 56 78`."""
    return phonenumbers.format_number(phonenumbers.parse(e164), PhoneNumberFormat.INTERNATIONAL)


def mexican_legacy(e164: str) -> str:
    """Mexico's former mobile form with `1` after +52, as older phones still show it."""
    national = e164.removeprefix("+52")
    return f"+52 1 {national[:2]} {national[2:6]} {national[6:]}"


def make_person(
    rng: random.Random,
    key: str,
    country: str,
    taken: set[str],
    with_phone: bool = True,
    names: set[str] | None = None,
) -> Person:
    """A person of `country`; with `names`, the full name is also unique within that set."""
    language, firsts, lasts = COUNTRIES[country]
    first, last = rng.choice(firsts), rng.choice(lasts)
    while names is not None and f"{first} {last}" in names:
        first, last = rng.choice(firsts), rng.choice(lasts)
    if names is not None:
        names.add(f"{first} {last}")
    person = Person(key=key, first=first, last=last, country=country, language=language)
    if with_phone:
        person.phone = random_mobile(rng, country, taken)
    if rng.random() < 0.3:
        person.date_of_birth = (
            f"{rng.randint(1975, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
    return person


def telegram_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        candidate = f"user{rng.randint(10**8, 10**10 - 1)}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
