"""The embedded Celery broker (no Redis): kombu's filesystem transport, with writes made atomic.

kombu writes a message file under its final name and then fills it, while a consumer may
already move and read it: the worker read a half-written file, failed with JSONDecodeError and
stopped for good (kombu issue #1551, open). Here a message is written to a name consumers
ignore and renamed into place once complete (a rename is atomic within one folder), and a
message that cannot be decoded anyway (one written by a crashed producer) is logged and
skipped instead of ending the worker.

kombu's exchange tables (which queue a routing key reaches) have the same flaw: a process
creating the table file and one reading it at that moment (the web and the worker declaring
the queue as they start) read an empty file, and the reader dies with JSONDecodeError. Tables
are changed here under a lock of their own and replaced whole, and a process's lookups include
the bindings it has made but not yet written.

Chosen over kombu's SQLAlchemy transport on the same SQLite file: no new dependency, and no
second writer contending for SQLite's single write lock with the site and the worker.
"""

import contextlib
import logging
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport.filesystem import LOCK_EX, exchange_queue_t, lock, unlock
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`, whole or not at all."""
        final = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # kombu's own naming
        try:
            _write_whole(os.path.join(self.data_folder_out, final), payload)
        except OSError as exc:
            raise ChannelError(f"Cannot add a message to {queue!r}") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        entry = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._changing_table(exchange) as queues:
            if entry not in queues:
                queues.insert(0, entry)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # kombu's own rewrites the table in place: skip it for the base's bookkeeping only.
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern)
        entry = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._changing_table(exchange) as queues:
            while entry in queues:
                queues.remove(entry)

    def get_table(self, exchange):
        """The exchange's table on disk, and what this process has bound but not yet written.

        A thread finds a binding another thread of its process has declared as done (kombu
        keeps bindings per process) while that thread still writes it; reading only the disk,
        the message it publishes meanwhile reached no queue and was dropped.
        """
        table = super().get_table(exchange)
        written = set(table)
        for routing_key, pattern, queue in self.state.exchanges.get(exchange, {}).get("table", []):
            binding = exchange_queue_t(routing_key or "", pattern or "", queue or "")
            if binding not in written:
                table.append(binding)
                written.add(binding)
        return table

    @contextlib.contextmanager
    def _changing_table(self, exchange):
        """The exchange's table to change in place, written back whole under a lock."""
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(parents=True, exist_ok=True)
        try:
            with open(table.with_name(f".{table.name}.lock"), "wb") as held:
                lock(held, LOCK_EX)
                try:
                    queues = super().get_table(exchange)
                    before = list(queues)
                    yield queues
                    if queues != before:
                        _write_whole(str(table), queues)
                finally:
                    unlock(held)
        except OSError as exc:
            raise ChannelError(f"Cannot change the table of exchange {exchange!r}") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)
            except ValueError:  # JSONDecodeError: the file was already taken off the queue
                logger.error("skipped a message of %r that could not be decoded", queue)


def _write_whole(path: str, payload) -> None:
    """Write `payload` as JSON at `path` so that a reader sees all of it or nothing."""
    # A leading dot and no ".msg" ending: no consumer takes it for a message of any queue.
    writing = os.path.join(os.path.dirname(path), f".{uuid.uuid4()}.writing")
    with open(writing, "wb") as file:
        file.write(str_to_bytes(dumps(payload)))
        file.flush()
        os.fsync(file.fileno())
    os.replace(writing, path)


class Transport(filesystem.Transport):
    Channel = Channel
