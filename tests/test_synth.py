"""The synthetic operation: reproducible bytes, and a truth.json that the files really support.

Every check re-reads the written files with its own simple parsing, independent of the
generator's records.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from casegraph.errors import InputError
from casegraph.media.hashing import hash_media_bytes
from casegraph.media.pdq import hamming
from casegraph.synth import generate

# shared/reference/chat-formats.md §1.2, the reference header pattern
HEADER = re.compile(
    r"""
^(?P<open>\[)?
(?P<d1>\d{1,4})(?P<sep>[./-]|\.\x20)(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})\.?
(?:,\x20|\x20à\x20|\x20klo\x20|\x20)
(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?
(?:[\x20\u00a0\u202f](?P<ampm>[AaPp]\.?[\x20\u00a0\u202f]?[Mm]\.?))?\.?
(?(open)\]\x20|\x20-\x20)""",
    re.X,
)
# system-event wordings per export language; chatter never uses them
EVENT_WORDS = {
    "es": (
        "creó el grupo",
        "añadió a",
        "eliminó a",
        "salió del grupo",
        "se unió usando",
        "cambió el asunto",
        "cambió el ícono",
        " cambió a ",
        "cifrados de extremo a extremo",
    ),
    "en": (
        "created group",
        " added ",
        " removed ",
        " left",
        "joined using",
        "changed the subject",
        "changed this group's icon",
        " changed to ",
        "end-to-end encrypted",
    ),
    "pt": (
        "criou este grupo",
        " adicionou ",
        " removeu ",
        " saiu",
        "entrou usando",
        "mudou o assunto",
        "mudou a imagem",
        "criptografia de ponta a ponta",
    ),
    "fr": (
        "a créé le groupe",
        " a ajouté ",
        " a retiré ",
        "a quitté",
        "a rejoint en utilisant",
        "chiffrés de bout en bout",
    ),
    "it": (
        "ha creato il gruppo",
        "ha aggiunto",
        "ha rimosso",
        "ha abbandonato",
        "si è unito",
        "crittografati end-to-end",
    ),
}
MONTH_FIRST = {"android-en-us-24h"}
INVISIBLE = "\ufeff\u200e"


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("synth") / "op", seed=7)


@pytest.fixture(scope="module")
def truth(operation: Path) -> dict[str, Any]:
    return json.loads((operation / "truth.json").read_text(encoding="utf-8"))


def file_digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def read_truth_file(root: Path, reference: str) -> bytes:
    """Bytes behind a truth path: `exports/<zip>!<member>` or a plain path."""
    if "!" in reference:
        archive, member = reference.split("!", 1)
        with zipfile.ZipFile(root / archive) as zipped:
            return zipped.read(member)
    return (root / reference).read_bytes()


def chat_text(root: Path, chat: dict[str, Any]) -> str:
    path = root / chat["export"]
    if path.suffix == ".txt":
        return path.read_bytes().decode("utf-8")
    with zipfile.ZipFile(path) as zipped:
        name = next(
            n for n in zipped.namelist() if n.endswith(".txt") and not n.startswith("__MACOSX")
        )
        return zipped.read(name).decode("utf-8")


def headers(text: str) -> list[tuple[re.Match[str], str]]:
    """(header match, rest of line) for every physical line shaped like the file's usual header."""
    found = []
    for line in re.split(r"\r?\n", text):
        stripped = line.lstrip(INVISIBLE)
        match = HEADER.match(stripped)
        if match:
            found.append((match, stripped[match.end() :]))
    bracketed = sum(1 for m, _ in found if m["open"])
    majority = bracketed * 2 > len(found)
    return [(m, rest) for m, rest in found if bool(m["open"]) == majority]


def is_system(rest: str, language: str) -> bool:
    if ": " not in rest and not rest.endswith(":"):
        return True
    body = rest.split(": ", 1)[1] if ": " in rest else ""
    return any(word in body for word in EVENT_WORDS[language])


def header_time(match: re.Match[str], variant: str) -> datetime:
    first, second, year = int(match["d1"]), int(match["d2"]), int(match["d3"])
    month, day = (first, second) if variant in MONTH_FIRST else (second, first)
    hour = int(match["h"])
    if match["ampm"]:
        hour = hour % 12 + (12 if match["ampm"][0] in "pP" else 0)
    return datetime(
        year + 2000 if year < 100 else year,
        month,
        day,
        hour,
        int(match["mi"]),
        int(match["s"] or 0),
    )


def language_of(variant: str) -> str:
    return variant.split("-")[1]


