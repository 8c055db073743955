"""docs/cli.md documents every verb: its reference is generated from the Typer app."""

from __future__ import annotations

from pathlib import Path

from casegraph.cli_docs import BEGIN, END, render, replace_generated, verbs

CLI_MD = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_every_verb_has_a_heading_in_docs_cli_md() -> None:
    document = CLI_MD.read_text(encoding="utf-8")
    missing = [" ".join(path) for path, _ in verbs() if f"### `{' '.join(path)}`" not in document]
    assert missing == []


def test_the_verbs_a_newcomer_looks_for_are_listed() -> None:
    listed = {" ".join(path) for path, _ in verbs()}
    for verb in (
        "keys generate",
        "refer",
        "verify",
        "import-referral",
        "deconflict",
        "user add",
        "tip submit",
        "serve",
        "person facts",
        "investigation list",
        "demo",
    ):
        assert verb in listed


def test_docs_cli_md_is_what_the_generator_writes() -> None:
    document = CLI_MD.read_text(encoding="utf-8")
    assert replace_generated(document, render()) == document, (
        "docs/cli.md is out of date: python -m casegraph.cli_docs --write docs/cli.md"
    )


def test_options_show_their_defaults_and_required_marks() -> None:
    text = render()
    assert "- `--port N`: Web port (default 8000)" in text
    assert "- `--country TEXT`: ISO 3166-1 alpha-2, e.g. ES (required)" in text


def test_rewriting_keeps_the_hand_written_parts() -> None:
    document = f"# title\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## contract\n\nkept\n"
    rewritten = replace_generated(document, f"{BEGIN}\nnew\n{END}\n")
    assert rewritten == f"# title\n\nintro\n\n{BEGIN}\nnew\n{END}\n\n## contract\n\nkept\n"
