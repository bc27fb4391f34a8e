"""Per-account caching of reads: under each account's sync state, or for long once final."""

from __future__ import annotations

import hashlib
import pickle
import time as clock
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, XAccount
from metrics.models import KeptRead
from metrics.selectors.scope import Scope

# --- Account-days: what each account gained each day, and whether it synced ----------------
#
# Reads are cached per account. A sync writes rollups for the day of its reading (team time)
# and splits the gain since the previous reading back over that reading's days: a day is
# final once the next one has begun and no sync started before midnight can still run
# (RUNNING_AT_MOST), unless a later reading splits into it, which the sync records as a
# revision of the account's history from that day (`history_revised`): final days are cached
# for long and checked against those revisions. Anything that may still change is cached
# under the account's sync state (`account_version`), which every sync moves: a sync of one
# account invalidates that account's entries only.

FINAL_CACHE_SECONDS = 8 * 24 * 3600
LIVE_CACHE_SECONDS = 15 * 60  # a safety net: the version moves with every sync anyway
CACHE_VERSION = 3  # 3: final entries are stamped and checked against history revisions
# A run still "running" after this long died with its worker: it shows no progress.
RUNNING_AT_MOST = timedelta(hours=1)


def account_version(account: XAccount) -> str:
    """Changes whenever something writes the account's data: a sync ran (even one that failed
    halfway), is running, or was rescheduled, or an admin tracked a Post. From an account of
    `team_accounts`, whose annotations it reads."""
    return ":".join(
        str(value.timestamp() if isinstance(value, datetime) else value)
        for value in (
            account.last_synced_at,
            account.next_sync_at,
            getattr(account, "running_pages_done", None),
            getattr(account, "latest_run_id", None),
            getattr(account, "latest_lookup_id", None),
        )
    )


def final_until(team: Team) -> date:
    """The last team day whose rollups can no longer change."""
    now = timezone.localtime(timezone=team.tzinfo)
    settled = now - RUNNING_AT_MOST
    return settled.date() - timedelta(days=1)


# --- History revisions -----------------------------------------------------------------------
#
# Final entries are stamped with the history clock's reading taken before they were read, and
# each account keeps its recent revisions (clock tick, first day revised). An entry about days
# up to D is still true unless one of its accounts was revised from a day <= D after its
# stamp: a reading that reaches back two days re-reads those two days, not the whole history.

REVISIONS_KEPT = 64
_CLOCK_KEY = f"quartile:history-clock:{CACHE_VERSION}"


def _history_key(account_id: int) -> str:
    return f"quartile:history:{CACHE_VERSION}:{account_id}"


def _clock_tick() -> int:
    """The history clock, moved on. It starts at the time in ns, so that a clock the cache lost
    starts again beyond any stamp it had handed out."""
    cache.add(_CLOCK_KEY, clock.time_ns(), timeout=None)
    try:
        return cache.incr(_CLOCK_KEY)
    except ValueError:  # evicted between the two calls
        cache.set(_CLOCK_KEY, tick := clock.time_ns(), timeout=None)
        return tick


def history_stamp() -> int:
    """The history clock now: taken before reading what a final entry will hold."""
    stamp = cache.get(_CLOCK_KEY)
    return _clock_tick() if stamp is None else stamp


def revise_history_on_commit(*, account_id: int, since: date | None) -> None:
    """`history_revised` once the current transaction commits (nothing when `since` is None):
    a reader that sees the revision then reads the rows it describes."""
    if since is not None:
        transaction.on_commit(lambda: history_revised(account_id=account_id, since=since))