def test_same_seed_writes_identical_bytes(operation: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", seed=7)
    assert file_digests(again) == file_digests(operation)


def test_different_seed_writes_different_files(operation: Path, tmp_path: Path) -> None:
    other = file_digests(generate(tmp_path / "other", seed=8))
    mine = file_digests(operation)
    assert set(other.values()).isdisjoint(mine.values())


def test_every_truth_media_hash_is_a_real_file(operation: Path, truth: dict[str, Any]) -> None:
    for media in truth["media"]:
        for reference in media["files"]:
            data = read_truth_file(operation, reference)
            assert hashlib.sha256(data).hexdigest() == media["sha256"], reference
            assert hashlib.md5(data).hexdigest() == media["md5"]


def test_media_count_is_small_scale(truth: dict[str, Any]) -> None:
    files = sum(len(m["files"]) for m in truth["media"])
    assert 40 <= files <= 80
    assert {m["kind"] for m in truth["media"]} == {"sticker", "animated_sticker", "image", "video"}


def assert_counts_match_headers(root: Path, truth: dict[str, Any]) -> None:
    for chat in (c for c in truth["chats"] if c["platform"] == "whatsapp"):
        language = language_of(chat["variant"])
        found = headers(chat_text(root, chat))
        messages = sum(1 for _, rest in found if not is_system(rest, language))
        events = len(found) - messages
        assert messages == chat["messages"], chat["id"]
        assert events == sum(chat["events"].values()), chat["id"]


def test_whatsapp_message_counts_match_an_independent_header_count(
    operation: Path, truth: dict[str, Any]
) -> None:
    assert_counts_match_headers(operation, truth)


def test_telegram_message_count_matches_message_records(
    operation: Path, truth: dict[str, Any]
) -> None:
    chat = next(c for c in truth["chats"] if c["platform"] == "telegram")
    document = json.loads((operation / chat["export"] / "result.json").read_text(encoding="utf-8"))
    kinds = [record["type"] for record in document["messages"]]
    assert kinds.count("message") == chat["messages"]
    assert kinds.count("service") == sum(chat["events"].values())


def test_telegram_export_keeps_a_not_included_placeholder_and_entity_text(
    operation: Path, truth: dict[str, Any]
) -> None:
    chat = next(c for c in truth["chats"] if c["platform"] == "telegram")
    records = json.loads((operation / chat["export"] / "result.json").read_text(encoding="utf-8"))[
        "messages"
    ]
    assert any(str(r.get("photo", "")).startswith("(File not included.") for r in records)
    assert any(isinstance(r.get("text"), list) for r in records)
    assert any(r.get("media_type") == "sticker" and r.get("sticker_emoji") for r in records)
    actions = {r.get("action") for r in records if r["type"] == "service"}
    assert {
        "create_group",
        "invite_members",
        "join_group_by_link",
        "edit_group_title",
        "remove_members",
    } <= actions


def test_every_account_identifier_is_e164_or_a_telegram_user_id(truth: dict[str, Any]) -> None:
    for account in truth["accounts"]:
        identifier = account["identifier"]
        if account["platform"] == "telegram":
            assert re.fullmatch(r"user\d+", identifier)
            continue
        number = phonenumbers.parse(identifier)
        assert phonenumbers.is_valid_number(number), identifier
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == identifier


def test_each_display_name_belongs_to_one_account(truth: dict[str, Any]) -> None:
    names = [name for account in truth["accounts"] for name in account["names"]]
    assert names and len(names) == len(set(names))


def test_every_chat_member_is_an_account(truth: dict[str, Any]) -> None:
    identifiers = {a["identifier"] for a in truth["accounts"]}
    for chat in truth["chats"]:
        assert set(chat["members"]) <= identifiers


def test_control_chats_share_nobody_with_the_operation(truth: dict[str, Any]) -> None:
    operation_members = {m for c in truth["chats"] if c["id"][0] in "gt" for m in c["members"]}
    for chat in (c for c in truth["chats"] if c["id"].startswith("c")):
        assert operation_members.isdisjoint(chat["members"])


def test_each_break_off_is_younger_than_its_parent_and_advertised_there(
    operation: Path, truth: dict[str, Any]
) -> None:
    chats = {c["id"]: c for c in truth["chats"]}
    break_offs = [c for c in chats.values() if c["parent"]]
    assert len(break_offs) >= 2 and any(chats[c["parent"]]["parent"] for c in break_offs)
    for chat in break_offs:
        parent = chats[chat["parent"]]
        assert datetime.fromisoformat(parent["created_at"]) < datetime.fromisoformat(
            chat["created_at"]
        )
        assert re.fullmatch(r"https://chat\.whatsapp\.com/[A-Za-z0-9]{22}", chat["invite_link"])
        posted = [
            header_time(m, parent["variant"])
            for m, rest in headers(chat_text(operation, parent))
            if chat["invite_link"] in rest
        ]
        joins = [
            header_time(m, chat["variant"])
            for m, rest in headers(chat_text(operation, chat))
            if any(w in rest for w in ("se unió usando", "joined using", "si è unito"))
        ]
        assert posted and joins
        assert min(posted) < min(joins), chat["id"]


def test_every_export_has_a_day_above_twelve(operation: Path, truth: dict[str, Any]) -> None:
    for chat in (c for c in truth["chats"] if c["platform"] == "whatsapp"):
        days = {header_time(m, chat["variant"]).day for m, _ in headers(chat_text(operation, chat))}
        assert max(days) > 12, chat["id"]


def test_one_mexican_subscriber_appears_in_legacy_and_current_form(
    operation: Path, truth: dict[str, Any]
) -> None:
    texts = [chat_text(operation, c) for c in truth["chats"] if c["platform"] == "whatsapp"]
    legacy = {m for t in texts for m in re.findall(r"\+52 1 (\d\d) (\d{4}) (\d{4})", t)}
    current = {m for t in texts for m in re.findall(r"\+52 (\d\d) (\d{4}) (\d{4})", t)}
    assert legacy & current
    e164 = {"+52" + "".join(parts) for parts in legacy & current}
    assert e164 <= {a["identifier"] for a in truth["accounts"]}


def test_export_quirks_are_present(operation: Path, truth: dict[str, Any]) -> None:
    texts = {
        c["variant"]: chat_text(operation, c) for c in truth["chats"] if c["platform"] == "whatsapp"
    }
    everything = "".join(texts.values())
    assert texts["android-es-12h"].startswith("\ufeff")
    assert "\n\ufeff[" in texts["ios-es-12h"] and "\n\u200e[" in texts["ios-es-12h"]
    assert "p.\u00a0m. - " in texts["android-es-12h"]
    assert "\u202fPM] " in texts["ios-en-12h-nnbsp"]
    assert "\r\n" in texts["android-en-us-24h"]
    assert "\n\n" in everything.replace("\r\n", "\n")
    assert "\u2011" in everything and "\u00a0" in everything
    for marker in (
        "<Multimedia omitido>",
        "<Media omitted>",
        "<Mídia omitida>",
        "<médias omis>",
        "<media omessi>",
        "Se eliminó este mensaje.",
        ": null",
        "\u200eimagen omitida",
    ):
        assert marker in everything, marker
    assert re.search(r"\] [^:\n]+:\r?\n", texts["ios-es-12h"])  # an empty (view-once) body


def test_ios_zip_was_rezipped_on_a_mac(operation: Path, truth: dict[str, Any]) -> None:
    chat = next(c for c in truth["chats"] if c["variant"] == "ios-es-12h")
    with zipfile.ZipFile(operation / chat["export"]) as zipped:
        names = zipped.namelist()
    assert "_chat.txt" in names
    assert any(n.startswith("__MACOSX/._") for n in names)
    assert any(re.fullmatch(r"\d{8}-STICKER-\d{4}(-\d\d){5}\.webp", n) for n in names)


def vics_entries(root: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((root / "hashlists/known.vics.json").read_text(encoding="utf-8"))
    assert document["@odata.context"].startswith(
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0"
    )
    return {str(media["MediaID"]): media for media in document["value"]}


def pdq_entries(root: Path) -> dict[str, dict[str, str]]:
    with (root / "hashlists/known_pdq.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["pdq", "category", "label"]
    return {row["pdq"]: row for row in rows}


def test_expected_matches_agree_with_the_lists(operation: Path, truth: dict[str, Any]) -> None:
    vics, pdq = vics_entries(operation), pdq_entries(operation)
    media = {m["sha256"]: m for m in truth["media"]}
    for match in truth["expected_matches"]:
        file = media[match["media_sha256"]]
        if match["method"] == "md5":
            entry = vics[match["entry"]]
            assert entry["MD5"] == file["md5"] and entry["SHA1"] == file["sha1"]
            assert match["category"] == str(entry["Category"])
        else:
            assert match["method"] == "pdq"
            data = read_truth_file(operation, file["files"][0])
            hashes = hash_media_bytes(data, file["files"][0])
            assert hashes.pdq is not None and (hashes.pdq_quality or 0) >= 50
            assert hamming(hashes.pdq, match["entry"]) <= 31
            assert match["category"] == pdq[match["entry"]]["category"]


def test_every_exact_hit_is_expected(operation: Path, truth: dict[str, Any]) -> None:
    by_md5 = {entry["MD5"]: entry_id for entry_id, entry in vics_entries(operation).items()}
    expected = {
        (m["media_sha256"], m["entry"]) for m in truth["expected_matches"] if m["method"] == "md5"
    }
    hits = {(m["sha256"], by_md5[m["md5"]]) for m in truth["media"] if m["md5"] in by_md5}
    assert hits == expected
    assert any(m["category"] == "0" for m in truth["expected_matches"])


def test_re_encoded_copies_match_only_by_pdq(truth: dict[str, Any]) -> None:
    methods: dict[str, set[str]] = {}
    for match in truth["expected_matches"]:
        methods.setdefault(match["media_sha256"], set()).add(match["method"])
    copies = [m for m in truth["media"] if m["variant_of"]]
    matched = [m for m in copies if methods.get(m["sha256"]) == {"pdq"}]
    assert len(matched) >= 4
    assert {m["kind"] for m in matched} >= {"sticker", "image"}


def test_distinct_originals_are_far_apart_in_pdq(operation: Path, truth: dict[str, Any]) -> None:
    originals = [m for m in truth["media"] if not m["variant_of"] and m["kind"] != "video"]
    hashes = [hash_media_bytes(read_truth_file(operation, m["files"][0])).pdq for m in originals]
    assert all(h is not None for h in hashes)
    closest = min(hamming(a, b) for a, b in itertools.combinations(hashes, 2))  # type: ignore[arg-type]
    assert closest > 70


def test_first_seen_is_the_earliest_occurrence_across_chats(truth: dict[str, Any]) -> None:
    chat_ids = {c["id"] for c in truth["chats"]}
    spread = [m for m in truth["media"] if len(m["chats"]) > 1]
    assert spread
    for media in truth["media"]:
        assert (
            media["first_seen"]["chat"] in media["chats"]
            and media["first_seen"]["chat"] in chat_ids
        )
        assert datetime.fromisoformat(media["first_seen"]["at"]).utcoffset() is not None


def test_tip_names_the_parent_group(operation: Path, truth: dict[str, Any]) -> None:
    tip = (operation / "tip.txt").read_text(encoding="utf-8")
    parent = next(c for c in truth["chats"] if c["id"] == "g1")
    assert parent["title"] in tip and parent["invite_link"] in tip
    number = re.search(r"\+\d[\d ]+\d", tip)
    assert (
        number
        and phonenumbers.format_number(
            phonenumbers.parse(number.group()), phonenumbers.PhoneNumberFormat.E164
        )
        in parent["members"]
    )


def test_unknown_scale_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown scale 'huge'"):
        generate(tmp_path / "x", scale="huge")


def test_a_non_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        generate(tmp_path)


def test_media_files_decode_as_their_kind(operation: Path, truth: dict[str, Any]) -> None:
    from PIL import Image

    for media in truth["media"]:
        data = read_truth_file(operation, media["files"][0])
        if media["kind"] == "video":
            assert data[4:8] == b"ftyp"
            continue
        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            if media["kind"] == "animated_sticker":
                assert 3 <= frames <= 6 and image.size == (512, 512)
            elif media["kind"] == "sticker":
                assert frames == 1 and image.size == (512, 512) and image.mode == "RGBA"
            else:
                assert image.format == "JPEG"


@pytest.fixture(scope="module")
def shrunken_large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The large generator with its sizes turned down, so its code path runs in seconds."""
    from casegraph.synth import large

    sizes = {"POOL_SIZE": 150, "BACKGROUND_CHATS": 6, "MEDIA_PER_CHAT": 12,
             "DISTINCT_STICKERS": 30, "DISTINCT_PHOTOS": 30, "RECODED": 6,
             "BIG_CHAT_MESSAGES": 20_000, "BIG_CHAT_MEMBERS": 40}  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name, value in sizes.items():
            patch.setattr(large, name, value)
        root = generate(tmp_path_factory.mktemp("large") / "op", seed=3, scale="large")
    return root, json.loads((root / "truth.json").read_text(encoding="utf-8"))


def test_large_path_counts_match_headers_in_every_chat(
    shrunken_large: tuple[Path, dict[str, Any]],
) -> None:
    root, document = shrunken_large
    assert document["scale"] == "large"
    assert len(document["chats"]) == 8 + 6 + 1
    assert_counts_match_headers(root, document)


def test_large_path_big_chat_is_one_loose_android_export(
    shrunken_large: tuple[Path, dict[str, Any]],
) -> None:
    root, document = shrunken_large
    big = max(document["chats"], key=lambda c: c["messages"])
    assert big["messages"] == 20_000 and big["export"].endswith(".txt")
    assert not chat_text(root, big).startswith("[")
    assert len(big["members"]) == 40


def test_large_path_accounts_and_media_are_real(
    shrunken_large: tuple[Path, dict[str, Any]],
) -> None:
    root, document = shrunken_large
    assert len(document["accounts"]) >= 150
    test_every_account_identifier_is_e164_or_a_telegram_user_id(document)
    test_every_truth_media_hash_is_a_real_file(root, document)
    assert sum(len(m["files"]) for m in document["media"]) >= 3 * 12
    assert any(m["list"] == "known_pdq" and m["method"] == "pdq" and m["distance"] > 0
               for m in document["expected_matches"])  # fmt: skip
