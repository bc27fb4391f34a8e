"""One sync of one account: read the timeline, plan the lookups, write each page in its own
transaction, and end in a documented state whatever X answers.

| X answers                               | the account                                          |
|-----------------------------------------|------------------------------------------------------|
| everything                              | next sync in `SYNC_EVERY`                            |
| 429 (either shape) or a spent window    | deferred to X's reset time, reason shown             |
| usage cap / credits depleted            | deferred (to the next UTC day / an hour), reason     |
| (the team's monthly X budget is spent)  | deferred to the next UTC day, reason shown           |
| 5xx, timeout, reset, malformed JSON     | `TransientSyncError`: the task retries with backoff, |
|                                         | then the account is deferred with growing backoff    |
| 401 that no refresh cures, refused      | needs_reauth: no more syncs until an admin           |
| refresh                                 | reconnects                                           |

The account row is claimed (a lease renewed by every page), so one sync runs per account
across all workers; pages already written stay, and the next sync asks only for what is due.
"""

import logging
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

import xapi
from accounts import credentials
from accounts.models import XAccount
from metrics import ingest, selectors, spend, table_stats
from metrics.age_curves import account_age_curve
from metrics.ingest import StoredPage, store_page
from metrics.lifeline import DEFAULT_CURVE, AgeCurve
from metrics.models import Post, PostLookup, SyncRun
from metrics.planner import (
    PRIVATE,
    PUBLIC,
    LookupBatch,
    PostState,
    plan_lookups,
    private_cutoff,
    promoted_batches,
)
from xapi import pricing
from xapi.client import MAX_TIMELINE_PAGE, MIN_TIMELINE_PAGE

logger = logging.getLogger(__name__)

SYNC_EVERY = timedelta(minutes=15)
# A first sync after a long absence would miss Posts that aged past X's 30-day line unseen.
BACKFILL_AFTER_ABSENCE = timedelta(days=29)
FAILURE_BACKOFF = (timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))


def lease() -> timedelta:
    return timedelta(seconds=settings.SYNC_LEASE_SECONDS)


class TransientSyncError(Exception):
    """X failed in a way that may pass: the caller retries, later, under `claim`."""

    def __init__(self, message: str, *, claim: str) -> None:
        super().__init__(message)
        self.claim = claim


class AccountBusy(Exception):
    """Another live sync holds the account: try again once its lease may have run out."""

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class LostClaim(Exception):
    """Another sync owns the account now; this one stops without writing more."""


class BudgetSpent(Exception):
    """What is left of the team's monthly X budget does not pay for the next request."""


@dataclass
class _Run:
    account: XAccount
    claim: str
    run: SyncRun
    client: xapi.XClient
    lease_until: datetime | None = None
    curve: AgeCurve = DEFAULT_CURVE  # splits a gain between readings over their days
    budget: Decimal = Decimal(0)  # the team's dollars for this month (metrics.spend)
    owned: bool = False  # the account owns the developer app: its timeline is Owned Reads
    spent: Decimal = Decimal(0)  # the dollars of the reads stored so far
    reserved: Decimal = Decimal(0)  # the most the request out now can cost
    needs_backfill: bool = False  # a timeline stopped by the budget may have left a gap

    def now(self) -> datetime:
        return self.client.server_now()


