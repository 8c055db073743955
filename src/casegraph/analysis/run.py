"""`casegraph analyze`: every analysis over a case, written back in one audited transaction.

Re-running gives the same results; analysts' person decisions and recorded facts survive.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib.metadata import version
from typing import Any
from zoneinfo import ZoneInfo

from casegraph import __version__
from casegraph.analysis import ANALYSIS_ACTION, network
from casegraph.analysis.ages import AgeFinding, age_at_activity
from casegraph.analysis.entities import EntityHit, extract_from_messages
from casegraph.analysis.identity import resolve_persons
from casegraph.analysis.jurisdiction import (
    account_languages,
    attribute_countries,
    group_by_country,
    text_by_account,
)
from casegraph.analysis.lineage import InvitePost, infer_lineage
from casegraph.analysis.load import CaseInputs, load_inputs
from casegraph.analysis.persist import (
    Persons,
    reconcile_persons,
    write_accounts,
    write_ages,
    write_chats,
    write_clusters,
    write_entities,
    write_investigations,
    write_key_actors,
    write_metrics,
    write_pack_leads,
)
from casegraph.analysis.spread import cluster_media, sticker_pack_leads
from casegraph.store.cases import Case

LOW_ACCURACY_ABOVE = 2000  # accounts with text; beyond it lingua's low-accuracy mode is enough


@dataclass
class AnalysisResult:
    persons: int = 0
    chats_with_parent: int = 0
    clusters: int = 0
    key_actors: int = 0
    entities: int = 0
    countries: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._start, 3)
        self._start = now


def analyze_case(case: Case, actor: str = "cli") -> AnalysisResult:
    # a million loaded records make every cyclic-GC pass slow (a third of the large case's
    # time); none of them form cycles, and collection resumes as soon as the run ends
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze(case, actor)
    finally:
        if collecting:
            gc.enable()


def _analyze(case: Case, actor: str) -> AnalysisResult:
    timer = _Timer()
    result = AnalysisResult()
    with case.mutate(actor, ANALYSIS_ACTION, f"case:{case.name}") as session:
        inputs = load_inputs(session, case.id)
        timer.lap("load")
        chat_names = {c.id: c.title or c.key for c in inputs.chats}
        account_keys = {a.id: a.key for a in inputs.accounts}

        groups = resolve_persons(inputs.accounts, inputs.events, inputs.decisions)
        persons = reconcile_persons(session, case.id, groups)
        write_ages(session, case.id, _ages(inputs, persons))
        timer.lap("identity")

        hits = extract_from_messages(inputs.messages)
        write_entities(session, case.id, hits)
        result.entities = len(hits)
        timer.lap("entities")

        creators = _creations(inputs)
        inputs.chats = [
            replace(c, created_by=creators[c.id][0], created_at=creators[c.id][1])
            if c.id in creators
            else c
            for c in inputs.chats
        ]
        births = _births(inputs, creators)
        invites = _invite_posts(hits, inputs)
        lineage = infer_lineage(inputs.chats, inputs.memberships, births, invites, chat_names)
        write_chats(session, lineage, creators, account_keys)
        result.chats_with_parent = sum(1 for item in lineage.values() if item.parent_id)
        timer.lap("lineage")

        clusters = cluster_media(inputs.media, inputs.occurrences)
        write_clusters(session, clusters)
        write_pack_leads(session, case.id, sticker_pack_leads(inputs.media, inputs.occurrences))
        result.clusters = len(clusters)
        timer.lap("spread")

        membership = network.membership_graph(inputs.memberships, inputs.messages)
        interactions = network.interaction_graph(inputs.messages, _mentions(hits, inputs))
        metrics = network.account_metrics(membership, interactions)
        actors = network.rank_key_actors(
            metrics, inputs.events, clusters, chat_names, zone=ZoneInfo(case.timezone)
        )
        write_metrics(session, case.id, metrics)
        write_key_actors(session, case.id, actors, persons.id_of)
        result.key_actors = len(actors)
        timer.lap("network")

        texts = text_by_account((m.account_id, m.text) for m in inputs.messages if m.kind == "text")
        languages = account_languages(texts, low_accuracy=len(texts) > LOW_ACCURACY_ABOVE)
        countries = attribute_countries(
            inputs.accounts,
            languages,
            persons.key_of,
            {key: fact.get("country") for key, fact in persons.facts.items()},
        )
        write_accounts(session, countries, languages)
        by_country = group_by_country(countries)
        write_investigations(session, case.id, by_country)
        result.countries = {country: len(ids) for country, ids in sorted(by_country.items())}
        timer.lap("jurisdiction")

        result.persons = len(groups)
        session.info["audit_details"] = {
            "persons": result.persons,
            "chats_with_parent": result.chats_with_parent,
            "clusters": result.clusters,
            "key_actors": result.key_actors,
            "entities": result.entities,
            "countries": result.countries,
            "versions": _versions(),
        }
        timer.lap("write")
    result.seconds = timer.seconds
    return result


def _creations(inputs: CaseInputs) -> dict[int, tuple[int | None, datetime]]:
    """Per chat, who created it and when, where a "created" event proves it."""
    created: dict[int, tuple[int | None, datetime]] = {}
    for event in inputs.events:  # loaded in time order: the first creation event wins
        if event.type == "created" and event.chat_id not in created:
            created[event.chat_id] = (event.actor_id, event.at)
    return created


def _births(
    inputs: CaseInputs, creators: dict[int, tuple[int | None, datetime]]
) -> dict[int, datetime]:
    births: dict[int, datetime] = {}
    for chat in inputs.chats:
        if chat.id in creators:
            births[chat.id] = creators[chat.id][1]
        elif chat.created_at is not None:
            births[chat.id] = chat.created_at
    first_seen: dict[int, datetime] = {}
    for at, chat_id in [(m.sent_at, m.chat_id) for m in inputs.messages] + [
        (e.at, e.chat_id) for e in inputs.events
    ]:
        if chat_id not in first_seen or at < first_seen[chat_id]:
            first_seen[chat_id] = at
    for chat_id, at in first_seen.items():
        births.setdefault(chat_id, at)
    return births


def _invite_posts(hits: list[EntityHit], inputs: CaseInputs) -> list[InvitePost]:
    sent = {m.id: m.sent_at for m in inputs.messages}
    return sorted(
        (
            InvitePost(h.entity.value, h.chat_id, h.account_id, sent[h.message_id], h.message_id)
            for h in hits
            if h.entity.kind in {"whatsapp_invite", "telegram_invite"}
        ),
        key=lambda p: (p.at, p.message_id),
    )


def _mentions(hits: list[EntityHit], inputs: CaseInputs) -> list[tuple[int, int]]:
    by_phone = {a.identifier: a.id for a in inputs.accounts if a.identifier_kind == "phone"}
    return [
        (h.account_id, by_phone[h.entity.value])
        for h in hits
        if h.entity.kind == "phone" and h.account_id is not None and h.entity.value in by_phone
    ]


def _versions() -> dict[str, str]:
    """The tools whose rules produced the findings, so a re-run can be compared."""
    return {
        "casegraph": __version__,
        "networkx": version("networkx"),
        "lingua": version("lingua-language-detector"),
        "phonenumbers": version("phonenumbers"),
    }


def _ages(inputs: CaseInputs, persons: Persons) -> dict[str, AgeFinding]:
    """Per person with a recorded birth date or age: their age over their recorded activity."""
    facts: dict[str, dict[str, Any]] = persons.facts
    spans: dict[str, tuple[datetime, datetime]] = {}
    for message in inputs.messages:
        person = persons.key_of.get(message.account_id or -1)
        if person is None or not (
            facts.get(person, {}).get("date_of_birth")
            or facts.get(person, {}).get("age") is not None
        ):
            continue
        first, last = spans.get(person, (message.sent_at, message.sent_at))
        spans[person] = (min(first, message.sent_at), max(last, message.sent_at))
    found = {}
    for person, (first, last) in sorted(spans.items()):
        fact = facts[person]
        finding = age_at_activity(person, first, last, fact.get("date_of_birth"), fact.get("age"))
        if finding is not None:
            found[person] = finding
    return found
