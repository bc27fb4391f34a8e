"""Per-account caching of reads: under each account's sync state, or for long once final."""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.selectors.scope import Scope

# --- Account-days: what each account gained each day, and whether it synced ----------------
#
# Reads are cached per account. A sync writes rollups for the day of its reading (team time)
# and splits the gain since the previous reading back over that reading's days: a day is
# final once the next one has begun and no sync started before midnight can still run
# (RUNNING_AT_MOST), unless a later reading splits into it, which moves the account's history
# version (`history_revised`): final days are cached for long under those versions. Anything
# that may still change is cached under the account's sync state (`account_version`), which
# every sync moves: a sync of one account invalidates that account's entries only.

FINAL_CACHE_SECONDS = 8 * 24 * 3600
LIVE_CACHE_SECONDS = 15 * 60  # a safety net: the version moves with every sync anyway
CACHE_VERSION = 2  # 2: daily sums carry estimated, after-30 and unreported parts
# A run still "running" after this long died with its worker: it shows no progress.
RUNNING_AT_MOST = timedelta(hours=1)


def account_version(account: XAccount) -> str:
    """Changes whenever a sync of the account writes: it ran, is running, or was rescheduled."""
    return ":".join(
        str(value.timestamp() if isinstance(value, datetime) else value)
        for value in (
            account.last_synced_at,
            account.next_sync_at,
            getattr(account, "running_pages_done", None),
        )
    )


def final_until(team: Team) -> date:
    """The last team day whose rollups can no longer change."""
    now = timezone.localtime(timezone=team.tzinfo)
    settled = now - RUNNING_AT_MOST
    return settled.date() - timedelta(days=1)


def _history_key(account_id: int) -> str:
    return f"quartile:history:{CACHE_VERSION}:{account_id}"


def history_revised(*, account_id: int) -> None:
    """A sync rewrote days that were final: a reading splits its gain back over the days since
    the previous one. Final entries of scopes with this account are read anew."""
    cache.set(_history_key(account_id), clock.time_ns(), timeout=None)


def _history_version_of(account_ids: Sequence[int]) -> dict[int, int]:
    """Each account's history version. Where an account has none yet (or the cache lost it),
    a new one: an entry cached under a lost version can never be read again."""
    keys = {pk: _history_key(pk) for pk in sorted(account_ids)}
    found = cache.get_many(list(keys.values()))
    missing = {key: clock.time_ns() for key in keys.values() if key not in found}
    if missing:
        cache.set_many(missing, timeout=None)
        found.update(missing)
    return {pk: found[key] for pk, key in keys.items()}


def _history_versions(account_ids: Sequence[int]) -> str:
    return ",".join(f"{pk}={v}" for pk, v in _history_version_of(account_ids).items())


def _cache_key(
    scope: Scope, kind: str, account: XAccount, *parts, final: bool, history: int = 0
) -> str:
    version = f"final-{history}" if final else account_version(account)
    tail = ":".join(str(p) for p in parts)
    return f"quartile:{kind}:{CACHE_VERSION}:{scope.team.time_zone}:{account.pk}:{version}:{tail}"


def _per_account(
    scope: Scope,
    kind: str,
    parts: tuple,
    compute: Callable[[Scope], Mapping[int, object]],
    *,
    empty: object,
    final: bool = False,
) -> dict[int, object]:
    """One value per account in scope: from the cache, or `compute` over the accounts that
    are not cached (a sub-scope) in one go. Cached under each account's sync state, or for
    long when `final` (nothing can change it any more, but a reading that splits its gain back
    into final days: under the account's history version)."""
    history = _history_version_of(scope.account_ids) if final else {}
    keys = {
        a.pk: _cache_key(scope, kind, a, *parts, final=final, history=history.get(a.pk, 0))
        for a in scope.accounts
    }
    cached = cache.get_many(list(keys.values()))
    values = {pk: cached[key] for pk, key in keys.items() if key in cached}
    stale = tuple(a for a in scope.accounts if a.pk not in values)
    if stale:
        computed = compute(replace(scope, accounts=stale))
        fresh = {a.pk: computed.get(a.pk, empty) for a in stale}
        timeout = FINAL_CACHE_SECONDS if final else LIVE_CACHE_SECONDS
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, timeout=timeout)
        values.update(fresh)
    return values
