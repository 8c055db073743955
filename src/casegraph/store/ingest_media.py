"""Attachments of one source: join each reference to an export member, one media row per file."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from casegraph.ingest.detect import SourceUnit
from casegraph.ingest.media_kind import kind_from_name, refine_kind
from casegraph.media.sticker_pack import read_sticker_pack
from casegraph.model import FileHashes
from casegraph.store.cases import Case
from casegraph.store.ingest_bulk import BATCH, BIG_SOURCE, IndexPause
from casegraph.store.schema import AttachmentRow, MediaRow, MessageRow, SourceMemberRow

# An attachment as the writer collects it: message seq -> (reference as written, flags)
Attachments = dict[int, tuple[str, tuple[str, ...]]]


def _flag(flags: tuple[str, ...], prefix: str) -> str | None:
    """The value of a `prefix…` flag a parser set (device databases: kind:, app_sha256:)."""
    return next((f[len(prefix) :] for f in flags if f.startswith(prefix)), None)


def _not_exported(flags: tuple[str, ...]) -> str | None:
    return next((f for f in flags if f.startswith("not_exported:")), None)


class MediaLinker:
    """Joins attachment references of one source to its members and writes their rows."""

    def __init__(
        self,
        case: Case,
        session: Session,
        source_id: int,
        unit: SourceUnit,
        members: dict[str, FileHashes],
    ) -> None:
        self.case = case
        self.session = session
        self.source_id = source_id
        self.members = members
        self.referenced: set[str] = set()
        self.missing: list[str] = []
        self.new_media = 0
        root = PurePosixPath(unit.text_member or "").parent
        self.by_path: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for path in members:
            relative = PurePosixPath(path)
            if root.parts and relative.parts[: len(root.parts)] == root.parts:
                relative = PurePosixPath(*relative.parts[len(root.parts) :])
            self.by_path[relative.as_posix()] = path
            self.by_name.setdefault(relative.name, path)

    def _join(self, reference: str) -> str | None:
        cleaned = reference.replace("\\", "/").lstrip("./")
        return self.by_path.get(cleaned) or self.by_name.get(PurePosixPath(cleaned).name)

    def attachments(self, chat_id: int, attachments: Attachments) -> None:
        if not attachments:
            return
        ids = dict(
            self.session.execute(
                select(MessageRow.seq, MessageRow.id).where(
                    MessageRow.chat_id == chat_id,
                    MessageRow.source_id == self.source_id,
                    MessageRow.attachment_ref.is_not(None),
                )
            ).all()
        )
        media_ids = self._media_rows(attachments)
        media_ids.update(self._stored_media(attachments))
        rows = []
        for seq, (reference, flags) in attachments.items():
            stored = _flag(flags, "app_sha256:")
            not_exported = _not_exported(flags)
            member = None if not_exported else self._join(reference)
            if member is not None:
                self.referenced.add(member)
            elif not_exported is None:
                self.missing.append(reference)
            hashes = self.members.get(member) if member else None
            rows.append(
                {
                    "case_id": self.case.id,
                    "message_id": ids[seq],
                    "reference": reference,
                    "kind": _flag(flags, "kind:") or self._kind(reference, hashes),
                    "member_path": member,
                    "media_id": media_ids.get(hashes.sha256 if hashes else stored or ""),
                    "stored_sha256": stored,
                    "missing_reason": not_exported.split(":", 1)[1]
                    if not_exported
                    else (None if member else "not in export"),
                }
            )
        pause = IndexPause(self.session, "attachments") if len(rows) > BIG_SOURCE else None
        if pause is not None and self.session.connection().dialect.name == "sqlite":
            pause.drop()
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(AttachmentRow), rows[start : start + BATCH])
        if pause is not None:
            pause.restore()

    def _kind(self, reference: str, hashes: FileHashes | None) -> str:
        kind = kind_from_name(reference)
        if hashes is not None and kind == "sticker":
            with self.case.evidence.open(hashes.sha256) as stream:
                kind = refine_kind(kind, stream.read(32))
        return kind

    def _stored_media(self, attachments: Attachments) -> dict[str, int]:
        """Media rows whose bytes match the digests the app stored (device databases)."""
        stored = sorted(
            {d for _ref, flags in attachments.values() if (d := _flag(flags, "app_sha256:"))}
        )
        return self._media_ids(stored)

    def _media_ids(self, digests: list[str]) -> dict[str, int]:
        """SHA-256 -> media row id of the digests the case already holds, 500 per query."""
        found: dict[str, int] = {}
        for start in range(0, len(digests), 500):
            found.update(
                self.session.execute(
                    select(MediaRow.sha256, MediaRow.id).where(
                        MediaRow.case_id == self.case.id,
                        MediaRow.sha256.in_(digests[start : start + 500]),
                    )
                ).all()
            )
        return found

    def _sticker_pack(self, kind: str, hashes: FileHashes) -> dict[str, Any] | None:
        """Pack metadata from the sticker's EXIF chunk; chunk headers only, no pixels."""
        if kind not in ("sticker", "animated_sticker"):
            return None
        with self.case.evidence.open(hashes.sha256) as stream:
            return read_sticker_pack(stream)

    def _media_rows(self, attachments: Attachments) -> dict[str, int]:
        files: dict[str, tuple[FileHashes, str]] = {}
        for reference, flags in attachments.values():
            if _not_exported(flags):
                continue
            member = self._join(reference)
            if member is not None:
                hashes = self.members[member]
                files.setdefault(hashes.sha256, (hashes, reference or member))
        known = self._media_ids(list(files))
        for sha256, (hashes, reference) in files.items():
            if sha256 in known:
                continue
            kind = self._kind(reference, hashes)
            known[sha256] = self.session.execute(
                insert(MediaRow)
                .values(
                    case_id=self.case.id,
                    sha256=sha256,
                    md5=hashes.md5,
                    sha1=hashes.sha1,
                    size=hashes.size,
                    kind=kind,
                    frame_pdqs=[],
                    hashed=False,
                    sticker_pack=self._sticker_pack(kind, hashes),
                )
                .returning(MediaRow.id)
            ).scalar_one()
            self.new_media += 1
        return known

    def finish_members(self) -> set[str]:
        """One source_members row per member, marked referenced or not; the referenced set."""
        rows: list[dict[str, Any]] = [
            {
                "case_id": self.case.id,
                "source_id": self.source_id,
                "path": path,
                "sha256": h.sha256,
                "md5": h.md5,
                "sha1": h.sha1,
                "size": h.size,
                "referenced": path in self.referenced,
            }
            for path, h in sorted(self.members.items())
        ]
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(SourceMemberRow), rows[start : start + BATCH])
        return self.referenced
