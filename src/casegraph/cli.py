"""The `casegraph` command line (Typer). Every failure is one line on stderr and exit code 2.

Heavy modules (the store, SQLAlchemy, Alembic, analysis) are imported inside the verbs, so
`--version` and `--help` start in a tenth of a second.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from casegraph import __version__
from casegraph.errors import CaseError

if TYPE_CHECKING:
    from casegraph.access.scope import Scope
    from casegraph.store.cases import Case, Home

err = Console(stderr=True)

# Options of the whole program that a user may also type after the verb.
GLOBAL_OPTIONS = ("--home", "--db-url")


def hoist_global_options(args: list[str]) -> list[str]:
    """Move `--home X` / `--db-url=X` typed after the verb to the front, where Click reads them."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":  # everything after it is an argument, never an option
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        elif arg in GLOBAL_OPTIONS and index + 1 < len(args):
            front.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


class _OneLineErrors(TyperGroup):
    """Turns a CaseError anywhere below into one line on stderr and exit code 2."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CaseError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from exc


app = typer.Typer(
    cls=_OneLineErrors,
    help="casegraph: messaging-group investigations on hashes, metadata and text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(help="Create, list and show cases.", no_args_is_help=True)
evidence_app = typer.Typer(help="Chain of custody of the evidence store.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
hashlist_app = typer.Typer(help="Hash lists of known material.", no_args_is_help=True)
person_app = typer.Typer(help="Analyst decisions about persons.", no_args_is_help=True)
app.add_typer(case_app, name="case")
app.add_typer(evidence_app, name="evidence")
app.add_typer(audit_app, name="audit")
app.add_typer(hashlist_app, name="hashlist")
app.add_typer(person_app, name="person")

out = Console()


class _LazyHome(type):
    """`State.home` opens the store on first use, so `casegraph case --help` never loads it."""

    _home: Home | None = None
    home_root: Path = Path("casegraph-data")
    home_given: bool = False  # --home or CASEGRAPH_HOME named one (the demo then uses it)
    db_url: str | None = None

    @property
    def home(cls) -> Home:
        if cls._home is None:
            from casegraph.store.cases import Home

            cls._home = Home(cls.home_root, cls.db_url)
        return cls._home

    @home.setter
    def home(cls, value: Home) -> None:
        cls._home = value


class State(metaclass=_LazyHome):
    actor: str = "cli"


def _actor() -> str:
    try:
        return os.environ.get("CASEGRAPH_ACTOR") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "cli"


def _version(value: bool) -> None:
    if value:
        out.print(f"casegraph {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    home: Annotated[
        Path | None,
        typer.Option(help="Home directory of cases [env CASEGRAPH_HOME, default ./casegraph-data]"),
    ] = None,
    db_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL URL for the cases [env CASEGRAPH_DB_URL; default SQLite]"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    State._home = None
    State.home_given = bool(home or os.environ.get("CASEGRAPH_HOME"))
    State.home_root = home or Path(os.environ.get("CASEGRAPH_HOME", "casegraph-data"))
    State.db_url = db_url or os.environ.get("CASEGRAPH_DB_URL") or None
    State.actor = _actor()


def _open(name: str) -> Case:
    return State.home.open_case(name)


# ---- case ---------------------------------------------------------------------------------


@case_app.command("create")
def case_create(
    name: str,
    timezone: Annotated[str, typer.Option(help="IANA zone of the exports' local times")] = "UTC",
    agency: Annotated[str, typer.Option(help="Owning agency or country code")] = "",
) -> None:
    """Create a case (a database + write-once evidence store)."""
    case = State.home.create_case(name, timezone=timezone, agency=agency, actor=State.actor)
    out.print(f"created case {case.name} ({case.backend}) in {case.directory}")


@case_app.command("list")
def case_list() -> None:
    """List the cases of this home."""
    names = State.home.case_names()
    if not names:
        out.print(f"no cases in {State.home.root}; create one with: casegraph case create NAME")
        return
    for name in names:
        out.print(name)


@case_app.command("show")
def case_show(name: str) -> None:
    """Summary counts of one case."""
    from casegraph.report.summary import case_summary

    summary = case_summary(_open(name))
    table = Table(title=f"case {name}", show_header=False)
    for key, value in summary.items():
        table.add_row(key, str(value))
    out.print(table)


# ---- evidence and audit -------------------------------------------------------------------


@evidence_app.command("verify")
def evidence_verify(
    name: str,
    deep: Annotated[
        bool, typer.Option(help="Also re-parse every source and compare its rows one by one")
    ] = False,
) -> None:
    """Re-hash every stored file and check the rows each source became; exit 1 on any change."""
    from rich.markup import escape

    from casegraph.store.custody import verify_evidence, verify_rows

    case = _open(name)
    report = verify_evidence(case)
    rows = verify_rows(case, deep=deep)
    for problem in report.problems:
        out.print(f"[red]{problem.problem}[/red] {problem.sha256}  {problem.detail}")
    for row_problem in rows.problems:
        out.print(
            f"[red]rows[/red] {escape(row_problem.source)} ({row_problem.sha256[:12]}): "
            f"{escape(row_problem.problem)}",
            highlight=False,
        )
    if rows.unrecorded:
        out.print(
            f"{len(rows.unrecorded)} source(s) ingested before row digests were recorded "
            "(checked only with --deep)"
        )
    if report.unreferenced:
        out.print(f"{len(report.unreferenced)} stored blob(s) not named by any source (ignored)")
    if report.partials:
        out.print(
            f"{len(report.partials)} partial file(s) of an interrupted run in "
            f"{case.evidence.root / 'tmp'} (not evidence; the next ingest removes them)"
        )
    with case.mutate(
        State.actor,
        "evidence.verify",
        f"case:{name}",
        details={
            "checked": report.checked,
            "problems": len(report.problems),
            "row_problems": len(rows.problems),
            "deep": deep,
        },
    ):
        pass
    edited_records = sum(p.problem == "record-changed" for p in report.problems)
    if len(report.problems) > edited_records:
        err.print(
            f"evidence verify: {len(report.problems) - edited_records} problem(s) in "
            f"{case.evidence.root}; restore the blobs from the original media and re-run"
        )
    if edited_records:
        err.print(
            f"evidence verify: {edited_records} custody record(s) were edited in the database "
            "while their blobs are intact; see `audit verify` and restore the records"
        )
    if not rows.ok:
        err.print(
            f"evidence verify: the rows of {len({p.sha256 for p in rows.problems})} source(s) "
            "no longer match their evidence; see the audit log for who wrote to the case, "
            "and re-ingest into a new case"
        )
    if not (report.ok and rows.ok):
        raise typer.Exit(1)
    out.print(
        f"evidence ok: {report.checked} file(s) re-hashed, all match their custody record; "
        f"rows of {rows.sources} source(s) match {'the evidence' if deep else 'their ingest'}"
    )


@audit_app.command("verify")
def audit_verify(
    name: str,
    witness: Annotated[
        list[Path] | None,
        typer.Option(help="A signed head from `audit show --head` that was kept elsewhere"),
    ] = None,
) -> None:
    """Walk the hash chain; exit 1 on an edited, deleted, inserted or reordered entry."""
    from casegraph.store.witness import check_witness, read_witness

    case = _open(name)
    with case.read() as session:
        problems = case.audit.verify(session)
        count = case.audit.count(session)
    for path in witness or []:
        problems.extend(check_witness(case, read_witness(path)))
    for problem in problems:
        where = f"entry {problem.seq}" if problem.seq else "witness"
        out.print(f"[red]{where}[/red]: {problem.problem}")
    if problems:
        err.print(f"audit verify: the audit chain of case {name!r} is broken ({len(problems)})")
        raise typer.Exit(1)
    witnessed = f", consistent with {len(witness)} witnessed head(s)" if witness else ""
    out.print(f"audit ok: {count} entries, chain intact{witnessed}")


@audit_app.command("show")
def audit_show(
    name: str,
    limit: Annotated[int, typer.Option(help="Show the newest N entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output")] = False,
    head: Annotated[
        bool, typer.Option("--head", help="Print the signed chain head (JSON) to keep elsewhere")
    ] = False,
) -> None:
    """Show the newest audit entries, or the signed chain head."""
    case = _open(name)
    if head:
        from casegraph.store.witness import signed_audit_head

        sys.stdout.write(json.dumps(signed_audit_head(case), indent=2, ensure_ascii=False) + "\n")
        return
    with case.read() as session:
        rows = case.audit.entries(session, limit=limit)
    if as_json:
        for row in rows:
            record = {
                "seq": row.seq,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "reason": row.reason,
                "details": row.details,
                "hash": row.entry_hash,
            }
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    table = Table("seq", "at (UTC)", "actor", "action", "target", "reason")
    for row in rows:
        table.add_row(
            str(row.seq),
            row.at.strftime("%Y-%m-%d %H:%M:%S"),
            row.actor,
            row.action,
            row.target,
            row.reason,
        )
    out.print(table)


# ---- pipeline -----------------------------------------------------------------------------


@app.command()
def ingest(
    name: str,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Exports (.txt, .json, .zip, folders) or device databases "
            "(msgstore.db, ChatStorage.sqlite)"
        ),
    ],
    captured_by: Annotated[str, typer.Option(help="Who captured the evidence")] = "",
    date_order: Annotated[
        str | None, typer.Option(help="Override WhatsApp date order: dmy, mdy or ymd")
    ] = None,
) -> None:
    """Ingest chat exports: hashed into the evidence store, parsed, one transaction per source."""
    from casegraph.store.ingest import ingest_paths

    for path in paths:
        if not path.exists():
            raise CaseError(f"{path}: no such file or folder; check the path")
    result = ingest_paths(
        _open(name),
        list(paths),
        captured_by=captured_by or State.actor,
        actor=State.actor,
        date_order=date_order,
        progress=sys.stderr.isatty(),
    )
    for warning in result.warnings:  # names files: the terminal wraps it, not rich
        err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    out.print(
        f"ingested {result.sources_added} source(s), {result.sources_skipped} already present",
        highlight=False,
    )
    out.print(
        f"{result.messages} messages, {result.events} events, {result.media} media files",
        highlight=False,
    )


@hashlist_app.command("import")
def hashlist_import(
    name: str,
    file: Path,
    list_name: Annotated[str | None, typer.Option("--name", help="List name")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto (sniffed) or a hash-list format name")
    ] = "auto",
    pdq_threshold: Annotated[int, typer.Option(help="PDQ distance threshold")] = 31,
    quality_floor: Annotated[int, typer.Option(help="Minimum PDQ quality")] = 50,
    negative: Annotated[
        bool, typer.Option(help="Known false positives: suppress other matches")
    ] = False,
) -> None:
    """Import (or update) a hash list in any registered format (VICS JSON, NCMEC XML, CSV...)."""
    from casegraph.store.matching import import_hash_list

    if not file.is_file():
        raise CaseError(f"{file}: no such file; check the path")
    result = import_hash_list(
        _open(name),
        file,
        name=list_name,
        fmt=fmt,
        pdq_threshold=pdq_threshold,
        quality_floor=quality_floor,
        negative=negative,
        actor=State.actor,
    )
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)
    out.print(
        f"hash list {result.name} ({result.format}): {result.added} added, "
        f"{result.updated} updated, {result.removed} removed, {result.unchanged} unchanged"
    )


@app.command()
def match(
    name: str,
    pdq_threshold: Annotated[
        int | None, typer.Option(help="Override every list's PDQ threshold")
    ] = None,
    dihedral: Annotated[bool, typer.Option(help="Also match rotations and flips")] = False,
    dask: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    ] = None,
    dask_evidence_root: Annotated[
        str | None,
        typer.Option(help="Where Dask workers mount this case's evidence store (default: same)"),
    ] = None,
) -> None:
    """Hash the case's media and match it against its hash lists."""
    from casegraph.report.summary import MATCHED_MEDIA, case_summary
    from casegraph.store.matching import hash_case_media, match_case

    case = _open(name)
    counts = case_summary(case)
    if not counts["media"] or not counts["hash lists"]:
        missing = "media" if not counts["media"] else "hash lists"
        fix = (
            f"casegraph ingest {name} EXPORT..."
            if missing == "media"
            else f"casegraph hashlist import {name} FILE"
        )
        out.print(f"nothing to match: case {name} has no {missing} yet", highlight=False)
        out.print(f"first run: {fix}", highlight=False, soft_wrap=True)
        return
    hashed = hash_case_media(
        case,
        progress=sys.stderr.isatty(),
        dask_address=dask,
        dask_evidence_root=dask_evidence_root,
        actor=State.actor,
    )
    result = match_case(
        case,
        pdq_threshold=pdq_threshold,
        dihedral=dihedral,
        actor=State.actor,
        dask_address=dask,
    )
    out.print(
        f"hashed {hashed} new media file(s); {result.known_material} of "
        f"{result.media_compared} media are known material ({MATCHED_MEDIA})",
        highlight=False,
    )
    out.print(
        f"{result.matches} list hit(s): {result.added} new, {result.removed} gone, "
        f"{result.updated} changed; {result.suppressed} suppressed by negative lists",
        highlight=False,
    )


