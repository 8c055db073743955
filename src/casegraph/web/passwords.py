"""Password policy: long enough, and not guessable (zxcvbn's estimate, with the username)."""

from __future__ import annotations

from zxcvbn import zxcvbn

from casegraph.errors import InputError

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn 0-4: 3 is "safely unguessable: moderate protection from offline attack"
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a longer password is judged on its start


def check_password(password: str, username: str = "") -> None:
    """InputError saying what to change when the password is too short or too guessable."""
    if len(password) < MIN_LENGTH:
        raise InputError(
            f"password is too short: use at least {MIN_LENGTH} characters "
            "(a few unrelated words work well)"
        )
    if len(password) > MAX_LENGTH:
        raise InputError(f"password is too long: use at most {MAX_LENGTH} characters")
    inputs = [username, "casegraph"] if username else ["casegraph"]
    verdict = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if verdict["score"] < MIN_SCORE:
        warning = verdict["feedback"].get("warning") or "it is easy to guess"
        raise InputError(
            f"password is too weak ({warning.rstrip('.')}); "
            "use a longer passphrase of unrelated words, not the username or a common password"
        )
