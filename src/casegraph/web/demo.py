"""Demo logins for `casegraph demo`: one user per role, fixed synthetic passwords."""

from __future__ import annotations

from casegraph.store.cases import Home
from casegraph.web.users import add_user, list_users

DEMO_USERS = (
    ("admin", "demo-admin-pass", "admin", None),
    ("analyst", "demo-analyst-pass", "analyst", None),
    ("reviewer", "demo-reviewer-pass", "reviewer", None),
    ("liaison-es", "demo-liaison-pass", "liaison", "ES"),
    ("liaison-mx", "demo-liaison-pass", "liaison", "MX"),
    ("auditor", "demo-auditor-pass", "auditor", None),
)


def seed_demo_users(home: Home) -> list[tuple[str, str, str]]:
    """Create the demo users that are missing; returns (username, password, role) for all."""
    existing = {user.username for user in list_users(home)}
    for username, password, role, country in DEMO_USERS:
        if username not in existing:
            add_user(home, username, password, role, country, actor="demo")
    return [(u, p, r if c is None else f"{r} {c}") for u, p, r, c in DEMO_USERS]
