"""CLI verbs of the web platform and public intake: serve, user, tip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

user_app = typer.Typer(help="Users of the web workspace and their roles.", no_args_is_help=True)
tip_app = typer.Typer(
    help="Tips from the public: submit, import, list, triage.", no_args_is_help=True
)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, analyst, reviewer, liaison or auditor")],
    country: Annotated[str | None, typer.Option(help="ISO country (liaison officers)")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password [env CASEGRAPH_PASSWORD, else asked]")
    ] = None,
) -> None:
    """Create a user (argon2-hashed password)."""
    import os

    from casegraph.cli import State, out
    from casegraph.web.users import add_user

    secret = password or os.environ.get("CASEGRAPH_PASSWORD")
    if secret is None:
        secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = add_user(State.home, username, secret, role, country, actor=State.actor)
    out.print(f"user {user.username} ({user.role}{' ' + user.country if user.country else ''})")


@user_app.command("list")
def user_list() -> None:
    """List users, their roles and whether they are disabled."""
    from casegraph.cli import State, out
    from casegraph.web.users import list_users

    for user in list_users(State.home):
        state = "disabled" if user.disabled else "active"
        out.print(f"{user.username}\t{user.role}\t{user.country or '-'}\t{state}")


@user_app.command("disable")
def user_disable(username: str) -> None:
    """Disable a user; their sessions end."""
    from casegraph.cli import State, out
    from casegraph.web.users import disable_user

    user = disable_user(State.home, username, actor=State.actor)
    out.print(f"user {user.username} disabled")


@user_app.command("passwd")
def user_passwd(
    username: str,
    password: Annotated[
        str | None, typer.Option(help="New password [env CASEGRAPH_PASSWORD, else asked]")
    ] = None,
) -> None:
    """Set a user's password (checked against the policy); their sessions end."""
    import os

    from casegraph.cli import State, out
    from casegraph.web.users import change_password

    secret = password or os.environ.get("CASEGRAPH_PASSWORD")
    if secret is None:
        secret = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    user = change_password(State.home, username, secret, actor=State.actor)
    out.print(f"password of {user.username} changed; their sessions ended")


@user_app.command("second-factor-off")
def user_second_factor_off(username: str) -> None:
    """Remove a user's second factor (a lost phone with no recovery code left)."""
    from casegraph.cli import State, out
    from casegraph.web.second_factor import turn_off

    turn_off(State.home, username.strip().lower(), actor=State.actor)
    out.print(f"second factor of {username} removed; they log in with the password alone")


@tip_app.command("submit")
def tip_submit(
    platform: Annotated[str, typer.Option(help="whatsapp, telegram, signal or other")],
    group_name: Annotated[str, typer.Option(help="Name of the group")] = "",
    invite_link: Annotated[str, typer.Option(help="Invite link of the group")] = "",
    phone: Annotated[list[str] | None, typer.Option(help="A phone number (repeatable)")] = None,
    description: Annotated[str, typer.Option(help="What the reporter saw")] = "",
    contact: Annotated[str, typer.Option(help="Reporter contact (optional)")] = "",
) -> None:
    """Record a tip taken by phone or e-mail; prints its receipt and linked cases."""
    from casegraph.cli import State, out
    from casegraph.intake.inbox import submit_tip

    fields: dict[str, object] = {
        "platform": platform,
        "group_name": group_name,
        "invite_link": invite_link,
        "phones": "\n".join(phone or []),
        "description": description,
        "contact": contact,
    }
    result = submit_tip(State.home, fields, origin="cli", actor=State.actor)
    linked = ", ".join(link.case for link in result.links) or "no case"
    out.print(f"tip {result.receipt} ({result.status}), linked to: {linked}")


@tip_app.command("import")
def tip_import(file: Path) -> None:
    """Import NCMEC CyberTipline report XML as tips."""
    from casegraph.cli import State, out
    from casegraph.errors import CaseError
    from casegraph.intake.cybertip import import_cybertip

    if not file.is_file():
        raise CaseError(f"{file}: no such file; check the path")
    for result in import_cybertip(State.home, file, actor=State.actor):
        linked = ", ".join(link.case for link in result.links) or "no case"
        out.print(f"tip {result.receipt} ({result.status}), linked to: {linked}")


