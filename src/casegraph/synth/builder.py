"""Assembles one chat's entries: lifecycle events placed by the story, chatter around them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from casegraph.synth.phrases import chatter, multi_line
from casegraph.synth.records import ChatPlan, Entry, MediaItem


class ChatBuilder:
    """Collects a chat's events and fixed posts, then fills chatter between them in time order."""

    def __init__(self, plan: ChatPlan, rng: random.Random, language_of: dict[str, str]) -> None:
        self.plan = plan
        self.rng = rng
        self.language_of = language_of
        self.entries: list[Entry] = []
        self.busy: set[str] = set()  # the few members who post far more than the rest

    def created(self, at: datetime, creator: str, initial: list[str]) -> None:
        self.plan.creator, self.plan.created_at = creator, at
        if self.plan.platform == "whatsapp":
            self.entries.append(Entry(at, "event", None, event="encryption_notice"))
        self.entries.append(Entry(at, "event", creator, event="created"))
        if initial:
            self.added(at + timedelta(seconds=20), creator, initial)

    def added(self, at: datetime, actor: str, targets: list[str]) -> None:
        self.entries.append(Entry(at, "event", actor, event="added", targets=tuple(targets)))

    def joined(self, at: datetime, who: str) -> None:
        self.entries.append(Entry(at, "event", who, event="joined_via_link"))

    def left(self, at: datetime, who: str) -> None:
        self.entries.append(Entry(at, "event", who, event="left"))

    def removed(self, at: datetime, actor: str, target: str) -> None:
        self.entries.append(Entry(at, "event", actor, event="removed", targets=(target,)))

    def subject(self, at: datetime, actor: str, old: str, new: str) -> None:
        self.entries.append(Entry(at, "event", actor, event="subject_changed", old=old, new=new))

    def icon(self, at: datetime, actor: str) -> None:
        self.entries.append(Entry(at, "event", actor, event="icon_changed"))

    def number(self, at: datetime, old: str, new: str) -> None:
        self.entries.append(Entry(at, "event", old, event="number_changed", old=old, new=new))

    def post(self, at: datetime, author: str, text: str, kind: str = "text") -> None:
        self.entries.append(Entry(at, kind, author, text=text))

    def fill(self, start: datetime, end: datetime, count: int, media: list[MediaItem]) -> None:
        """Place `count` chatter messages between start and end, `media` among them, then order
        everything and give each message an author who is a member at that moment."""
        days = max(1, (end - start).days)
        times: list[datetime] = []
        while len(times) < count:
            day = start.replace(hour=0, minute=0, second=0) + timedelta(
                days=self.rng.randrange(days + 1)
            )
            at = day.replace(
                hour=self.rng.randint(8, 23),
                minute=self.rng.randrange(60),
                second=self.rng.randrange(60),
            )
            if start < at <= end:  # chat hours only, so no time falls in a DST gap
                times.append(at)
        times.sort()
        slots = [Entry(at, "text") for at in times]
        media_slots = sorted(self.rng.sample(range(len(slots)), len(media)))
        for index, item in zip(media_slots, media, strict=True):
            if self.plan.with_media:
                slots[index].kind, slots[index].media = "media", item
            else:
                slots[index].kind = "media_omitted"
        # stable sort: events and fixed posts keep their given order on equal times
        merged = sorted(self.entries + slots, key=lambda e: (e.at, e.kind == "text"))
        self._assign_authors(merged)
        self.plan.entries = merged

    def _assign_authors(self, entries: list[Entry]) -> None:
        members: list[str] = []
        ever: list[str] = []

        def enter(who: str) -> None:
            if who not in members:
                members.append(who)
            if who not in ever:
                ever.append(who)

        for entry in entries:
            if entry.kind == "event":
                if entry.event == "created" and entry.author:
                    enter(entry.author)
                elif entry.event == "added":
                    for target in entry.targets:
                        enter(target)
                elif entry.event == "joined_via_link" and entry.author:
                    enter(entry.author)
                elif entry.event in ("left", "removed"):
                    gone = entry.author if entry.event == "left" else entry.targets[0]
                    if gone in members:
                        members.remove(gone)
                elif entry.event == "number_changed":
                    members[members.index(entry.old)] = entry.new
                    if entry.new not in ever:
                        ever.append(entry.new)
                continue
            if entry.author is None:
                weights = [4 if m in self.busy else 1 for m in members]
                entry.author = self.rng.choices(members, weights=weights)[0]
            if entry.kind == "text" and not entry.text:
                entry.text = chatter(self.rng, self.language_of[entry.author])
        self.plan.members = ever

    def sprinkle(self, kind: str, count: int) -> None:
        """Turn `count` plain chatter lines into deleted / view-once / multi-line messages."""
        plain = [
            e
            for e in self.plan.entries
            if e.kind == "text" and "\n" not in e.text and "http" not in e.text
        ]
        for entry in self.rng.sample(plain, min(count, len(plain))):
            if kind == "multi_line":
                entry.text = multi_line(self.rng, self.language_of[entry.author or ""])
            else:
                entry.kind, entry.text = kind, ""

    def out_of_order(self) -> None:
        """Move one `added` line a minute before the line above it, as real exports sometimes do."""
        entries = self.plan.entries
        for index in range(len(entries) // 2, len(entries)):
            entry = entries[index]
            if entry.event == "added" and entries[index - 1].kind != "event":
                entry.at = entries[index - 1].at - timedelta(minutes=1)
                return
        raise RuntimeError(f"chat {self.plan.id} has no added event to move out of order")
