"""Network intelligence over a case's records: identity, lineage, spread, network, countries."""

ANALYSIS_ACTION = "analysis.run"  # the audit action of `casegraph analyze`
