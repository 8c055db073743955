"""On the synthetic operation, refer for every country: targets equal the truth's split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casegraph.exchange import sealed
from casegraph.exchange.crypto import open_package
from casegraph.exchange.investigations import investigation_status
from casegraph.exchange.keys import (
    export_public_key,
    generate_key,
    import_public_key,
    load_identity,
    load_public,
)
from casegraph.exchange.package import refer
from casegraph.store.cases import Home
from exchange_fixtures import PASSPHRASE

pytestmark = pytest.mark.slow


def test_refer_for_every_country_matches_the_truths_split(
    home: Home, synth_small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casegraph.analysis.run import analyze_case
    from casegraph.store.ingest import ingest_paths

    monkeypatch.setenv("CASEGRAPH_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(sealed, "SCRYPT_N", 2**10)  # the work factor is stored per file
    truth = json.loads((synth_small / "truth.json").read_text())
    case = home.create_case("synth", timezone=truth["timezone"])
    exports = sorted((synth_small / "exports").iterdir())
    ingest_paths(case, exports, captured_by="test")
    analyze_case(case)
    generate_key(home.root, "coord", agency="Coordinating Unit")
    partner = Home(tmp_path / "partner")
    generate_key(partner.root, "partner", agency="Partner")
    export_public_key(partner.root, "partner", tmp_path / "partner.json")
    import_public_key(home.root, tmp_path / "partner.json")
    sender = load_public(home.root, "coord")
    identity = load_identity(partner.root, "partner")
    views = {v.country: v for v in investigation_status(case)}
    assert set(views) - {"unattributed"} == set(truth["countries"])
    extra: dict[str, list[str]] = {}
    for country, identifiers in sorted(truth["countries"].items()):
        result = refer(
            home,
            "synth",
            country,
            "partner",
            tmp_path / "out" / country,
            reason="one test partner key stands in for every country",
        )
        opened = open_package(result.package, sender, identity)
        accounts = json.loads(opened.files["referral.json"])["accounts"]
        # The package carries exactly the investigation analysis proposed...
        assert sorted(a["key"] for a in accounts) == views[country].accounts
        # ...every target the truth puts in that country...
        referred = {a["identifier"] for a in accounts}
        assert set(identifiers) <= referred, country
        extra[country] = sorted(referred - set(identifiers))
    # ...and no one else: language alone suggests a country but never refers anyone.
    assert extra == {country: [] for country in truth["countries"]}
