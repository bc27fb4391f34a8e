"""The embedded Celery broker (no Redis): kombu's filesystem transport, with writes made atomic.

kombu writes a message file under its final name and then fills it, while a consumer may
already move and read it: the worker read a half-written file, failed with JSONDecodeError and
stopped for good (kombu issue #1551, open). Here a message is written to a name consumers
ignore and renamed into place once complete (a rename is atomic within one folder), and a
message that cannot be decoded anyway (one written by a crashed producer) is logged and
skipped instead of ending the worker.

Chosen over kombu's SQLAlchemy transport on the same SQLite file: no new dependency, and no
second writer contending for SQLite's single write lock with the site and the worker.
"""

import logging
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`, whole or not at all."""
        final = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # kombu's own naming
        # A leading dot and no ".msg" ending: no consumer takes it for a message of any queue.
        writing = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.writing")
        try:
            with open(writing, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
                file.flush()
                os.fsync(file.fileno())
            os.replace(writing, os.path.join(self.data_folder_out, final))
        except OSError as exc:
            raise ChannelError(f"Cannot add a message to {queue!r}") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)
            except ValueError:  # JSONDecodeError: the file was already taken off the queue
                logger.error("skipped a message of %r that could not be decoded", queue)


class Transport(filesystem.Transport):
    Channel = Channel