def history_revised(*, account_id: int, since: date) -> None:
    """A sync rewrote the account's days from `since` on, some of which may have been final: a
    reading splits its gain back over the days since the previous one. Called once its
    transaction committed; one sync of an account runs at a time, so nothing else writes the
    account's revisions meanwhile."""
    key = _history_key(account_id)
    tick = _clock_tick()
    history = cache.get(key) or {"floor": tick, "revisions": []}
    revisions = [*history["revisions"], (tick, since)]
    while len(revisions) > REVISIONS_KEPT:
        # The two oldest become one, at the later tick from the earlier day: an entry either
        # of them would have stopped is still stopped (and a few more, harmlessly).
        (_, first), (later, second) = revisions[:2]
        revisions[:2] = [(later, min(first, second))]
    cache.set(key, {"floor": history["floor"], "revisions": revisions}, timeout=None)


@dataclass(frozen=True)
class Histories:
    """The revisions of a set of accounts, read in one go, and the history clock's reading
    (`stamp`) for the entries written from what is read next."""

    by_account: Mapping[int, Mapping]
    stamp: int
    _revised_from: dict = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, account_ids: Iterable[int]) -> Histories:
        """Where an account has no record (new, or the cache lost it), one that starts now:
        nothing stamped before can be trusted for it. The stamp is read after the records: no
        revision they miss predates it."""
        keys = {pk: _history_key(pk) for pk in account_ids}
        found = cache.get_many(list(keys.values()))
        missing = [key for key in keys.values() if key not in found]
        if missing:
            tick = _clock_tick()  # one reading for all: each record starts now
            started = {key: {"floor": tick, "revisions": []} for key in missing}
            for key, record in started.items():
                cache.add(key, record, timeout=None)
            found.update(cache.get_many(missing))
            found.update({key: started[key] for key in missing if key not in found})
        return cls({pk: found[key] for pk, key in keys.items()}, history_stamp())

    def still_true(self, account_ids: Iterable[int], stamp: int, last_day: date) -> bool:
        """Whether an entry stamped `stamp` about the accounts' days up to `last_day` holds."""
        revised = self.revised_from(tuple(account_ids), stamp)
        return revised is None or revised > last_day

    def revised_from(self, account_ids: tuple[int, ...], stamp: int) -> date | None:
        """The first day any of the accounts revised after `stamp`: None when none did,
        date.min when that is not known (the account's record started after `stamp`)."""
        memo = (account_ids, stamp)
        if memo not in self._revised_from:
            days = []
            for pk in account_ids:
                history = self.by_account[pk]
                if stamp < history["floor"]:
                    days.append(date.min)
                days.extend(since for tick, since in history["revisions"] if tick > stamp)
            self._revised_from[memo] = min(days, default=None)
        return self._revised_from[memo]


def _read_key(scope: Scope, *parts) -> str:
    """What a read depends on besides its accounts: the team's days, which Posts count, and
    the read's own parameters."""
    return ":".join(str(p) for p in (scope.team.time_zone, scope.posts, *parts))


def _cache_key(scope: Scope, kind: str, account: XAccount, *parts, final: bool) -> str:
    version = "final" if final else account_version(account)
    return f"quartile:{kind}:{CACHE_VERSION}:{account.pk}:{version}:{_read_key(scope, *parts)}"


def _scope_key(scope: Scope, kind: str, *parts) -> str:
    """A key for a value of the whole scope, under every one of its accounts' sync states and
    history revisions (one cache read)."""
    histories = Histories.of(scope.account_ids).by_account
    states = ",".join(
        f"{a.pk}={account_version(a)}@{_last_tick(histories[a.pk])}"
        for a in sorted(scope.accounts, key=_pk)
    )
    tail = _read_key(scope, scope.mode, scope.period, *parts)
    digest = hashlib.sha1(f"{states}|{tail}".encode(), usedforsecurity=False).hexdigest()
    return f"quartile:{kind}:{CACHE_VERSION}:{digest}"


def _pk(account: XAccount) -> int:
    return account.pk


def _last_tick(history: Mapping) -> int:
    return max((tick for tick, _ in history["revisions"]), default=history["floor"])


# --- Reads kept by the sync ------------------------------------------------------------------
#
# After a sync, its worker computes the account's part of the Overview's preset views
# (`warm_reads`) and keeps it in the database under the account's new sync state: the first
# page views read those rows, even after a cache flush or a deploy, instead of computing every
# account's part. Only the worker writes them; a page reads them.

