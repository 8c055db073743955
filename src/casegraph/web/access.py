"""Roles, and the viewer a request acts for; what a role may read comes from `casegraph.access`.

Admins, analysts and reviewers see whole cases. A liaison officer sees, in each case, only the
investigations of their own country that were referred, and the accounts, chats, messages and
media those investigations hold. Auditors see the audit log only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from casegraph.access.scope import REFERRED_STATUSES, Scope, country_scope, full_scope, no_scope
from casegraph.store.cases import Case
from casegraph.web.users import User

__all__ = ["REFERRED_STATUSES", "Scope", "Viewer", "compute_scope"]

CASE_READERS = ("admin", "analyst", "reviewer", "liaison")
FULL_READERS = ("admin", "analyst", "reviewer")
EDITORS = ("admin", "analyst")
AUDIT_READERS = ("admin", "auditor")
TIP_READERS = ("admin", "analyst")
REVEALERS = ("reviewer",)


@dataclass(slots=True)
class Viewer:
    user: User
    scopes: dict[str, Scope] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.user.role

    def can(self, roles: tuple[str, ...]) -> bool:
        return self.user.role in roles

    def scope(self, case: Case) -> Scope:
        cached = self.scopes.get(case.name)
        if cached is None:
            with case.read() as session:
                cached = compute_scope(session, case, self.user)
            self.scopes[case.name] = cached
        return cached


def compute_scope(session: Session, case: Case, user: User) -> Scope:
    if user.role in FULL_READERS:
        return full_scope()
    if user.role != "liaison" or not user.country:
        return no_scope()
    return country_scope(session, case, user.country)
