from accounts.models import XAccount
from metrics import scheduler
from metrics.tasks import enqueue_sync


def start_first_sync(sender, *, account: XAccount, **kwargs) -> None:
    """A newly connected account fills at once, not at the next beat."""
    scheduler.request_sync_now(account, enqueue=enqueue_sync)
