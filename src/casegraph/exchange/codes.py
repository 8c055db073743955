"""Handling and evaluation codes that travel with every shared item (exchange-formats §6).

TLP governs sharing, PAP permitted actions, the Europol handling code (H0–H3) use and
disclosure, and the 4x4 evaluation how far the source and the information can be trusted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from casegraph.errors import CaseError

HANDLING_CODES = {
    "H0": "This information may only be used for the purpose of preventing and combating crimes "
    "in line with the ER and any other applicable law.",
    "H1": "Not to be disclosed in judicial proceedings without the permission of the provider.",
    "H2": "Not to be disseminated without the permission of the provider.",
    "H3": "Other restrictions and comments",
}
SOURCE_RELIABILITY = ("A", "B", "C", "X")
INFORMATION_ACCURACY = ("1", "2", "3", "4")
TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
PAP_LEVELS = ("clear", "green", "amber", "red")

# Official TLP 2.0 marking-definition ids (oasis-open/cti-stix-common-objects).
TLP_MARKING_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


@dataclass(frozen=True, slots=True)
class Handling:
    """Markings for one shared item; `conditions` is the free text an H3 code carries."""

    handling_code: str = "H2"
    evaluation: str = "B2"  # source reliability letter + information accuracy digit
    tlp: str = "amber+strict"
    pap: str = "amber"
    conditions: str = ""

    def __post_init__(self) -> None:
        if self.handling_code not in HANDLING_CODES:
            raise CaseError(
                f"handling code {self.handling_code!r} is unknown: use one of H0, H1, H2, H3"
            )
        if (
            len(self.evaluation) != 2
            or self.evaluation[0] not in SOURCE_RELIABILITY
            or self.evaluation[1] not in INFORMATION_ACCURACY
        ):
            raise CaseError(
                f"evaluation {self.evaluation!r} is not a 4x4 code: use A/B/C/X then 1-4, e.g. B2"
            )
        if self.tlp not in TLP_LEVELS:
            raise CaseError(f"TLP {self.tlp!r} is unknown: use one of {', '.join(TLP_LEVELS)}")
        if self.pap not in PAP_LEVELS:
            raise CaseError(f"PAP {self.pap!r} is unknown: use one of {', '.join(PAP_LEVELS)}")
        if self.handling_code == "H3" and not self.conditions.strip():
            raise CaseError("handling code H3 needs its restrictions: pass the conditions text")

    @property
    def source_reliability(self) -> str:
        return self.evaluation[0]

    @property
    def information_accuracy(self) -> str:
        return self.evaluation[1]

    def fields(self) -> dict[str, str]:
        """The codes as plain fields, the form every shared item carries them in."""
        return {
            **asdict(self),
            "evaluation_scheme": "eu-4x4",
            "source_reliability": self.source_reliability,
            "information_accuracy": self.information_accuracy,
        }

    @classmethod
    def from_fields(cls, data: dict[str, Any]) -> Handling:
        return cls(
            handling_code=str(data.get("handling_code", "")),
            evaluation=str(data.get("evaluation", "")),
            tlp=str(data.get("tlp", "")),
            pap=str(data.get("pap", "")),
            conditions=str(data.get("conditions", "")),
        )

    def misp_tags(self) -> list[str]:
        tlp = "tlp:clear" if self.tlp == "clear" else f"tlp:{self.tlp}"
        pap = "PAP:WHITE" if self.pap == "clear" else f"PAP:{self.pap.upper()}"
        return [
            tlp,
            pap,
            f'europol-handling:code="{self.handling_code}"',
            f'europol-evaluation:source-reliability="{self.source_reliability}"',
            f'europol-evaluation:information-accuracy="{self.information_accuracy}"',
        ]

    def comment(self) -> str:
        text = f"handling {self.handling_code}, evaluation {self.evaluation}"
        return f"{text}, conditions: {self.conditions}" if self.conditions else text
