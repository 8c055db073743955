"""The workspace's media page names a sticker's pack and publisher."""

from __future__ import annotations

from pathlib import Path

from casegraph.store.cases import Home, dispose_engines
from casegraph.store.ingest import ingest_paths
from device_fixtures import ZONE_NAME, group_plan, write_export
from web_fixtures import login, make_client, seed_users


def test_the_media_page_shows_the_sticker_pack(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    case = home.create_case("packs", timezone=ZONE_NAME, agency="ES")
    ingest_paths(case, [write_export(tmp_path / "export", group_plan())], captured_by="officer")
    seed_users(home, "analyst")
    try:
        client = make_client(home)
        login(client, "analyst")
        page = client.get("/cases/packs/media").text
        assert "pack Barrio · Sticker Studio Demo" in page
    finally:
        dispose_engines()
