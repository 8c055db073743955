"""MISP event of one referral in MISP core format, built with PyMISP's own object templates.

The file is `{"Event": ...}` with `Orgc` (the sending agency) and distribution 4 plus the
`SharingGroup` it names (sender and recipient organisations only). Accounts, groups, persons
and files become objects; every phone number is a `phone-number` attribute so MISP
correlates it across events. The event and every attribute carry the TLP, PAP, handling-code
and evaluation tags and an explicit distribution; the `europol-*` tags come from the local
taxonomies in `taxonomies/`, shipped beside the event. File objects hold hashes only.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPObject, MISPOrganisation, MISPSharingGroup

from casegraph.exchange.codes import HANDLING_CODES, Handling
from casegraph.exchange.collect import ReferralData

SHARING_GROUP = 4  # distribution "sharing group": never "all communities" for case data
INHERIT_EVENT = 5  # attribute/object distribution: the event's (its sharing group)
THREAT_LEVEL_HIGH = 1
ANALYSIS_COMPLETE = 2
TAXONOMY_DIR = Path(__file__).parent / "taxonomies"
# Stable organisation / sharing-group uuids derived from key fingerprints (no registry needed).
ORG_NAMESPACE = uuid.UUID("2f6b1c1e-5d1a-4c55-9a4f-3e0f3d7b9a21")


def org_uuid(fingerprint: str) -> str:
    return str(uuid.uuid5(ORG_NAMESPACE, f"casegraph-key:{fingerprint}"))


def _organisation(name: str, fingerprint: str) -> MISPOrganisation:
    org = MISPOrganisation()
    org.from_dict(name=name, uuid=org_uuid(fingerprint))
    return org


def _sharing_group(
    sender: tuple[str, str], recipient: tuple[str, str], name: str
) -> MISPSharingGroup:
    """The referral's audience: the two agencies of the exchange, nobody else, no servers."""
    group = MISPSharingGroup()
    group.from_dict(
        name=name,
        uuid=str(uuid.uuid5(ORG_NAMESPACE, f"sharing-group:{name}:{sender[1]}:{recipient[1]}")),
        releasability=f"{sender[0]} and {recipient[0]} only",
        roaming=False,
        organisation_uuid=org_uuid(sender[1]),
        Organisation={"name": sender[0], "uuid": org_uuid(sender[1])},
        SharingGroupOrg=[
            {"extend": extend, "Organisation": {"name": party, "uuid": org_uuid(fingerprint)}}
            for (party, fingerprint), extend in ((sender, True), (recipient, False))
        ],
        SharingGroupServer=[],
    )
    return group


def _tag(attribute: MISPAttribute, handling: Handling) -> None:
    attribute.comment = handling.comment()
    attribute.distribution = INHERIT_EVENT
    for tag in handling.misp_tags():
        attribute.add_tag(tag)


def _mark(obj: MISPObject, handling: Handling) -> MISPObject:
    obj.distribution = INHERIT_EVENT
    for attribute in obj.attributes:
        _tag(attribute, handling)
    return obj


def build_event(
    data: ReferralData,
    handling: Handling,
    case_name: str,
    sender_agency: str,
    created_at: datetime,
    sender_fingerprint: str = "",
    recipient: tuple[str, str] | None = None,
) -> MISPEvent:
    """`recipient` is (agency, key fingerprint); the fingerprints make stable org uuids."""
    event = MISPEvent()
    event.info = f"casegraph referral: case {case_name}, investigation {data.country}"
    event.date = created_at.date()
    event.threat_level_id = THREAT_LEVEL_HIGH
    event.analysis = ANALYSIS_COMPLETE
    event.distribution = SHARING_GROUP
    sender = (sender_agency, sender_fingerprint or sender_agency)
    event.Orgc = _organisation(*sender)
    audience = recipient or (f"partner of {sender_agency}", f"partner:{sender[1]}")
    group = _sharing_group(sender, audience, f"casegraph referral {case_name} {data.country}")
    event.SharingGroup = group
    # no sharing_group_id: that number is local to one MISP; sync matches the group's uuid
    for tag in handling.misp_tags():
        event.add_tag(tag)
    account_objects: dict[str, MISPObject] = {}
    for account in data.accounts:
        account_objects[account["key"]] = event.add_object(_mark(_account(account), handling))
    for chat in data.chats:
        chat_obj = MISPObject("instant-message-group")
        chat_obj.add_attribute("group-name", chat["title"] or chat["native_id"])
        for alias in chat["aliases"]:
            chat_obj.add_attribute("group-alias", alias)
        chat_obj.add_attribute("app-used", chat["platform"])
        chat_obj = event.add_object(_mark(chat_obj, handling))
        for member in chat["members"]:
            account_objects[member].add_reference(chat_obj.uuid, "member-of")
    for person in data.persons:
        obj = MISPObject("person")
        obj.add_attribute("alias", person["label"] or person["key"])
        if person["date_of_birth"]:
            obj.add_attribute("date-of-birth", person["date_of_birth"])
        if person["country"]:
            obj.add_attribute("nationality", person["country"])
        obj = event.add_object(_mark(obj, handling))
        for key in person["accounts"]:
            obj.add_reference(account_objects[key].uuid, "uses")
    for media in data.media:
        obj = MISPObject("file")
        for relation in ("md5", "sha1", "sha256"):
            obj.add_attribute(relation, media[relation])
        obj.add_attribute("size-in-bytes", media["size"])
        if media["mime"]:
            obj.add_attribute("mimetype", media["mime"])
        obj = event.add_object(_mark(obj, handling))
        for key in media["posted_by"]:
            account_objects[key].add_reference(obj.uuid, "shared")
    note = MISPAttribute()
    note.from_dict(
        type="text",
        value=f"Sent by {sender_agency}. {handling.comment()}. "
        f"Handling {handling.handling_code}: {_meaning(handling)}",
    )
    _tag(note, handling)
    event.add_attribute(**note.to_dict())
    return event


def _account(account: dict[str, Any]) -> MISPObject:
    """A phone number is typed `phone-number` (not the template's text) so MISP correlates it."""
    phone = {"type": "phone-number"} if account["identifier_kind"] == "phone" else {}
    if account["platform"] == "telegram":
        obj = MISPObject("telegram-account")
        obj.add_attribute("phone" if phone else "id", account["identifier"], **phone)
        for name in account["names"]:
            obj.add_attribute("first_name", name)
        return obj
    obj = MISPObject("user-account")
    obj.add_attribute("user-id", account["identifier"], **phone)
    obj.add_attribute("account-type", account["platform"])
    for name in account["names"]:
        obj.add_attribute("display-name", name)
    return obj


def _meaning(handling: Handling) -> str:
    text = HANDLING_CODES[handling.handling_code]
    return f"{text} {handling.conditions}".strip()


def event_json(event: MISPEvent) -> str:
    """MISP core format: the event under an `Event` key, as MISP exports and imports it."""
    body = json.loads(event.to_json())  # PyMISP's own serialisation of every nested part
    return json.dumps({"Event": body}, indent=1, sort_keys=True, ensure_ascii=False)


def taxonomy_files() -> dict[str, bytes]:
    """The local `europol-*` taxonomies (machinetag.json + MANIFEST.json) for the package."""
    return {
        f"misp/taxonomies/{path.relative_to(TAXONOMY_DIR).as_posix()}": path.read_bytes()
        for path in sorted(TAXONOMY_DIR.rglob("*.json"))
    }
