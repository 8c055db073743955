"""Resumable uploads staged in the home, hashed while they stream, then ingested by a job.

An upload is a folder `uploads/<id>/` holding the file under its own (sanitised) name and
`upload.json` (case, kind, declared size, custody fields, user). Chunks are appended at the
offset the server has; a client whose connection dropped asks for the offset and goes on.
SHA-256 is updated chunk by chunk; a process that did not see the earlier chunks (another
web worker, a restart) re-reads the staged part once to pick up the digest.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from casegraph.errors import InputError
from casegraph.store.cases import Home

MAX_UPLOAD_BYTES = 64 * 2**30
CHUNK_BYTES = 8 * 2**20
UPLOAD_KINDS = ("export", "hashlist")
_ID = re.compile(r"[0-9a-f]{32}")
_digests: dict[str, tuple[int, Any]] = {}  # upload id -> (bytes hashed, sha256 object)
_lock = threading.Lock()


@dataclass(slots=True)
class Upload:
    id: str
    case: str
    kind: str
    filename: str
    size: int
    user: str
    custody: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def uploads_root(home: Home) -> Path:
    return home.root / "uploads"


def safe_filename(name: str) -> str:
    """The last path part, without control or path characters; exports keep their names."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    if not base:
        raise InputError("the uploaded file has no usable name; rename it and upload again")
    return base[:200]


def start_upload(
    home: Home,
    case: str,
    kind: str,
    filename: str,
    size: int,
    user: str,
    custody: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
) -> Upload:
    if kind not in UPLOAD_KINDS:
        raise InputError(f"unknown upload kind {kind!r}; use export or hashlist")
    if not 0 < size <= MAX_UPLOAD_BYTES:
        raise InputError(f"{filename}: size {size} is outside 1 byte .. 64 GiB")
    upload = Upload(
        uuid.uuid4().hex,
        case,
        kind,
        safe_filename(filename),
        size,
        user,
        custody or {},
        options or {},
    )
    folder = uploads_root(home) / upload.id
    folder.mkdir(parents=True)
    (folder / upload.filename).touch()
    (folder / "upload.json").write_text(json.dumps(asdict(upload)), encoding="utf-8")
    return upload


def get_upload(home: Home, upload_id: str) -> Upload | None:
    if not _ID.fullmatch(upload_id):
        return None
    meta = uploads_root(home) / upload_id / "upload.json"
    if not meta.is_file():
        return None
    return Upload(**json.loads(meta.read_text(encoding="utf-8")))


def staged_path(home: Home, upload: Upload) -> Path:
    return uploads_root(home) / upload.id / upload.filename


def received(home: Home, upload: Upload) -> int:
    return staged_path(home, upload).stat().st_size


def _digest_at(path: Path, upload_id: str, offset: int) -> Any:
    known = _digests.get(upload_id)
    if known is not None and known[0] == offset:
        return known[1]
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest


def append_chunk(home: Home, upload: Upload, offset: int, data: bytes) -> int:
    """Write `data` at `offset` (which must be what the server has); returns the new offset."""
    path = staged_path(home, upload)
    with _lock:
        have = path.stat().st_size
        if offset != have:
            raise InputError(
                f"{upload.filename}: the server has {have} bytes, not {offset}; resume"
            )
        if have + len(data) > upload.size:
            raise InputError(f"{upload.filename}: more bytes than the declared {upload.size}")
        digest = _digest_at(path, upload.id, have)
        with path.open("ab") as sink:
            sink.write(data)
        digest.update(data)
        _digests[upload.id] = (have + len(data), digest)
        return have + len(data)


def finish_upload(home: Home, upload: Upload) -> str:
    """The file's SHA-256 once every byte arrived; an incomplete upload is refused."""
    path = staged_path(home, upload)
    with _lock:
        have = path.stat().st_size
        if have != upload.size:
            raise InputError(
                f"{upload.filename}: {have} of {upload.size} bytes received; resume the upload"
            )
        digest = _digest_at(path, upload.id, have)
        _digests.pop(upload.id, None)
    return str(digest.hexdigest())


def discard_upload(home: Home, upload: Upload) -> None:
    _digests.pop(upload.id, None)
    shutil.rmtree(uploads_root(home) / upload.id, ignore_errors=True)
