from django.core.management.base import BaseCommand

from accounts.credentials import credentials_rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every X credential under the first key of TOKEN_ENCRYPTION_KEYS. "
        "Safe to interrupt and run again; when it reports done, older keys can be retired."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument(
            "--max-batches", type=int, default=None, help="stop after this many batches"
        )

    def handle(self, *args, batch_size: int, max_batches: int | None, **options) -> None:
        report = credentials_rotate_keys(batch_size=batch_size, max_batches=max_batches)
        state = "done" if report.finished else "stopped early; run it again to finish"
        self.stdout.write(
            f"Re-encrypted {report.rotated} credentials, {report.already_current} already "
            f"current, in {report.batches} batches: {state}."
        )
