"""X tokens at rest: MultiFernet under `TOKEN_ENCRYPTION_KEYS`, kept apart from `SECRET_KEY`.

Stored values look like `enc:v1:<key id>:<Fernet token>`. The first key encrypts, every key
decrypts, and a value that no key opens raises: a ciphertext never passes for a token
(docs/reliability.md §2.1). Decrypted values are `Secret`s, whose repr and str are masked, so a
token cannot reach a log line, a page or an admin list by accident.
"""

import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "enc:v1:"


class DecryptionError(Exception):
    """A stored token cannot be decrypted with the configured keys."""


class Secret:
    """A secret string that does not show itself; `.reveal()` is the one way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def last4(self) -> str:
        return self._value[-4:]

    def __repr__(self) -> str:
        return f"Secret('…{self.last4}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


@cache
def _keyring(keys: tuple[str, ...]) -> tuple[str, MultiFernet]:
    return key_id(keys[0]), MultiFernet([Fernet(key) for key in keys])


def _current() -> tuple[str, MultiFernet]:
    return _keyring(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    primary, fernet = _current()
    return f"{PREFIX}{primary}:{fernet.encrypt(plaintext.encode()).decode()}"


def _split(stored: str) -> tuple[str, str]:
    if not stored.startswith(PREFIX):
        raise DecryptionError("stored value is not an encrypted token")
    kid, _, token = stored[len(PREFIX) :].partition(":")
    return kid, token


def decrypt(stored: str) -> str:
    kid, token = _split(stored)
    try:
        return _current()[1].decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            f"no configured key decrypts this token (it was encrypted with key id {kid})"
        ) from None


def needs_rotation(stored: str) -> bool:
    return _split(stored)[0] != _current()[0]


def rotate(stored: str) -> str:
    """Re-encrypt under the primary key (Fernet keeps the original timestamp)."""
    kid, token = _split(stored)
    primary, fernet = _current()
    if kid == primary:
        return stored
    try:
        rotated = fernet.rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionError(f"no configured key decrypts a token of key id {kid}") from None
    return f"{PREFIX}{primary}:{rotated}"
