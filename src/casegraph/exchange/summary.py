"""The human-readable page of a referral: who, which chats, what matched, under which codes."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, select_autoescape

from casegraph.exchange.codes import HANDLING_CODES, Handling
from casegraph.exchange.collect import ReferralData

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Referral {{ case }} / {{ data.country }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #999;padding:.2em .5em}.codes{background:#fff3cd;padding:.5em}</style>
</head><body>
<h1>Referral: case {{ case }}, investigation {{ data.country }}</h1>
<p>From {{ sender }} to {{ recipient }}, {{ created }}.</p>
<div class="codes"><strong>TLP:{{ h.tlp|upper }}</strong> · PAP:{{ h.pap|upper }} ·
Handling {{ h.handling_code }}: {{ meaning }}{% if h.conditions %} ({{ h.conditions }}){% endif %}
· Evaluation {{ h.evaluation }}</div>
<h2>Targets ({{ data.accounts|length }})</h2>
<table><tr><th>Platform</th><th>Identifier</th><th>Names</th><th>Country</th>
<th>Messages</th></tr>
{% for a in data.accounts %}<tr><td>{{ a.platform }}</td><td>{{ a.identifier }}</td>
<td>{{ a.names|join(", ") }}</td><td>{{ a.country or "" }}</td>
<td>{{ counts[a.key] }}</td></tr>{% endfor %}</table>
<h2>Chats ({{ data.chats|length }})</h2>
<table><tr><th>Platform</th><th>Title</th><th>Former names</th><th>Targets in it</th></tr>
{% for c in data.chats %}<tr><td>{{ c.platform }}</td><td>{{ c.title }}</td>
<td>{{ c.aliases|join(", ") }}</td><td>{{ c.members|length }}</td></tr>{% endfor %}</table>
<h2>Matched media ({{ data.media|length }}, hashes only)</h2>
<table><tr><th>SHA-256</th><th>Kind</th><th>Matches</th></tr>
{% for m in data.media %}<tr><td><code>{{ m.sha256 }}</code></td><td>{{ m.kind }}</td>
<td>{{ matches[m.sha256]|join("; ") }}</td></tr>{% endfor %}</table>
<p>{{ data.messages|length }} messages by the targets are in excerpts/messages.json.
{% if media_files %}{{ media_files }} media files are included at the sender's explicit request.
{% else %}No media files are included.{% endif %}</p>
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_summary(
    data: ReferralData,
    handling: Handling,
    case_name: str,
    sender: str,
    recipient: str,
    created_at: datetime,
    media_files: int,
) -> str:
    counts = {a["key"]: 0 for a in data.accounts}
    for message in data.messages:
        counts[message["account"]] += 1
    matches: dict[str, list[str]] = {}
    for match in data.matches:
        matches.setdefault(match["media_sha256"], []).append(
            f"{match['list']} {match['method']} {match['scheme']}={match['category']}"
        )
    return _env.from_string(TEMPLATE).render(
        data=data,
        h=handling,
        meaning=HANDLING_CODES[handling.handling_code],
        case=case_name,
        sender=sender,
        recipient=recipient,
        created=created_at.isoformat(),
        counts=counts,
        matches=matches,
        media_files=media_files,
    )