@tip_app.command("list")
def tip_list(
    status: Annotated[str | None, typer.Option(help="Only tips with this status")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
) -> None:
    """The tips inbox."""
    from casegraph.cli import State, out
    from casegraph.intake.inbox import list_tips

    for tip in list_tips(State.home, status=status):
        if as_json:
            record = {
                "receipt": tip.receipt,
                "status": tip.status,
                "platform": tip.platform,
                "group_name": tip.group_name,
                "linked_cases": tip.linked_cases,
                "received_at": tip.received_at.isoformat(),
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            cases = ", ".join(tip.linked_cases) or "-"
            out.print(f"{tip.receipt}\t{tip.status}\t{tip.platform}\t{tip.group_name}\t{cases}")


@tip_app.command("triage")
def tip_triage(
    receipt: str,
    status: Annotated[str, typer.Option(help="new, linked, case_opened or no_action")],
    case: Annotated[str | None, typer.Option(help="The case it belongs to")] = None,
    reason: Annotated[str, typer.Option(help="Why")] = "",
) -> None:
    """Set a tip's status (case_opened with a new case name creates the case)."""
    from casegraph.cli import State, out
    from casegraph.intake.inbox import triage_tip

    tip = triage_tip(State.home, receipt, status, State.actor, case=case, reason=reason)
    out.print(f"tip {tip.receipt} is now {tip.status}")


def uvicorn_options(
    workers: int = 1,
    forwarded_allow_ips: str = "",
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> dict[str, Any]:
    """uvicorn settings: X-Forwarded-* is believed only from the addresses named (default none:
    uvicorn's own default trusts loopback, so any local client could pick its address)."""
    from casegraph.errors import InputError

    if workers < 1:
        raise InputError(f"--workers {workers}: give 1 or more")
    if (certfile is None) != (keyfile is None):
        raise InputError("HTTPS needs both --certfile and --keyfile")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            raise InputError(f"{path}: no such file; give the PEM certificate and its key")
    trusted = forwarded_allow_ips.strip()
    options: dict[str, Any] = {
        "workers": workers,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "log_level": "warning",
    }
    if certfile is not None and keyfile is not None:
        options.update(ssl_certfile=str(certfile), ssl_keyfile=str(keyfile))
    if not trusted:
        options.pop("forwarded_allow_ips")
    return options


def serve_forever(
    host: str,
    port: int,
    workers: int = 1,
    forwarded_allow_ips: str = "",
    certfile: Path | None = None,
    keyfile: Path | None = None,
    job_worker: bool = True,
) -> None:
    """Each worker process builds the app from the environment set here (uvicorn factory)."""
    import os

    import uvicorn

    from casegraph.cli import State

    options = uvicorn_options(workers, forwarded_allow_ips, certfile, keyfile)
    os.environ["CASEGRAPH_HOME"] = str(State.home.root.resolve())
    if State.home.db_url:
        os.environ["CASEGRAPH_DB_URL"] = State.home.db_url
    os.environ["CASEGRAPH_HTTPS"] = "1" if certfile is not None else "0"
    os.environ["CASEGRAPH_JOB_WORKER"] = "1" if job_worker else "0"
    State.home.installation_sessions()  # migrate once here, not racing in every worker
    uvicorn.run(
        "casegraph.web.app:app_from_environment", factory=True, host=host, port=port, **options
    )


def register(app: typer.Typer) -> None:
    if any(group.name == "user" for group in app.registered_groups):
        return
    app.add_typer(user_app, name="user")
    app.add_typer(tip_app, name="tip")

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port")] = 8000,
        workers: Annotated[
            int, typer.Option(help="Web worker processes (they share sessions and limits)")
        ] = 1,
        forwarded_allow_ips: Annotated[
            str,
            typer.Option(
                help="Proxy addresses whose X-Forwarded-For/-Proto are believed "
                "(comma-separated; default none)"
            ),
        ] = "",
        certfile: Annotated[
            Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS")
        ] = None,
        keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
        job_worker: Annotated[
            bool,
            typer.Option(help="Run background jobs in the web processes (off: `casegraph worker`)"),
        ] = True,
    ) -> None:
        """The web workspace and the public reporting page."""
        from casegraph.cli import State, out

        uvicorn_options(workers, forwarded_allow_ips, certfile, keyfile)  # refuse bad input first
        scheme = "https" if certfile else "http"
        out.print(
            f"casegraph web on {scheme}://{host}:{port}/ (home {State.home.root}, "
            f"{workers} worker{'s' if workers > 1 else ''}); Ctrl-C stops"
        )
        serve_forever(host, port, workers, forwarded_allow_ips, certfile, keyfile, job_worker)
