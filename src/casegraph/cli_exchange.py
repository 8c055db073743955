"""CLI verbs of the exchange: keys, referrals, deconfliction, per-country investigations.

`register(app)` adds them to the main Typer app; it is idempotent, so calling it twice
(the CLI module and a test both wiring it) adds each verb once. State, consoles and the
one-line error handling come from casegraph.cli, imported lazily to avoid an import cycle.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from casegraph.errors import CaseError

if TYPE_CHECKING:
    from rich.console import Console

    from casegraph.store.cases import Home

CountryOption = Annotated[str, typer.Option("--country", help="ISO 3166-1 alpha-2, e.g. ES")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output")]


def _home() -> Home:
    from casegraph.cli import State

    return State.home


def _actor() -> str:
    from casegraph.cli import State

    return State.actor


def _out() -> Console:
    from casegraph.cli import out

    return out


def _passphrase(confirm: bool = False) -> str | None:
    """The key passphrase: the environment first, else asked on a terminal, else None."""
    from casegraph.exchange.sealed import PASSPHRASE_ENV

    if os.environ.get(PASSPHRASE_ENV) or not sys.stdin.isatty():
        return None  # None lets the key code read the variable or name it in its error
    value: str = typer.prompt("key passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def _parse_ages(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CaseError(
            f"--ages {text!r}: give whole numbers separated by commas, e.g. 15,16"
        ) from exc


# ---- referrals ----------------------------------------------------------------------------


def refer(
    case: str,
    country: CountryOption,
    recipient_key: Annotated[str, typer.Option(help="Partner key name or public key file")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the .age and .sig files")],
    identity: Annotated[str | None, typer.Option(help="Own key that signs")] = None,
    include_media: Annotated[
        bool, typer.Option(help="Also send the matched media files (needs --reviewer, --reason)")
    ] = False,
    reviewer: Annotated[
        str | None, typer.Option(help="User with the reviewer role who approves media files")
    ] = None,
    reason: Annotated[
        str,
        typer.Option(help="Why media files are sent, or why to a key of another country (audited)"),
    ] = "",
    handling: Annotated[str | None, typer.Option(help="Europol handling code H0-H3")] = None,
    evaluation: Annotated[str | None, typer.Option(help="4x4 evaluation, e.g. B2")] = None,
    tlp: Annotated[str | None, typer.Option(help="clear, green, amber, amber+strict, red")] = None,
    pap: Annotated[str | None, typer.Option(help="clear, green, amber, red")] = None,
    conditions: Annotated[
        str | None, typer.Option(help="Restrictions text (required with H3)")
    ] = None,
    recipient_pgp: Annotated[
        Path | None,
        typer.Option(help="Encrypt to this OpenPGP public key file instead of age (gpg opens it)"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Sign and encrypt one investigation's referral package to a partner's key."""
    from casegraph.exchange.package import investigation_handling, refer, result_dict

    home = _home()
    codes = investigation_handling(
        home.open_case(case),
        country,
        handling_code=handling,
        evaluation=evaluation,
        tlp=tlp,
        pap=pap,
        conditions=conditions,
    )
    result = refer(
        home,
        case,
        country,
        recipient_key,
        out_dir,
        include_media=include_media,
        reason=reason,
        identity=identity,
        handling=codes,
        actor=_actor(),
        passphrase=_passphrase(),
        reviewer=reviewer,
        recipient_pgp=recipient_pgp,
    )
    if as_json:
        _print_json(result_dict(result))
        return
    _out().print(f"referral {result.referral_id} version {result.version}", highlight=False)
    _out().print(
        f"referral {result.country}: {result.targets} target(s), {result.chats} chat(s), "
        f"{result.messages} message(s)",
        highlight=False,
    )
    _out().print(
        f"{result.media} matched media (hashes only), {result.media_files} media file(s)",
        highlight=False,
    )
    _out().print(f"{codes.comment()}, TLP:{codes.tlp.upper()}", highlight=False)
    _out().print(f"package {result.package}\nsignature {result.signature}", highlight=False)


