"""Background jobs: the work a browser starts (ingest, hash lists, match, analyze) on huey."""
