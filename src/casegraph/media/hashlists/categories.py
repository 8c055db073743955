"""Category schemes of hash lists: a code means nothing without its scheme and version.

`0` is the trap: "non-pertinent" in VICS 2.0 US, "uncategorised" in the legacy 1.x scheme.
Neither counts as known material; neither does an uncategorised (null) entry.
"""

from __future__ import annotations

from dataclasses import dataclass

VICS_US = "vics-2.0-us"
VICS_UK = "vics-2.0-uk"
VICS_OTHER = "vics-2.0"
VICS_LEGACY = "vics-legacy"
NCMEC = "ncmec-industry"
CSV = "csv"


@dataclass(frozen=True, slots=True)
class SchemeInfo:
    names: dict[str, str]
    pertinent: frozenset[str]


SCHEMES: dict[str, SchemeInfo] = {
    VICS_US: SchemeInfo(
        {
            "0": "Non-Pertinent",
            "1": "Child Abuse Material (CAM)",
            "2": "Child Exploitive (Non-CAM) / Age Difficult",
            "3": "CGI/Animation - Child Exploitive",
            "4": "Comparison Images",
        },
        frozenset({"1", "2", "3"}),
    ),
    VICS_LEGACY: SchemeInfo(
        {
            "0": "Uncategorized",
            "1": "Child Exploitation (Illegal)",
            "2": "Age Difficult",
            "3": "CGI/Animation",
            "4": "Exemplar/Comparison",
            "5": "Non-pertinent",
        },
        frozenset({"1", "2", "3"}),
    ),
    NCMEC: SchemeInfo(
        {
            "A1": "prepubescent, sex act",
            "A2": "prepubescent, lascivious exhibition",
            "B1": "pubescent, sex act",
            "B2": "pubescent, lascivious exhibition",
        },
        frozenset({"A1", "A2", "B1", "B2"}),
    ),
}

# Words a CSV may use for "this entry is not known material".
CSV_NOT_PERTINENT = frozenset({"0", "non-pertinent", "nonpertinent", "non_pertinent", "ignorable"})


def is_pertinent(scheme: str | None, category: str | None) -> bool:
    """Whether a hit on an entry of this category counts as known material."""
    if category is None or category == "":
        # NCMEC entries are reported material even unclassified; elsewhere null = uncategorised.
        return scheme == NCMEC
    if scheme in SCHEMES:
        return category in SCHEMES[scheme].pertinent
    if scheme == CSV:
        return category.strip().lower() not in CSV_NOT_PERTINENT
    # VICS UK / custom variants: codes not publicly verified, so only 0 is treated as excluded.
    return category != "0"


def category_name(scheme: str | None, category: str | None) -> str | None:
    if category is None:
        return None
    info = SCHEMES.get(scheme or "")
    return info.names.get(category) if info else None


# Codes of other schemes as VICS 2.0 US codes, where the meaning carries over one to one.
_TO_VICS_US = {
    VICS_US: {"0": "0", "1": "1", "2": "2", "3": "3", "4": "4"},
    VICS_LEGACY: {"1": "1", "2": "2", "3": "3", "4": "4", "5": "0"},  # legacy 0 = uncategorised
    NCMEC: {"A1": "1", "A2": "1", "B1": "1", "B2": "1"},  # all four are abuse material
    CSV: {"0": "0", "1": "1", "2": "2", "3": "3", "4": "4"},  # numeric CSV codes: VICS US
}


def vics_us_category(scheme: str | None, category: str | None) -> str | None:
    """The VICS 2.0 US code of a category, or None where no code means the same thing."""
    if category is None:
        return None
    return _TO_VICS_US.get(scheme or "", {}).get(category.strip().upper())


def category_words(scheme: str | None, category: str | None) -> str:
    """How a page names a match's category: "category 1", or "uncategorised" without one;
    whether it counts as known material is `is_pertinent`'s answer, shown apart."""
    if category is None or category.strip() == "":
        return "uncategorised"
    return f"category {category.strip()}"


def category_meaning(scheme: str | None, category: str | None) -> str | None:
    """What the code means in its scheme ("Non-Pertinent" for VICS 2.0 US 0), where known."""
    name = category_name(scheme, category.strip() if category else category)
    return f"{name} ({scheme})" if name and scheme else name