@app.command()
def analyze(name: str) -> None:
    """People, lineage, spread, key actors and countries."""
    from casegraph.analysis.run import analyze_case
    from casegraph.report.summary import case_summary

    case = _open(name)
    if not case_summary(case)["chats"]:
        out.print(f"nothing to analyze: case {name} has no chats yet", highlight=False)
        out.print(f"first run: casegraph ingest {name} EXPORT...", highlight=False, soft_wrap=True)
        return
    result = analyze_case(case, actor=State.actor)
    countries = [f"{code} {n}" for code, n in sorted(result.countries.items())]
    out.print(
        f"{result.persons} persons, {result.chats_with_parent} break-off group(s), "
        f"{result.clusters} media clusters, {result.key_actors} key actors",
        highlight=False,
    )
    out.print(
        f"{result.entities} entities found in {sum(result.seconds.values()):.1f} s", highlight=False
    )
    for line in _wrapped("accounts per country: ", countries):
        out.print(line, highlight=False)


def _wrapped(prefix: str, items: list[str], width: int = 80) -> list[str]:
    """`prefix` and the items joined by commas, broken between items to fit `width`."""
    lines = [prefix.rstrip()]
    for index, item in enumerate(items):
        piece = item + ("," if index < len(items) - 1 else "")
        if len(lines[-1]) + 1 + len(piece) > width and lines[-1].strip():
            lines.append(" " * 2 + piece)
        else:
            lines[-1] += " " + piece
    return lines


