"""The one exception type users see: its message is a single line naming what and the fix."""


class CaseError(Exception):
    """A user-facing failure. str(exc) is printed as is, and the CLI exits non-zero."""


class InputError(CaseError):
    """Bad input (file, archive, format); the case is left unchanged."""