def verify(
    package: Path,
    sender_key: Annotated[str, typer.Option(help="The sender's public key name or file")],
    identity: Annotated[str | None, typer.Option(help="Own key the package is for")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check a received package (signature, recipient, every file's SHA-256) without importing."""
    from casegraph.exchange.receive import verify as verify_package

    result = verify_package(_home(), package, sender_key, identity, _passphrase())
    if as_json:
        _print_json(asdict(result))
        return
    sender = result.sender.get("agency") or result.sender["name"]
    _out().print(
        f"verified: {result.files} file(s) from {sender} (key {result.sender['fingerprint']}), "
        f"case {result.case}, investigation {result.country}, sent {result.created_at}; "
        f"handling {result.handling['handling_code']}, evaluation {result.handling['evaluation']}",
        highlight=False,
    )


def import_referral(
    package: Path,
    sender_key: Annotated[str, typer.Option(help="The sender's public key name or file")],
    identity: Annotated[str | None, typer.Option(help="Own key the package is for")] = None,
    case: Annotated[
        str | None, typer.Option(help="Case to create or update [default ref-CASE-CC]")
    ] = None,
    accept_media: Annotated[
        bool, typer.Option(help="Accept media files in the package (each hash is checked)")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Verify, validate and load a referral; a later version updates the same case."""
    from casegraph.exchange.receive import import_referral as load_referral

    result = load_referral(
        _home(),
        package,
        identity,
        sender_key,
        case,
        actor=_actor(),
        passphrase=_passphrase(),
        accept_media=accept_media,
    )
    if as_json:
        _print_json(asdict(result))
        return
    if result.already_imported:
        _out().print(
            f"referral {result.referral_id} version {result.version} is not newer than version "
            f"{result.previous_version} held in case {result.case}; nothing changed",
            highlight=False,
        )
        return
    from casegraph.report.summary import MATCHED_MEDIA, case_summary

    verb = "created" if result.created else "updated"
    matched = case_summary(_home().open_case(result.case))[MATCHED_MEDIA]
    _out().print(
        f"{verb} case {result.case}: investigation {result.country}, "
        f"handling {result.handling['handling_code']}",
        highlight=False,
    )
    _out().print(
        f"{result.accounts} account(s), {result.chats} chat(s), {result.messages} message(s), "
        f"{result.media} media, {matched} {MATCHED_MEDIA}",
        highlight=False,
    )
    _out().print(
        f"referral {result.referral_id} version {result.version} "
        f"(held before: {result.previous_version or 'none'})",
        highlight=False,
    )


# ---- the way back: acknowledgements and outcome reports ------------------------------------


def _print_sent(result: Any) -> None:
    _out().print(
        f"{result.kind} for referral {result.referral_id} version {result.version}",
        highlight=False,
    )
    _out().print(f"package {result.package}\nsignature {result.signature}", highlight=False)


def ack(
    case: str,
    country: CountryOption,
    status: Annotated[str, typer.Option(help="received, accepted or declined")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the .age and .sig files")],
    reason: Annotated[str, typer.Option(help="Why (required to decline; sent)")] = "",
    identity: Annotated[str | None, typer.Option(help="Own key that signs")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Acknowledge a received referral to the key that sent it (signed, encrypted)."""
    from casegraph.exchange.responses import send_response

    result = send_response(
        _home(),
        case,
        country,
        out_dir,
        status=status,
        reason=reason,
        identity=identity,
        actor=_actor(),
        passphrase=_passphrase(),
    )
    if as_json:
        _print_json(asdict(result))
        return
    _print_sent(result)


def outcome(
    case: str,
    country: CountryOption,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the .age and .sig files")],
    arrests: Annotated[int, typer.Option(help="People arrested so far")] = 0,
    suspects: Annotated[int, typer.Option(help="Suspects identified so far")] = 0,
    ages: Annotated[str | None, typer.Option(help="Suspects' ages, e.g. 15,16,34")] = None,
    minors_safeguarded: Annotated[int, typer.Option(help="Minors safeguarded so far")] = 0,
    identifier: Annotated[
        list[str] | None, typer.Option(help="New identifier found, PLATFORM:ID (repeatable)")
    ] = None,
    media_sha256: Annotated[
        list[str] | None, typer.Option(help="SHA-256 of new media found (repeatable)")
    ] = None,
    reason: Annotated[str, typer.Option(help="Note for the audit log")] = "",
    identity: Annotated[str | None, typer.Option(help="Own key that signs")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Report the outcome so far (totals) of a received referral back to its sender."""
    from casegraph.exchange.responses import Outcome, send_response

    identifiers = []
    for item in identifier or []:
        platform, _, value = item.partition(":")
        if not value:
            raise CaseError(f"--identifier {item!r}: write PLATFORM:ID, e.g. whatsapp:+34600...")
        identifiers.append({"platform": platform.lower(), "identifier": value})
    report = Outcome(
        arrests,
        suspects,
        _parse_ages(ages) or [],
        minors_safeguarded,
        identifiers,
        [value.lower() for value in media_sha256 or []],
    )
    result = send_response(
        _home(),
        case,
        country,
        out_dir,
        outcome=report,
        reason=reason,
        identity=identity,
        actor=_actor(),
        passphrase=_passphrase(),
    )
    if as_json:
        _print_json(asdict(result))
        return
    _print_sent(result)


def import_response(
    package: Path,
    sender_key: Annotated[str, typer.Option(help="The partner's public key name or file")],
    identity: Annotated[str | None, typer.Option(help="Own key the package is for")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Verify and record a partner's acknowledgement or outcome report."""
    from casegraph.exchange.responses import import_response as load_response

    result = load_response(
        _home(), package, sender_key, identity, actor=_actor(), passphrase=_passphrase()
    )
    if as_json:
        _print_json(asdict(result))
        return
    if result.already_imported:
        _out().print(f"already imported into case {result.case}; nothing changed")
        return
    figures = result.figures
    _out().print(
        f"{result.kind} from {result.reporter} ({result.reported_at}) recorded in case "
        f"{result.case}, investigation {result.country}"
        + (f": {result.status}" if result.status else "")
        + f"; now {figures['arrests']} arrest(s), {figures['suspects']} suspect(s), "
        f"{figures['minors']} minor(s) safeguarded",
        highlight=False,
    )


# ---- deconfliction ------------------------------------------------------------------------


def deconflict(
    case: str,
    file: Annotated[Path, typer.Argument(help="A partner's request, or the answer to ours")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Answer file to write [default FILE.answer.json]")
    ] = None,
    identity: Annotated[str | None, typer.Option(help="Own key that signs the answer")] = None,
    limit: Annotated[
        int, typer.Option(help="Identifiers one partner may ask about per 24 h (audited)")
    ] = 20_000,
    as_json: JsonFlag = False,
) -> None:
    """Answer a partner's deconfliction request, or read the answer to ours (PSI, signed)."""
    from casegraph.exchange.deconflict import (
        REQUEST_FORMAT,
        answer_request,
        file_format,
        read_answer,
    )

    home = _home()
    if file_format(file) == REQUEST_FORMAT:
        target = out_file or file.with_name(file.name.removesuffix(".json") + ".answer.json")
        answered = answer_request(
            home, case, file, target, identity, limit, actor=_actor(), passphrase=_passphrase()
        )
        if as_json:
            _print_json(asdict(answered))
            return
        _out().print(
            f"answered {answered.requester}'s request about {answered.identifiers} "
            f"identifier(s) from case {case}; wrote {answered.path}. They learn which of their "
            "identifiers this case holds; you learn nothing about theirs.",
            highlight=False,
        )
        return
    result = read_answer(home, case, file, actor=_actor(), passphrase=_passphrase())
    if as_json:
        _print_json(asdict(result))
        return
    out = _out()
    out.print(
        f"{result.partner or 'partner'} (operation {result.operation or '-'}) also holds "
        f"{len(result.known_accounts)} target(s) and {len(result.known_media)} media file(s)",
        highlight=False,
    )
    for account in result.known_accounts:
        out.print(f"  account {account['key']}  {account['identifier']}", highlight=False)
    for sha256 in result.known_media:
        out.print(f"  media {sha256}", highlight=False)
    for found in result.in_other_cases:
        out.print(f"  {found['kind']} {found['id']} also in case(s) {', '.join(found['cases'])}")


def deconflict_export(
    case: str,
    out_file: Annotated[Path, typer.Option("--out", help="Request file to write")],
    to: Annotated[
        str | None, typer.Option("--to", help="Partner key the request is for (else any)")
    ] = None,
    operation: Annotated[str, typer.Option(help="Operation label, kept in the files")] = "",
    identity: Annotated[str | None, typer.Option(help="Own key that signs the request")] = None,
) -> None:
    """Write a signed deconfliction request (blinded identifiers, no raw value) for a partner."""
    from casegraph.exchange.deconflict import export_request

    count = export_request(
        _home(),
        case,
        out_file,
        operation,
        to,
        identity,
        actor=_actor(),
        passphrase=_passphrase(),
    )
    _out().print(
        f"wrote a request about {count} identifier(s) to {out_file}; the partner answers it "
        "with `casegraph deconflict THEIR_CASE FILE`, you read the answer with "
        f"`casegraph deconflict {case} ANSWER`",
        highlight=False,
    )


# ---- keys ---------------------------------------------------------------------------------

keys_app = typer.Typer(help="Own and partner keys.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate(
    name: Annotated[str, typer.Argument(help="Name of the new own key")],
    agency: Annotated[str, typer.Option(help="Agency the key speaks for")] = "",
    country: Annotated[str, typer.Option(help="Agency country, e.g. ES")] = "",
    valid_days: Annotated[int, typer.Option(help="Days until the key expires")] = 730,
) -> None:
    """Make an own signing + encryption key."""
    from casegraph.exchange.keys import format_fingerprint, generate_key

    key = generate_key(_home().root, name, agency, country, _passphrase(confirm=True), valid_days)
    _out().print(
        f"key {name}: fingerprint {format_fingerprint(key.fingerprint)}, expires {key.expires}",
        highlight=False,
    )


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="Own or partner key (name or file)")],
    reason: ReasonOption,
) -> None:
    """Stop trusting a key: packages signed by it or addressed to it are refused from now on."""
    from casegraph.exchange.keys import format_fingerprint, revoke_key

    key = revoke_key(_home().root, name, reason, actor=_actor())
    _out().print(f"revoked {key.name}: {format_fingerprint(key.fingerprint)}", highlight=False)


@keys_app.command("export")
def keys_export(
    name: Annotated[str, typer.Argument(help="Own or partner key to export")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write")],
    age_identity: Annotated[
        bool, typer.Option(help="Write the own age secret (0600) for `age -d -i FILE`")
    ] = False,
) -> None:
    """Export a public key (default) or an own age identity."""
    from casegraph.exchange.keys import export_age_identity, export_public_key

    home = _home()
    if age_identity:
        export_age_identity(home.root, name, out_file, _passphrase())
    else:
        export_public_key(home.root, name, out_file)
    _out().print(f"wrote {out_file}", highlight=False)


@keys_app.command("import")
def keys_import(
    file: Path,
    name: Annotated[str | None, typer.Option(help="Local name for a partner key")] = None,
) -> None:
    """Import a partner's public key."""
    from casegraph.exchange.keys import format_fingerprint, import_public_key

    key = import_public_key(_home().root, file, name)
    _out().print(f"partner key {name or key.name} ({key.agency or 'no agency'})", highlight=False)
    _out().print(f"fingerprint {format_fingerprint(key.fingerprint)}", highlight=False)
    _out().print("compare the fingerprint with the partner over another channel")


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """Own and partner keys with their fingerprints, expiry and revocation."""
    from casegraph.exchange.keys import format_fingerprint, list_keys

    infos = list_keys(_home().root)
    if as_json:
        _print_json([asdict(info) for info in infos])
        return
    if not infos:
        _out().print("no keys; create one with: casegraph keys generate NAME --agency A")
        return
    table = Table("name", "kind", "fingerprint", "agency", "country", "expires")
    for info in infos:
        expiry = "REVOKED" if info.revoked else info.expires
        shown = format_fingerprint(info.fingerprint)
        table.add_row(info.name, info.kind, shown, info.agency, info.country, expiry)
    _out().print(table)


# ---- investigations -----------------------------------------------------------------------

investigation_app = typer.Typer(help="Per-country investigations of a case.", no_args_is_help=True)


@investigation_app.command("list")
def investigation_list(
    case: str,
    country: Annotated[str | None, typer.Option(help="Only this country")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Investigations with status, agency, targets, outcome figures and codes."""
    from casegraph.exchange.investigations import dashboard_totals, investigation_status

    views = investigation_status(_home().open_case(case), country)
    if as_json:
        _print_json(
            {"investigations": [asdict(v) for v in views], "totals": dashboard_totals(views)}
        )
        return
    table = Table(
        "country", "status", "agency", "targets", "arrests", "suspects", "minors", "codes"
    )
    for view in views:
        table.add_row(
            view.country,
            view.status,
            view.agency,
            str(len(view.accounts)),
            str(view.arrests),
            str(view.suspects),
            str(view.minors),
            f"{view.handling_code} {view.evaluation} TLP:{view.tlp.upper()}",
        )
    _out().print(table)


@investigation_app.command("move")
def investigation_move(
    case: str,
    accounts: Annotated[list[str], typer.Argument(help="Account ids or identifiers")],
    to: Annotated[str, typer.Option("--to", help="Country (or 'unattributed')")],
    reason: ReasonOption,
) -> None:
    """Move accounts into another country's investigation."""
    from casegraph.exchange.investigations import move_accounts

    view = move_accounts(_home().open_case(case), accounts, to, actor=_actor(), reason=reason)
    _out().print(f"investigation {view.country}: {len(view.accounts)} target(s)", highlight=False)


@investigation_app.command("status")
def investigation_set_status(
    case: str,
    country: str,
    status: Annotated[str, typer.Option("--set", help="New status")],
    reason: ReasonOption,
    agency: Annotated[str | None, typer.Option(help="Agency that handles it")] = None,
) -> None:
    """Set an investigation's status (proposed ... closed) and agency."""
    from casegraph.exchange.investigations import set_status

    view = set_status(
        _home().open_case(case), country, status, agency, actor=_actor(), reason=reason
    )
    _out().print(f"investigation {view.country}: {view.status} ({view.agency or 'no agency'})")


@investigation_app.command("outcome")
def investigation_outcome(
    case: str,
    country: str,
    reason: ReasonOption,
    arrests: Annotated[int | None, typer.Option(help="People arrested")] = None,
    suspects: Annotated[int | None, typer.Option(help="Suspects identified")] = None,
    minors: Annotated[int | None, typer.Option(help="Minors among the suspects")] = None,
    ages: Annotated[str | None, typer.Option(help="Suspects' ages, e.g. 15,16,34")] = None,
) -> None:
    """Record the figures a partner reported back."""
    from casegraph.exchange.investigations import record_outcome

    view = record_outcome(
        _home().open_case(case),
        country,
        arrests,
        suspects,
        minors,
        _parse_ages(ages),
        actor=_actor(),
        reason=reason,
    )
    _out().print(
        f"investigation {view.country}: {view.status}, {view.arrests} arrest(s), "
        f"{view.suspects} suspect(s), {view.minors} minor(s)",
        highlight=False,
    )


# ---- wiring -------------------------------------------------------------------------------

COMMANDS: dict[str, Callable[..., None]] = {
    "refer": refer,
    "verify": verify,
    "import-referral": import_referral,
    "ack": ack,
    "outcome": outcome,
    "import-response": import_response,
    "deconflict": deconflict,
    "deconflict-export": deconflict_export,
}
GROUPS = {"keys": keys_app, "investigation": investigation_app}


def register(app: typer.Typer) -> None:
    """Add the exchange verbs to `app`; a second call adds nothing."""
    commands = {info.name for info in app.registered_commands}
    groups = {info.name for info in app.registered_groups}
    for name, function in COMMANDS.items():
        if name not in commands:
            app.command(name)(function)
    for name, group in GROUPS.items():
        if name not in groups:
            app.add_typer(group, name=name)
