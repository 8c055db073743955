"""casegraph: investigation platform for messaging-group takedowns (hashes, metadata, text)."""

__version__ = "0.1.0"
