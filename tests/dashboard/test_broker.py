"""The embedded broker (no Redis) never hands a worker half a message (kombu #1551): messages
written while a consumer reads arrive whole, every one of them."""

import base64
import json
import threading
from queue import Empty

import kombu

from dashboard import broker

TRANSPORT = "dashboard.broker:Transport"
MESSAGES = 400
PADDING = "x" * 200_000  # a large body widens the window in which a file is half-written


def _connection(folder, transport):
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "processed_folder": str(folder.parent / "processed"),
        "control_folder": str(folder.parent / "control"),
        "store_processed": False,
    }
    return kombu.Connection("filesystem://", transport=transport, transport_options=options)


def _exchange_messages(tmp_path, transport):
    folder = tmp_path / "queue"
    folder.mkdir()
    received, failures = [], []

    def produce():
        with _connection(folder, transport) as connection:
            queue = connection.SimpleQueue("soak")
            for n in range(MESSAGES):
                queue.put({"n": n, "padding": PADDING})

    def consume():
        with _connection(folder, transport) as connection:
            queue = connection.SimpleQueue("soak")
            while len(received) + len(failures) < MESSAGES:
                try:
                    message = queue.get(block=True, timeout=20)
                except queue.Empty:
                    return
                except Exception as exc:  # what ended the embedded worker
                    failures.append(type(exc).__name__)
                    continue
                received.append(message.payload["n"])
                message.ack()

    def recording_a_death(work):
        def run():
            try:
                work()
            except Exception as exc:  # the thread died (declaring its queue, say)
                failures.append(f"{work.__name__}: {exc!r}")

        return run

    threads = [threading.Thread(target=recording_a_death(work)) for work in (produce, consume)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return received, failures


def test_every_message_written_while_a_worker_reads_arrives_whole(tmp_path):
    received, failures = _exchange_messages(tmp_path, TRANSPORT)

    assert failures == []
    assert sorted(received) == list(range(MESSAGES))


def test_processes_declaring_the_same_queue_at_once_all_start_and_share_one_table(tmp_path):
    """Starting web, worker and beat declare the queue together; with kombu's own transport
    one of them read the table file its creator had not written yet and died."""
    folder = tmp_path / "queue"
    folder.mkdir()
    died, start = [], threading.Barrier(8)

    def declare(n):
        try:
            with _connection(folder, TRANSPORT) as connection:
                connection.default_channel.exchange_declare("shared", "direct")
                start.wait()
                for round_ in range(25):
                    connection.default_channel.queue_declare(f"q{n}-{round_}")
                    connection.default_channel.queue_bind(f"q{n}-{round_}", "shared", f"k{n}")
        except Exception as exc:
            died.append(repr(exc))

    threads = [threading.Thread(target=declare, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    table = json.loads((tmp_path / "control" / "shared.exchange").read_text())
    assert died == []
    assert len(table) == len({tuple(binding) for binding in table}) == 8 * 25


def test_a_message_published_while_another_thread_still_writes_its_binding_is_delivered(
    tmp_path, monkeypatch
):
    """kombu records a binding for the whole process before writing it: a second thread
    publishing in that moment found no queue on disk and the message was silently dropped."""
    folder = tmp_path / "queue"
    folder.mkdir()
    declaring = _connection(folder, TRANSPORT)
    publishing = _connection(folder, TRANSPORT)
    write = broker._write_whole

    def publish_while_the_binding_is_written(path, payload):
        if path.endswith(".exchange"):
            channel = publishing.default_channel
            channel.basic_publish(channel.prepare_message("hello"), "handover", "handover")
        write(path, payload)

    monkeypatch.setattr(broker, "_write_whole", publish_while_the_binding_is_written)
    channel = declaring.default_channel
    channel.exchange_declare("handover", "direct")
    channel.queue_declare("handover")
    channel.queue_bind("handover", "handover", "handover")

    assert base64.b64decode(channel._get("handover")["body"]) == b"hello"
    declaring.release()
    publishing.release()


def test_a_worker_looking_while_a_message_is_written_finds_nothing_rather_than_half(
    tmp_path, monkeypatch
):
    """The moment kombu's own transport exposes: the file exists, its body is not written yet
    (kombu's filesystem transport hands the worker JSONDecodeError here, checked by hand)."""
    folder = tmp_path / "queue"
    folder.mkdir()
    connection = _connection(folder, TRANSPORT)
    channel = connection.default_channel
    looked = []
    encode = broker.dumps

    def encode_while_a_worker_looks(payload):
        try:
            looked.append(channel._get("soak"))
        except Empty:
            looked.append("nothing yet")
        return encode(payload)

    monkeypatch.setattr(broker, "dumps", encode_while_a_worker_looks)
    channel._put("soak", {"n": 1})

    assert looked == ["nothing yet"]
    assert channel._get("soak") == {"n": 1}
    connection.release()


def test_a_message_that_cannot_be_decoded_is_skipped_not_fatal(tmp_path, caplog):
    folder = tmp_path / "queue"
    folder.mkdir()
    # Left by a crashed producer; named to sort before any message kombu names (by clock).
    (folder / "0_broken.soak.msg").write_text('{"half": ')
    connection = _connection(folder, TRANSPORT)
    channel = connection.default_channel
    channel._put("soak", {"n": 2})

    assert channel._get("soak") == {"n": 2}
    assert "could not be decoded" in caplog.text
    connection.release()
