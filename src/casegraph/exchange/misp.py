"""MISP event of one referral, built with PyMISP's own object templates.

Accounts, groups, persons and files become objects; every attribute carries the TLP, PAP
and handling-code tags and states handling code and evaluation in its comment field, so
the codes survive tools that drop tags. File objects hold hashes only (no attachment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymisp import MISPEvent, MISPObject

from casegraph.exchange.codes import HANDLING_CODES, Handling
from casegraph.exchange.collect import ReferralData

SHARING_GROUP = 4  # distribution "sharing group": never "all communities" for case data
THREAT_LEVEL_HIGH = 1
ANALYSIS_COMPLETE = 2


def _mark(obj: MISPObject, handling: Handling) -> MISPObject:
    for attribute in obj.attributes:
        attribute.comment = handling.comment()
        attribute.distribution = 5  # inherit the event's sharing group
        for tag in handling.misp_tags():
            attribute.add_tag(tag)
    return obj


def build_event(
    data: ReferralData, handling: Handling, case_name: str, sender_agency: str, created_at: datetime
) -> MISPEvent:
    event = MISPEvent()
    event.info = f"casegraph referral: case {case_name}, investigation {data.country}"
    event.date = created_at.date()
    event.threat_level_id = THREAT_LEVEL_HIGH
    event.analysis = ANALYSIS_COMPLETE
    event.distribution = SHARING_GROUP
    for tag in handling.misp_tags():
        event.add_tag(tag)
    account_objects: dict[str, MISPObject] = {}
    for account in data.accounts:
        account_objects[account["key"]] = event.add_object(_mark(_account(account), handling))
    for chat in data.chats:
        group = MISPObject("instant-message-group")
        group.add_attribute("group-name", chat["title"] or chat["native_id"])
        for alias in chat["aliases"]:
            group.add_attribute("group-alias", alias)
        group.add_attribute("app-used", chat["platform"])
        group = event.add_object(_mark(group, handling))
        for member in chat["members"]:
            account_objects[member].add_reference(group.uuid, "member-of")
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
    event.add_attribute(
        "text",
        f"Sent by {sender_agency}. {handling.comment()}. "
        f"Handling {handling.handling_code}: {_meaning(handling)}",
        comment=handling.comment(),
    )
    return event


def _account(account: dict[str, Any]) -> MISPObject:
    if account["platform"] == "telegram":
        obj = MISPObject("telegram-account")
        if account["identifier_kind"] == "phone":
            obj.add_attribute("phone", account["identifier"])
        else:
            obj.add_attribute("id", account["identifier"])
        for name in account["names"]:
            obj.add_attribute("first_name", name)
        return obj
    obj = MISPObject("user-account")
    obj.add_attribute("user-id", account["identifier"])
    obj.add_attribute("account-type", account["platform"])
    for name in account["names"]:
        obj.add_attribute("display-name", name)
    return obj


def _meaning(handling: Handling) -> str:
    text = HANDLING_CODES[handling.handling_code]
    return f"{text} {handling.conditions}".strip()


def event_json(event: MISPEvent) -> str:
    return str(event.to_json(indent=1, sort_keys=True))
