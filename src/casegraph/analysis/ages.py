"""A person's age at the time of their activity, from a recorded date of birth or age.

A recorded age without a date of birth is read as the age at the person's last recorded
activity. Anyone under 18 at any point of their activity is flagged as a minor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

ADULT_AGE = 18


@dataclass(slots=True, frozen=True)
class AgeFinding:
    person: str
    age_first: int  # age at the first recorded activity
    age_last: int  # age at the last recorded activity
    minor: bool
    basis: str  # "date_of_birth" | "recorded_age"


def years_between(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_at_activity(
    person: str,
    first: datetime,
    last: datetime,
    date_of_birth: str | None = None,
    age: int | None = None,
) -> AgeFinding | None:
    """None when neither a date of birth nor an age was recorded."""
    if date_of_birth:
        born = date.fromisoformat(date_of_birth)
        age_first, age_last = years_between(born, first.date()), years_between(born, last.date())
        basis = "date_of_birth"
    elif age is not None:
        age_last = age
        age_first = age - years_between(first.date(), last.date())
        basis = "recorded_age"
    else:
        return None
    return AgeFinding(person, age_first, age_last, age_first < ADULT_AGE, basis)
