"""Profile images for the emulated users: a 48x48 SVG per user, served by the sandbox itself.

X's `profile_image_url` points at pbs.twimg.com, which knows nothing of the demo users and is not
reachable from the demo machine. The sandbox keeps X's naming shape (`<username>_normal.<ext>`,
the 48x48 size) but serves the image from its own base URL, under the control prefix so that
fetching avatars never consumes injected faults or shows up in the ledger.
"""

from __future__ import annotations

import colorsys
import hashlib
from xml.sax.saxutils import escape

from sandbox.world import Account

PREFIX = "/_sandbox/profile_images"
SIZE = 48  # X's "_normal" size
SVG = "image/svg+xml"
HEADERS = [
    ("Content-Type", SVG),
    ("Cache-Control", "public, max-age=86400"),
    ("X-Content-Type-Options", "nosniff"),
    # Opened directly, an SVG is a document: let it load and run nothing.
    ("Content-Security-Policy", "default-src 'none'"),
]


def filename(account: Account) -> str:
    return f"{account.username}_normal.svg"


def profile_image_url(base_url: str, account: Account) -> str:
    """Where the sandbox serves the user's avatar, on the base URL the client addressed."""
    return f"{base_url}{PREFIX}/{account.id}/{filename(account)}"


def colour(username: str) -> str:
    """A stable background colour for a username (not Python's salted hash())."""
    digest = hashlib.sha256(username.lower().encode()).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    red, green, blue = colorsys.hls_to_rgb(hue, 0.42, 0.55)  # dark enough for white text
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (red, green, blue)))


def avatar_svg(username: str, name: str) -> str:
    """A square in the username's colour with the first letter of the name (or username)."""
    initial = (name.strip() or username)[:1].upper()
    half = SIZE // 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img">'
        f"<title>{escape(name)} (@{escape(username)})</title>"
        f'<rect width="{SIZE}" height="{SIZE}" fill="{colour(username)}"/>'
        f'<text x="{half}" y="{half}" dy=".35em" text-anchor="middle" fill="#ffffff" '
        f'font-family="system-ui, sans-serif" font-size="{half}" font-weight="600">'
        f"{escape(initial)}</text></svg>"
    )
