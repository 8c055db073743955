"""CyberTipline report XML in as tips (a synthetic report written by each test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from casegraph.errors import InputError
from casegraph.intake.cybertip import import_cybertip, parse_cybertip
from casegraph.intake.inbox import get_tip
from casegraph.store.cases import Home
from web_fixtures import ES_PHONES, build_case

REPORT = """<?xml version="1.0" encoding="UTF-8"?>
<reports>
<report id="900001">
  <incidentSummary>
    <incidentType>Child Pornography (possession, manufacture, and distribution)</incidentType>
    <incidentDateTime>2024-03-02T10:00:00Z</incidentDateTime>
  </incidentSummary>
  <internetDetails><chatImIncident><chatClient>WhatsApp</chatClient>
    <chatRoomName>Sunrise Stickers</chatRoomName>
    <content>group shared via https://chat.whatsapp.com/SynthInviteAlpha01</content>
  </chatImIncident></internetDetails>
  <reporter><reportingPerson><firstName>Trust</firstName><lastName>Team</lastName>
    <email>trust@example.org</email></reportingPerson></reporter>
  <personOrUserReported>
    <personOrUserReportedPerson><phone>{phone}</phone></personOrUserReportedPerson>
    <screenName>sunrise_admin</screenName>
  </personOrUserReported>
  <fileDetails><fileName>f1.jpg</fileName><fileViewedByEsp>false</fileViewedByEsp>
    <originalFileHash hashType="MD5">0123456789abcdef0123456789abcdef</originalFileHash>
  </fileDetails>
</report>
<report id="900002">
  <incidentSummary><incidentType>Online Enticement of Children for Sexual Acts</incidentType>
    <incidentDateTime>2024-03-03T10:00:00Z</incidentDateTime></incidentSummary>
  <internetDetails><chatImIncident><chatClient>Telegram</chatClient>
    <chatRoomName>Canal Lejano</chatRoomName></chatImIncident></internetDetails>
  <reporter><reportingPerson><email>esp@example.org</email></reportingPerson></reporter>
</report>
</reports>
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cybertip.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_report_becomes_a_tip_with_its_identifiers(tmp_path: Path) -> None:
    tips = parse_cybertip(_write(tmp_path, REPORT.format(phone="+34 600 000 101")))
    first, second = tips
    assert (first.platform, first.group_name) == ("whatsapp", "Sunrise Stickers")
    assert first.invite_link == "https://chat.whatsapp.com/SynthInviteAlpha01"
    assert first.phones == ["+34600000101"]
    assert "viewed by ESP: false" in first.description
    assert "MD5:0123456789abcdef0123456789abcdef" in first.description
    assert first.contact == "Trust Team trust@example.org"
    assert (second.platform, second.group_name) == ("telegram", "Canal Lejano")


def test_imported_reports_are_linked_to_the_case_they_name(home: Home, tmp_path: Path) -> None:
    build_case(home)
    results = import_cybertip(home, _write(tmp_path, REPORT.format(phone=ES_PHONES[0])))
    assert [r.status for r in results] == ["linked", "new"]
    view = get_tip(home, results[0].receipt)
    assert view is not None and view.origin == "cybertip" and view.linked_cases == ["op-alpha"]


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><report>&a;</report>'
    with pytest.raises(InputError, match="refused unsafe XML"):
        parse_cybertip(_write(tmp_path, bomb))


def test_broken_xml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cybertip\.xml: not well-formed XML"):
        parse_cybertip(_write(tmp_path, "<report><incidentSummary>"))


def test_a_file_without_reports_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no <report> element"):
        parse_cybertip(_write(tmp_path, "<queryResult/>"))


def test_a_report_naming_no_group_says_which_report(tmp_path: Path) -> None:
    text = (
        "<reports><report><incidentSummary><incidentType>x</incidentType></incidentSummary>"
        "</report></reports>"
    )
    with pytest.raises(InputError, match="report 1: the tip names no group"):
        parse_cybertip(_write(tmp_path, text))
