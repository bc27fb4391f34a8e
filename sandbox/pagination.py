"""Opaque timeline pagination tokens: base36 like X's, tamper-evident, meaningless to clients.

A token says "continue older than Post N" or "go back newer than Post N".
"""

from __future__ import annotations

import hashlib
import hmac
import string
from dataclasses import dataclass
from enum import IntEnum

ALPHABET = string.digits + string.ascii_lowercase
MAC_BYTES = 6


class Direction(IntEnum):
    OLDER = 1  # meta.next_token
    NEWER = 2  # meta.previous_token


@dataclass(frozen=True)
class Cursor:
    direction: Direction
    post_id: int


class PaginationTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, cursor: Cursor) -> str:
        payload = bytes([cursor.direction]) + cursor.post_id.to_bytes(8, "big")
        number = int.from_bytes(payload + self._mac(payload), "big")
        digits = []
        while number:
            number, digit = divmod(number, 36)
            digits.append(ALPHABET[digit])
        return "".join(reversed(digits))

    def decode(self, token: str) -> Cursor | None:
        """The cursor, or None for anything this sandbox did not issue."""
        try:
            raw = int(token, 36).to_bytes(9 + MAC_BYTES, "big")
        except (ValueError, OverflowError):
            return None
        payload, mac = raw[:9], raw[9:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        return Cursor(Direction(payload[0]), int.from_bytes(payload[1:], "big"))

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:MAC_BYTES]
