"""A small WhatsApp export written here for the job tests (synthetic numbers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2024, 1, 25, 10, 0)


def small_export(folder: Path, messages: int = 30, title: str = "Test group") -> Path:
    lines = [f'{START:%d/%m/%Y, %H:%M} - +34 600 000 001 created group "{title}"']
    for i in range(messages):
        at = START + timedelta(minutes=i + 1)
        lines.append(f"{at:%d/%m/%Y, %H:%M} - +34 600 000 00{i % 5 + 1}: line {i}")
    path = folder / f"WhatsApp Chat with {title}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