def take_over(*, account_id: int, claim: str, now: datetime | None = None) -> str | None:
    """Swap the scheduler's `claim` for this run's own token, or take over a dead sync.

    Two deliveries of one message (a redelivery, a duplicate) cannot both win: the first swaps
    the token. A sync whose worker died stops renewing its lease; once the lease has run out,
    its message, redelivered, takes the account over. Returns the run's token; None when the
    account is not ours to sync; raises AccountBusy while another sync's lease is live.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    won = (
        XAccount.objects.filter(pk=account_id, status=XAccount.Status.ACTIVE)
        .filter(Q(sync_claim=claim) | Q(sync_claimed_until__lt=now))
        .exclude(sync_claim="")
        .update(sync_claim=token, sync_claimed_until=now + lease())
    )
    if won:
        return token
    busy_until = (
        XAccount.objects.filter(
            pk=account_id, status=XAccount.Status.ACTIVE, sync_claimed_until__gte=now
        )
        .exclude(sync_claim="")
        .values_list("sync_claimed_until", flat=True)
        .first()
    )
    if busy_until is not None:
        raise AccountBusy(f"account {account_id} is being synced", until=busy_until)
    return None


def sync_account(*, account_id: int, claim: str) -> SyncRun | None:
    """Sync one account under the scheduler's `claim`; None when it is not ours to sync."""
    claim = take_over(account_id=account_id, claim=claim)
    if claim is None:
        return None
    account = XAccount.objects.select_related("team", "credential").get(pk=account_id)
    rate_limits = xapi.RateLimitState.from_json(account.rate_limits or {})
    run = SyncRun.objects.create(
        account=account, team=account.team, billing_day=datetime.now(UTC).date()
    )
    bulk_loaded = False
    with credentials.client_for(account, rate_limits=rate_limits) as client:
        state = _Run(
            account=account,
            claim=claim,
            run=run,
            client=client,
            curve=account_age_curve(account=account),
            budget=spend.monthly_budget(account.team, day=run.billing_day),
            owned=bool(settings.X_APP_OWNER_USER_ID)
            and account.x_user_id == settings.X_APP_OWNER_USER_ID,
        )
        try:
            bulk_loaded = _sync(state)
        except LostClaim:
            _finish_run(state, SyncRun.Outcome.FAILED, "another worker took over this sync")
        except BudgetSpent as exc:
            _defer(state, until=_next_utc_midnight(state.now()), reason=str(exc))
        except xapi.RateLimited as exc:
            _defer(
                state, until=exc.reset_at, reason=f"rate limited by X until {_hhmm(exc.reset_at)}"
            )
        except xapi.UsageCapped as exc:
            until = _next_utc_midnight(state.now())
            if (exc.period or "").lower() == "monthly":
                until = state.now() + timedelta(days=1)
            _defer(
                state, until=until, reason=f"X usage cap reached ({exc.period or 'unknown'} period)"
            )
        except xapi.CreditsDepleted:
            _defer(
                state,
                until=state.now() + timedelta(hours=1),
                reason="X API credits depleted: add credits in the X developer console",
            )
        except xapi.Unauthorized as exc:
            _needs_reauth(state, exc)
        except xapi.ClientNotEnrolled as exc:
            logger.error("X does not serve the app (account %s): %s", account_id, _describe(exc))
            _defer(state, until=state.now() + timedelta(hours=1), reason=exc.advice(), failed=True)
        except xapi.XError as exc:
            if not exc.permanent:
                _finish_run(state, SyncRun.Outcome.FAILED, _describe(exc))
                raise TransientSyncError(_describe(exc), claim=claim) from exc
            logger.error("sync of X account %s failed permanently: %s", account_id, _describe(exc))
            _defer(
                state, until=state.now() + timedelta(hours=1), reason=_describe(exc), failed=True
            )
        except BaseException as exc:
            # A bug or a time limit: keep what is written, free the account, try again soon.
            _finish_run(state, SyncRun.Outcome.FAILED, type(exc).__name__)
            _release(state, next_sync_at=timezone.now() + timedelta(minutes=1))
            raise
    if bulk_loaded:
        _refresh_planner_statistics(account_id)
    if run.outcome == SyncRun.Outcome.SUCCEEDED:
        _warm_reads(account_id)
    return run


def _warm_reads(account_id: int) -> None:
    """Prepare the account's part of the next page views (`selectors.warm_reads`), here rather
    than in them. Like the statistics above, it only speeds up reads: a failure is logged,
    never the sync's."""
    try:
        selectors.warm_reads(account=XAccount.objects.select_related("team").get(pk=account_id))
    except Exception:
        logger.exception("could not prepare the page reads of X account %s", account_id)


