"""The account-level daily sums (`AccountDaily`, `AccountMediaDaily`) rebuilt from the rows
they sum. The sync keeps them current change by change (metrics.ingest); this rebuilds them
whole: after a migration, for rows written by hand (tests), or to repair."""

from collections.abc import Sequence
from itertools import islice

from django.db import transaction
from django.db.models import Sum

from metrics.models import (
    MEDIA_COUNTS,
    POST_COUNTS,
    SUM_KEY,
    AccountDaily,
    AccountMediaDaily,
    MediaDaily,
    PostDaily,
    gain_columns,
)

KEY = ("account_id", *SUM_KEY)
BATCH = 2000
KINDS = ((PostDaily, AccountDaily, POST_COUNTS), (MediaDaily, AccountMediaDaily, MEDIA_COUNTS))


def account_rollups_rebuild(*, account_ids: Sequence[int]) -> None:
    """Replace the accounts' daily sums with the sums of their Posts' and videos' rows."""
    with transaction.atomic():
        for daily, rollup, names in KINDS:
            parts = gain_columns(names)
            rollup.objects.filter(account_id__in=account_ids).delete()
            grouped = (
                daily.objects.filter(account_id__in=account_ids)
                .values(*KEY)
                .annotate(**{f"sum_{p}": Sum(p) for p in parts})
                .order_by()
            )
            rows = grouped.iterator(chunk_size=BATCH)
            while batch := list(islice(rows, BATCH)):
                rollup.objects.bulk_create(
                    rollup(**{k: row[k] for k in KEY}, **{p: row[f"sum_{p}"] for p in parts})
                    for row in batch
                    # Only unknowns (a first reading long after birth): no row, as the sync.
                    if any(row[f"sum_{p}"] is not None for p in parts)
                )