_keeping: ContextVar[bool] = ContextVar("keeping_reads", default=False)


@contextmanager
def keeping_reads() -> Iterator[None]:
    """Within: `_per_account` reads marked `kept` are computed afresh and kept."""
    token = _keeping.set(True)
    try:
        yield
    finally:
        _keeping.reset(token)


def _kept_values(scope: Scope, kind: str, parts: tuple, accounts) -> dict[int, object]:
    """The values the accounts' syncs kept for this read, where their state has not moved."""
    states = {a.pk: account_version(a) for a in accounts}
    rows = KeptRead.objects.filter(
        account_id__in=list(states), kind=kind, key=_read_key(scope, *parts)
    ).values_list("account_id", "sync_state", "value")
    return {pk: pickle.loads(value) for pk, state, value in rows if states[pk] == state}  # noqa: S301 (written by _keep only)


def _keep(scope: Scope, kind: str, parts: tuple, values: Mapping[int, object]) -> None:
    states = {a.pk: account_version(a) for a in scope.accounts}
    key = _read_key(scope, *parts)
    KeptRead.objects.bulk_create(
        [
            KeptRead(account_id=pk, kind=kind, key=key, sync_state=states[pk],
                     value=pickle.dumps(value), written_at=timezone.now())
            for pk, value in values.items()
        ],
        update_conflicts=True,
        unique_fields=["account", "kind", "key"],
        update_fields=["sync_state", "value", "written_at"],
    )  # fmt: skip


def forget_kept_reads(*, account: XAccount) -> None:
    """After `warm_reads`: what the account's earlier states kept (other days' periods)."""
    KeptRead.objects.filter(account=account).exclude(sync_state=account_version(account)).delete()


def _per_account(
    scope: Scope,
    kind: str,
    parts: tuple,
    compute: Callable[[Scope], Mapping[int, object]],
    *,
    empty: object,
    final: bool = False,
    kept: bool = False,
) -> dict[int, object]:
    """One value per account in scope: from the cache, or `compute` over the accounts that
    are not cached (a sub-scope) in one go. Cached under each account's sync state, or for
    long when `final` (nothing can change it any more but a reading that splits its gain back
    into the period: checked against the account's history revisions). `kept` (live values
    only): what the accounts' syncs kept is read before computing (`warm_reads`)."""
    kept = kept and not final
    keys = {a.pk: _cache_key(scope, kind, a, *parts, final=final) for a in scope.accounts}
    keeping = kept and _keeping.get()
    cached = {} if keeping else cache.get_many(list(keys.values()))
    if final:
        histories = Histories.of(scope.account_ids)
        values = {
            pk: value
            for pk, key in keys.items()
            if key in cached
            for stamped, value in [cached[key]]
            if histories.still_true((pk,), stamped, scope.period.end)
        }
    else:
        values = {pk: cached[key] for pk, key in keys.items() if key in cached}
    stale = tuple(a for a in scope.accounts if a.pk not in values)
    if stale and kept and not keeping:
        found = _kept_values(scope, kind, parts, stale)
        cache.set_many({keys[pk]: v for pk, v in found.items()}, timeout=LIVE_CACHE_SECONDS)
        values.update(found)
        stale = tuple(a for a in stale if a.pk not in found)
    if stale:
        computed = compute(replace(scope, accounts=stale))
        fresh = {a.pk: computed.get(a.pk, empty) for a in stale}
        if keeping:
            _keep(replace(scope, accounts=stale), kind, parts, fresh)
        if final:
            stored = {keys[pk]: (histories.stamp, value) for pk, value in fresh.items()}
            cache.set_many(stored, timeout=FINAL_CACHE_SECONDS)
        else:
            cache.set_many({keys[pk]: v for pk, v in fresh.items()}, timeout=LIVE_CACHE_SECONDS)
        values.update(fresh)
    return values