def _refresh_planner_statistics(account_id: int) -> None:
    """After a bulk load, the planner must learn that the tables grew before pages read them.

    This runs once the run is recorded and the account released: it only speeds up reads, so
    neither its failure nor a worker shutting down during it may turn a success into a failure.
    """
    try:
        analyzed = table_stats.analyze_stale_tables()
    except DatabaseError:
        logger.warning("could not analyze the tables after X account %s's first sync", account_id)
        return
    if analyzed:
        logger.info("analyzed %s after the first sync of X account %s", analyzed, account_id)


def sync_give_up(*, account_id: int, claim: str, error: str) -> None:
    """After the retries of a transient failure: defer with a growing backoff."""
    account = XAccount.objects.filter(pk=account_id, sync_claim=claim).first()
    if account is None:
        return
    step = FAILURE_BACKOFF[min(account.consecutive_failures, len(FAILURE_BACKOFF) - 1)]
    jitter = timedelta(seconds=random.uniform(0, step.total_seconds() / 5))
    XAccount.objects.filter(pk=account_id, sync_claim=claim).update(
        next_sync_at=timezone.now() + step + jitter,
        deferral_reason=f"X failed repeatedly ({error}); trying again in {step}",
        consecutive_failures=F("consecutive_failures") + 1,
        last_error=error,
        sync_claim="",
        sync_claimed_until=None,
    )


