"""Byte-reproducible zip archives: fixed member order, timestamps and attributes."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

# AppleDouble header (magic 0x00051607, version 2) as macOS Archive Utility writes into __MACOSX/.
APPLE_DOUBLE = bytes.fromhex("0005160700020000") + b"Mac OS X        " + bytes(2) + bytes(26)


def write_zip(
    path: Path, members: list[tuple[str, bytes]], stamp: datetime, macosx: bool = False
) -> None:
    """Write `members` in the given order, all dated `stamp`; `macosx` adds the AppleDouble
    `__MACOSX/._name` entries a re-zip on a Mac leaves behind."""
    entries = list(members)
    if macosx:
        entries += [(f"__MACOSX/._{name}", APPLE_DOUBLE) for name, _ in members]
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3 if macosx else 0
            archive.writestr(info, data, compresslevel=6)
