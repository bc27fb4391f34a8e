"""What a sync's worker prepares for the next page views: each account's part of the
Overview's preset views, kept in the database under the account's new sync state."""

from __future__ import annotations

from accounts.models import XAccount
from metrics.selectors.cache import forget_kept_reads, keeping_reads
from metrics.selectors.freshness import team_accounts
from metrics.selectors.posts import PRESET_DAYS, TOP_POSTS, PostSort, _account_rankings
from metrics.selectors.scope import Period, Scope, team_today
from metrics.selectors.sums import _media_total_sums, _post_total_sums


def warm_reads(*, account: XAccount) -> None:
    """After a sync of `account`: its Top Posts (default order) and the created totals behind
    the KPIs' exact parts, over the preset periods in both modes. A page of any scope with the
    account reads them instead of computing them, until the account's next write."""
    team = account.team
    # As pages see it, with the annotations its sync state is read from.
    account = team_accounts(team=team, account_ids=[account.pk])[0]
    today = team_today(team)
    with keeping_reads():
        for days in PRESET_DAYS:
            scope = Scope(team, (account,), Period.last(days, today=today))
            _account_rankings(scope, PostSort(), TOP_POSTS)
            _post_total_sums(scope, by_day=False)  # the same read in both modes
            for created in (False, True):  # activity: the KPIs' exact parts; created: all
                _media_total_sums(scope, with_previous=created)
    forget_kept_reads(account=account)