def _sync(state: _Run) -> bool:
    """Read the account's timeline and lookups into the store; True when it was a backfill."""
    account = state.account
    _forget_what_was_deleted(account)
    known = _post_states(account)
    # The timeline's watermark: Posts an admin added by address (promoted-only ones) are not
    # the timeline's, and one newer than an unread timeline Post would hide it for good.
    tracked = set(PostLookup.objects.filter(account=account).values_list("x_post_id", flat=True))
    newest = max((p.x_post_id for p in known if p.x_post_id not in tracked), default=None)
    backfill = account.backfilled_at is None or (
        account.last_synced_at is not None
        and timezone.now() - account.last_synced_at > BACKFILL_AFTER_ABSENCE
    )
    expected_timeline = (
        max(1, -(-min(account.post_count or 0, xapi.TIMELINE_REACH) // 100)) if backfill else 1
    )
    _planned(state, expected_timeline)
    if backfill:
        state.run.backfill = True
        SyncRun.objects.filter(pk=state.run.pk).update(backfill=True)
        _check_first_sync_fits(state)

    # New Posts, with every field a young Post has. With private fields X itself narrows the
    # timeline to the last 30 days (docs/x-api.md §2.2); retweets are not ours and would error.
    fresh: set[int] = set()
    promoted: set[int] = set()
    replaced: set[int] = set()  # earlier versions of Posts the timeline shows edited
    # With nothing stored yet (deleted Posts included), the timeline's pages hold only new
    # Posts: no lookup of stored ones is needed.
    all_new = not Post.objects.filter(account=account).exists()
    young_pages = _timeline(
        state,
        metrics=PRIVATE,
        since_id=None if backfill or newest is None else str(newest),
        gap_if_stopped=not backfill,
    )
    oldest_young = None
    for page in young_pages:
        stored = _store(state, page, PRIVATE, all_new=all_new and not fresh & _ids(page))
        fresh |= _ids(page)
        promoted |= stored.promoted_ids
        replaced |= stored.replaced_ids
        if page.meta.oldest_id:
            oldest_young = page.meta.oldest_id
    if backfill:
        # The older half of the timeline, public metrics only, as far as X reaches.
        until = (
            {"until_id": oldest_young}
            if oldest_young
            else {"end_time": private_cutoff(state.now())}
        )
        for page in _timeline(state, metrics=PUBLIC, **until):
            _store(state, page, PUBLIC, all_new=all_new and not fresh & _ids(page))
            fresh |= _ids(page)

    plan = plan_lookups(
        posts=_post_states(account)
        if backfill
        else [p for p in known if p.x_post_id not in replaced],
        now=state.now(),
        fresh_ids=fresh,
        reads_left_today=pricing.post_reads_for(_allowance(state).today_left),
        billing_day=state.run.billing_day,
    )
    young = [b for b in plan.batches if b.group == "young"]
    old = [b for b in plan.batches if b.group == "old"]
    _planned(state, state.run.pages_done + len(plan.batches) + -(-len(promoted) // 100))
    # A lookup may show a Post edited into a version not stored (X's timeline may not list it
    # where we read): that version is read by id, with the fields of the lookup that found it.
    unread: dict[int, xapi.MetricGroup] = {}
    skipped = plan.skipped_for_budget
    for batch in young:
        stored = _lookup(state, batch)
        if stored is None:
            skipped += len(batch.ids)
            continue
        promoted |= stored.promoted_ids
        unread |= dict.fromkeys(stored.unread_versions, batch.metrics)
    promoted_plan = promoted_batches(promoted)
    _planned(state, state.run.pages_done + len(promoted_plan) + len(old))
    for batch in [*promoted_plan, *old]:
        stored = _lookup(state, batch)
        if stored is None:
            skipped += len(batch.ids)
            continue
        unread |= dict.fromkeys(stored.unread_versions, batch.metrics)
    for batch in _version_batches(unread):
        _planned(state, state.run.pages_done + 1)
        if _lookup(state, batch) is None:
            skipped += len(batch.ids)
    _succeed(state, backfilled=backfill, skipped=skipped)
    return backfill


def _allowance(state: _Run) -> pricing.Allowance:
    return spend.allowance(state.account.team, day=state.run.billing_day, budget=state.budget)


def _check_first_sync_fits(state: _Run) -> None:
    """A first sync reads every Post X serves, once: it starts only if the month pays for all
    of it (a first sync stopped half-way would read its Posts again, and pay again, later)."""
    cost = pricing.first_sync_cost(state.account.post_count)
    left = _allowance(state).month_left
    if left is not None and cost > left:
        raise BudgetSpent(
            f"its first sync costs up to ${cost:.2f} and the team's X budget has ${left:.2f} "
            "left this month: an admin can raise it in the team settings"
        )


def _reserve(state: _Run, dollars: Decimal) -> bool:
    """Count a request's most possible cost before sending it, if the month has it."""
    reserved = spend.reserve(
        run=state.run, dollars=dollars, budget=state.budget, day=state.run.billing_day
    )
    if reserved:
        state.reserved += dollars
    return reserved


def _unreserve(state: _Run) -> None:
    if state.reserved:
        SyncRun.objects.filter(pk=state.run.pk).update(estimated_dollars=state.spent)
        state.reserved = Decimal(0)


def _timeline(
    state: _Run, *, metrics: xapi.MetricGroup, gap_if_stopped: bool = False, **params
) -> Iterator[xapi.Page]:
    """The account's timeline pages, each paid for before it is asked (BudgetSpent when the
    month cannot pay the next one). `gap_if_stopped`: Posts newer than the stored ones are
    read down to them, so stopping half-way would leave a gap that only a backfill fills."""
    price = pricing.post_read_price(endpoint=pricing.TIMELINE_ENDPOINT, owned=state.owned)
    left = _allowance(state).month_left
    size = MAX_TIMELINE_PAGE if left is None else min(MAX_TIMELINE_PAGE, int(left // price))
    spent_message = "the team's X budget for this month is spent: an admin can raise it"
    if size < MIN_TIMELINE_PAGE:
        raise BudgetSpent(spent_message)
    pages = state.client.iter_timeline(
        user_id=state.account.x_user_id,
        metrics=metrics,
        exclude=("retweets",),
        max_results=size,
        **params,
    )
    page = None
    while page is None or page.meta.next_token:  # X's last page names no next one
        if not _reserve(state, size * price):
            state.needs_backfill = gap_if_stopped and page is not None
            raise BudgetSpent(spent_message)
        page = next(pages, None)
        if page is None:
            _unreserve(state)
            return
        yield page


def _version_batches(unread: dict[int, xapi.MetricGroup]) -> list[LookupBatch]:
    """Lookups of the latest versions of edited Posts, 100 ids at a time per set of fields."""
    by_metrics: dict[xapi.MetricGroup, list[str]] = {}
    for x_id, metrics in sorted(unread.items()):
        by_metrics.setdefault(metrics, []).append(str(x_id))
    return [
        LookupBatch("edits", metrics, tuple(ids[n : n + 100]))
        for metrics, ids in by_metrics.items()
        for n in range(0, len(ids), 100)
    ]


def _forget_what_was_deleted(account: XAccount) -> None:
    """Posts marked deleted whose content is still here (marked before deletions were
    forgotten at once): forgotten now, within X's 24 hours of the next sync."""
    marked = Post.objects.filter(account=account, deleted_at__isnull=False, latest__isnull=False)
    x_ids = set(marked.values_list("x_post_id", flat=True))
    if x_ids:
        with transaction.atomic():
            since = ingest.forget_deleted_posts(
                account=account, x_post_ids=x_ids, deleted_at=timezone.now()
            )
            selectors.revise_history_on_commit(account_id=account.pk, since=since)


def _post_states(account: XAccount) -> list[PostState]:
    return [
        PostState(**values)
        # An earlier version of an edited Post is frozen on X: nothing to read, nothing to pay.
        for values in Post.objects.filter(
            account=account, deleted_at=None, edited_into=None
        ).values(
            "x_post_id", "created_at", "public_refreshed_at", "private_refreshed_at", "last_read_on"
        )
    ]


def _lookup(state: _Run, batch: LookupBatch) -> StoredPage | None:
    """One id batch, if the month pays for it (None: skipped for the budget)."""
    billed = batch.billed_at_most
    if billed is None:
        already = Post.objects.filter(
            account=state.account,
            x_post_id__in=[int(x) for x in batch.ids],
            last_read_on=state.run.billing_day,
        ).count()  # X bills a Post once per UTC day: these cost nothing more
        billed = len(batch.ids) - already
    if not _reserve(state, pricing.post_reads_cost(billed)):
        return None
    page = state.client.lookup_posts(ids=batch.ids, metrics=batch.metrics)
    return _store(state, page, batch.metrics, asked_ids=batch.ids)


def _ids(page: xapi.Page) -> set[int]:
    return {int(p.id) for p in page.posts}


def _store(
    state: _Run,
    page: xapi.Page,
    metrics: xapi.MetricGroup,
    asked_ids=(),
    all_new: bool = False,
) -> StoredPage:
    """Write one answer, the run's progress and the rate-limit state in one transaction."""
    observed_at = state.now()
    run = state.run
    run.billing_day = observed_at.astimezone(UTC).date()
    with transaction.atomic():
        _renew_claim(state)
        stored = store_page(
            account=state.account,
            page=page,
            metrics=metrics,
            observed_at=observed_at,
            team_tz=state.account.team.tzinfo,
            billing_day=run.billing_day,
            asked_ids=asked_ids,
            all_new=all_new,
            curve=state.curve,
        )
        run.pages_done += 1
        run.pages_planned = max(run.pages_planned, run.pages_done)
        run.posts_read += stored.posts
        run.billed_post_reads += stored.billed_reads
        # A timeline answer is the account's own timeline, Owned Reads for the app's owner.
        endpoint = pricing.TIMELINE_ENDPOINT if not asked_ids else None
        state.spent += pricing.post_reads_cost(
            stored.billed_reads, endpoint=endpoint, owned=state.owned
        )
        state.reserved = Decimal(0)  # the request is answered: its real cost replaces it
        run.estimated_dollars = state.spent
        run.requests = dict(state.client.requests_sent)
        selectors.revise_history_on_commit(account_id=state.account.pk, since=stored.revised_from)
        run.save(
            update_fields=[
                "pages_done", "pages_planned", "posts_read", "billed_post_reads",
                "estimated_dollars", "requests", "billing_day",
            ]
        )  # fmt: skip
    return stored


def _renew_claim(state: _Run) -> None:
    """Extend the lease once half of it is spent, saving the rate-limit state with it."""
    now = timezone.now()
    if state.lease_until is not None and state.lease_until - now > lease() / 2:
        return
    renewed = XAccount.objects.filter(pk=state.account.pk, sync_claim=state.claim).update(
        sync_claimed_until=now + lease(),
        rate_limits=state.client.rate_limits.to_json(),
    )
    if not renewed:
        raise LostClaim
    state.lease_until = now + lease()


def _planned(state: _Run, pages: int) -> None:
    state.run.pages_planned = max(pages, state.run.pages_done)
    SyncRun.objects.filter(pk=state.run.pk).update(pages_planned=state.run.pages_planned)


def _finish_run(state: _Run, outcome: str, error: str = "") -> None:
    run = state.run
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.requests = dict(state.client.requests_sent)
    # A request that failed returned nothing billable: its reserve is given back.
    state.reserved = Decimal(0)
    run.estimated_dollars = state.spent
    run.save(update_fields=["outcome", "error", "finished_at", "requests", "estimated_dollars"])


def _release(state: _Run, **fields) -> None:
    """Give the account back, unless another sync holds it now."""
    XAccount.objects.filter(pk=state.account.pk, sync_claim=state.claim).update(
        sync_claim="",
        sync_claimed_until=None,
        rate_limits=state.client.rate_limits.to_json(),
        **fields,
    )


def _succeed(state: _Run, *, backfilled: bool, skipped: int) -> None:
    note = f"{skipped} Posts wait for tomorrow's share of the X budget" if skipped else ""
    _finish_run(state, SyncRun.Outcome.SUCCEEDED, note)
    now = timezone.now()
    fields = {
        "last_synced_at": now,
        "next_sync_at": now + SYNC_EVERY,
        "rate_limited_until": None,
        "deferral_reason": note,
        "consecutive_failures": 0,
        "last_error": "",
    }
    if backfilled:
        fields["backfilled_at"] = now
    _release(state, **fields)


def _defer(state: _Run, *, until: datetime, reason: str, failed: bool = False) -> None:
    """Pages written so far stay; the account waits (in the database, not the queue)."""
    outcome = SyncRun.Outcome.FAILED if failed else SyncRun.Outcome.DEFERRED
    _finish_run(state, outcome, reason)
    # `until` is on X's clock; the schedule runs on ours.
    local_until = until - (state.client.server_now() - timezone.now())
    logger.info("sync of X account %s deferred: %s", state.account.pk, reason)
    reason = reason[: XAccount._meta.get_field("deferral_reason").max_length]
    more = {"backfilled_at": None} if state.needs_backfill else {}
    _release(
        state,
        **more,
        next_sync_at=max(local_until, timezone.now()) + timedelta(seconds=random.uniform(1, 30)),
        rate_limited_until=local_until if not failed else None,
        deferral_reason=reason,
        last_error=reason if failed else "",
    )


def _needs_reauth(state: _Run, error: xapi.XError) -> None:
    reason = "X no longer accepts this account's tokens: reconnect it"
    _finish_run(state, SyncRun.Outcome.NEEDS_REAUTH, _describe(error))
    credentials.account_mark_needs_reauth(account_id=state.account.pk, reason=reason)
    _release(state, next_sync_at=None)


def _describe(error: xapi.XError) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(
        now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), UTC
    )