def _person_decision(kind: str, name: str, accounts: list[str], reason: str) -> None:
    from casegraph.analysis.decisions import record_person_decision

    keys = record_person_decision(_open(name), kind, accounts, actor=State.actor, reason=reason)
    out.print(f"{kind} of {', '.join(keys)} recorded; it applies from the next `analyze`")


@person_app.command("merge")
def person_merge(
    name: str,
    accounts: Annotated[list[str], typer.Argument(help="Account ids or identifiers")],
    reason: Annotated[str, typer.Option(help="Why they are one person")] = "",
) -> None:
    """Record that these accounts are one person (survives re-runs and re-ingests)."""
    _person_decision("merge", name, accounts, reason)


@person_app.command("split")
def person_split(
    name: str,
    accounts: Annotated[list[str], typer.Argument(help="Account ids or identifiers")],
    reason: Annotated[str, typer.Option(help="Why they are different persons")] = "",
) -> None:
    """Record that these accounts are different persons."""
    _person_decision("split", name, accounts, reason)


@person_app.command("facts")
def person_facts(
    name: str,
    person: Annotated[str, typer.Argument(help="Person id, or any of its accounts")],
    date_of_birth: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    age: Annotated[int | None, typer.Option(help="Age when the facts were recorded")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country; always wins")] = None,
    reason: Annotated[str, typer.Option(help="Source of the facts")] = "",
) -> None:
    """Record a person's date of birth, age or country (analyst facts win over inference)."""
    from casegraph.analysis.decisions import record_person_facts

    key = record_person_facts(
        _open(name),
        person,
        actor=State.actor,
        date_of_birth=date_of_birth,
        age=age,
        country=country,
        reason=reason,
    )
    out.print(f"facts recorded for {key}; they apply from the next `analyze`")


@app.command()
def report(
    name: str,
    fmt: Annotated[str, typer.Option("--format", help="json or html")] = "json",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to FILE, else stdout")
    ] = None,
    scope_country: Annotated[
        str | None,
        typer.Option("--scope", help="Only what country CC's liaison officer may see"),
    ] = None,
) -> None:
    """The case as JSON (machine contract) or as a self-contained HTML report."""
    case = _open(name)
    scope = _liaison_scope(case, scope_country) if scope_country else None
    if fmt == "json":
        from casegraph.report.json_view import build_report

        text = json.dumps(build_report(case, scope), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html":
        from casegraph.report.html import render_html

        text = render_html(case, scope)
    else:
        raise CaseError(f"unknown report format {fmt!r}; use --format json or --format html")
    if out_file is None:
        sys.stdout.write(text)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CaseError(f"cannot write {out_file}: {exc.strerror}; choose another --out") from exc
    details = {"format": fmt, **({"scope": scope_country.upper()} if scope_country else {})}
    case.record(State.actor, "report.export", f"case:{name}", details=details)
    err.print(f"wrote {out_file}")


def _liaison_scope(case: Case, country: str) -> Scope:
    """A liaison officer's scope; a country with nothing referred is an error, not a blank."""
    from casegraph.access.scope import country_scope

    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise CaseError(f"--scope {country!r} is not a country: use a two-letter code, e.g. ES")
    with case.read() as session:
        scope = country_scope(session, case, country)
    if scope.empty:
        raise CaseError(
            f"case {case.name!r} has no referred investigation for {country.upper()}: "
            f"refer it first (casegraph investigation status {case.name} {country.upper()} "
            "--set referred --reason ...)"
        )
    return scope


@app.command()
def synth(
    outdir: Path,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes")] = 1,
    scale: Annotated[str, typer.Option(help="small (tests) or large (benchmarks)")] = "small",
) -> None:
    """Write a benign synthetic operation: exports, media, hash lists, tip and truth.json."""
    from casegraph.synth import generate

    if scale not in ("small", "large"):
        raise CaseError(f"unknown scale {scale!r}; use --scale small or --scale large")
    path = generate(outdir, seed=seed, scale=scale)
    out.print(f"synthetic operation (seed {seed}, {scale}) written to {path}")


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo writes (a new or empty folder, or its own)")
    ] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Synthetic operation seed")] = 1,
    serve: Annotated[bool, typer.Option(help="End by serving the web workspace")] = True,
    host: Annotated[str, typer.Option(help="Web address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Web port")] = 8000,
) -> None:
    """Synthetic operation end to end: tip, synth, case, ingest, match, analyze, reports, web.

    The case goes into --home when one is given, else into WORKDIR/home. A second run
    replaces only what the first one wrote; a folder it did not make is refused.
    """
    from casegraph.cli_web import serve_forever
    from casegraph.demo import check_port_free, print_logins, run_demo

    if serve:
        check_port_free(host, port)  # before the pipeline, not after it
    run = run_demo(
        State.home if State.home_given else None,
        workdir,
        seed=seed,
        actor=State.actor,
        console=out,
        db_url=State.db_url,
    )
    State.home = run.home
    url = f"http://{host}:{port}/"
    print_logins(run.home, out, url if serve else None)
    if serve:
        serve_forever(host, port)


def _register_extensions() -> None:
    """Verb groups that live in their own modules (kept out of this file for size)."""
    from casegraph.cli_exchange import register as register_exchange
    from casegraph.cli_jobs import register as register_jobs
    from casegraph.cli_web import register as register_web

    register_exchange(app)
    register_web(app)
    register_jobs(app)


_register_extensions()


def main(argv: list[str] | None = None) -> Any:
    return app(args=argv)


if __name__ == "__main__":
    main()
