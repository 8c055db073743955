"""Which country each account is likely in: recorded facts, phone number, language.

Analyst-recorded facts always win; a phone number decides next, then the phone of another
account of the same person. The language of an account's messages never decides: it adds a
suggested country (where most writers of that language with known phones are) to the reasons,
and the account stays unattributed until an analyst records a fact. Each answer carries its
confidence and reasons; None when nothing decides.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from casegraph.analysis.records import AccountRecord
from casegraph.wording import language_name, with_article

LANGUAGES = (
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.FRENCH,
    Language.ENGLISH,
    Language.GERMAN,
)
MIN_TEXT = 20  # characters; shorter texts say too little about their language
MAX_TEXT = 3000  # characters per account are enough to tell these six languages apart
FALLBACK_COUNTRY = {"es": "ES", "pt": "PT", "it": "IT", "fr": "FR", "de": "DE", "en": None}


@lru_cache(maxsize=2)
def detector(low_accuracy: bool = False) -> LanguageDetector:
    builder = LanguageDetectorBuilder.from_languages(*LANGUAGES).with_minimum_relative_distance(0.1)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def _code(language: Language) -> str:
    iso: IsoCode639_1 = language.iso_code_639_1
    return str(iso.name).lower()


def account_languages(
    texts: Mapping[int, Sequence[str]], low_accuracy: bool = False
) -> dict[int, list[str]]:
    """Per account, its languages (ISO 639-1), most confident first."""
    chosen: dict[int, list[str]] = {}
    ids, samples = [], []
    for account, account_texts in texts.items():
        sample = _sample(account_texts)
        if len(sample) >= MIN_TEXT:
            ids.append(account)
            samples.append(sample)
    results = detector(low_accuracy).compute_language_confidence_values_in_parallel(samples)
    for account, values in zip(ids, results, strict=True):
        chosen[account] = [_code(v.language) for v in values if v.value >= 0.2][:3]
    return chosen


def _sample(texts: Sequence[str]) -> str:
    picked, size = [], 0
    for text in sorted((t for t in texts if len(t) >= 8), key=len, reverse=True):
        picked.append(text)
        size += len(text)
        if size >= MAX_TEXT:
            break
    return "\n".join(picked)


@dataclass(slots=True)
class CountryFinding:
    country: str | None
    confidence: float | None
    reasons: list[dict[str, Any]] = field(default_factory=list)


def language_countries(
    phone_countries: Mapping[int, str | None], languages: Mapping[int, Sequence[str]]
) -> dict[str, tuple[str, float]]:
    """Per language, the country most of its known-phone writers are in, and that share."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for account, codes in languages.items():
        country = phone_countries.get(account)
        if codes and country:
            seen[codes[0]][country] += 1
    result = {}
    for code, counts in seen.items():
        country, n = counts.most_common(1)[0]
        result[code] = (country, n / sum(counts.values()))
    return result


def attribute_countries(
    accounts: Sequence[AccountRecord],
    languages: Mapping[int, Sequence[str]],
    person_of: Mapping[int, str],
    recorded: Mapping[str, str | None],
) -> dict[int, CountryFinding]:
    """Country per account: recorded fact > own phone > a same-person account's phone.

    Language adds a suggestion to the reasons of accounts none of those decides.
    """
    phones = {a.id: a.phone_country for a in accounts}
    by_person: dict[str, list[AccountRecord]] = defaultdict(list)
    for account in accounts:
        by_person[person_of.get(account.id, "")].append(account)
    lang_map = language_countries(phones, languages)
    findings = {}
    for account in accounts:
        person = person_of.get(account.id, "")
        fact = recorded.get(person)
        if fact:
            findings[account.id] = CountryFinding(
                fact, 1.0, [{"kind": "recorded", "text": "recorded by an analyst for this person"}]
            )
            continue
        if account.phone_country:
            findings[account.id] = CountryFinding(
                account.phone_country,
                0.9,
                [
                    {
                        "kind": "phone",
                        "text": f"phone number {account.identifier} is "
                        f"{with_article(account.phone_country)} number",
                    }
                ],
            )
            continue
        sibling = next((s for s in by_person[person] if s.phone_country and person), None)
        if sibling is not None:
            findings[account.id] = CountryFinding(
                sibling.phone_country,
                0.8,
                [
                    {
                        "kind": "same_person_phone",
                        "text": f"same person as {sibling.identifier}, "
                        f"{with_article(sibling.phone_country or '')} number",
                    }
                ],
            )
            continue
        findings[account.id] = _by_language(languages.get(account.id, ()), lang_map)
    return findings


def _by_language(codes: Sequence[str], lang_map: Mapping[str, tuple[str, float]]) -> CountryFinding:
    """Language alone never sets a country: it is kept as a suggestion for the analyst.

    A Spanish writer may live in any of twenty countries, so an account known only by its
    language goes to the unattributed list with the suggestion attached to its reasons.
    """
    if not codes:
        return CountryFinding(None, None, [])
    code = codes[0]
    language = language_name(code)
    if code in lang_map:
        country, share = lang_map[code]
        return CountryFinding(
            None,
            None,
            [
                {
                    "kind": "language",
                    "suggested": country,
                    "confidence": round(0.4 + 0.3 * share, 3),
                    "text": f"writes {language}; {share:.0%} of accounts writing {language} "
                    f"with a known phone number are in {country} (a suggestion, not a finding)",
                }
            ],
        )
    fallback = FALLBACK_COUNTRY.get(code)
    if fallback is None:
        return CountryFinding(
            None,
            None,
            [
                {
                    "kind": "language",
                    "text": f"writes {language}, which points to no single country",
                }
            ],
        )
    return CountryFinding(
        None,
        None,
        [
            {
                "kind": "language",
                "suggested": fallback,
                "confidence": 0.35,
                "text": f"writes {language}, the language of {fallback} "
                "(a suggestion, not a finding)",
            }
        ],
    )


def group_by_country(findings: Mapping[int, CountryFinding]) -> dict[str, list[int]]:
    """Accounts per country; those with no country go to "unattributed"."""
    groups: dict[str, list[int]] = defaultdict(list)
    for account, finding in sorted(findings.items()):
        groups[finding.country or "unattributed"].append(account)
    return dict(groups)


def text_by_account(pairs: Iterable[tuple[int | None, str]]) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = defaultdict(list)
    for account, text in pairs:
        if account is not None and text:
            texts[account].append(text)
    return texts
