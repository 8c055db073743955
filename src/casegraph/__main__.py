"""`python -m casegraph`: the CLI imported once (cli.py run as __main__ would load twice)."""

from casegraph.cli import main

main()
