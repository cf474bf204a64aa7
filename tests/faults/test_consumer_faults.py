"""Invariant 1 under faults: N clicks queued -> exactly N counted, whatever happens."""

from __future__ import annotations

import json
import subprocess
import sys

from linkpulse.core.clicks import encode_event, make_event
from tests.faults.conftest import Embedded
from tests.support import linkpulse_env, wait_for
from tests.unrecordable import unrecordable


def test_consumer_killed_mid_batch_and_restarted_counts_exactly_n(embedded: Embedded) -> None:
    n = 6000
    embedded.enqueue_clicks("crash01", n)
    for attempt in range(5):
        worker = embedded.worker(f"doomed-{attempt}", visibility_timeout=1,
                                 consumer_batch_size=500)
        start = embedded.total("crash01")
        wait_for(lambda s=start: embedded.total("crash01") > s + 50, timeout=30,  # type: ignore[misc]
                 interval=0.005, message="the consumer to make progress")
        worker.kill()
        in_flight = embedded.queue.approximate_depth()[1]
        if in_flight:  # killed between receive and delete: a batch was left half-done
            break
    assert in_flight > 0, "never caught the consumer mid-batch"
    assert embedded.total("crash01") < n

    survivor = embedded.worker("survivor", visibility_timeout=1)
    wait_for(lambda: embedded.total("crash01") == n, timeout=60, message=f"{n} clicks")
    wait_for(lambda: embedded.queue.approximate_depth() == (0, 0), timeout=30,
             message="queue drained")
    assert survivor.stop() == 0
    assert embedded.total("crash01") == n


def test_poison_message_is_dead_lettered_while_good_messages_flow(embedded: Embedded) -> None:
    embedded.queue.send("this is not a click event")
    embedded.enqueue_clicks("flow001", 200)
    worker = embedded.worker(visibility_timeout=1.5)
    wait_for(lambda: embedded.total("flow001") == 200, timeout=30, message="good clicks")
    assert embedded.queue.dlq_depth() == 0  # the poison message did not hold anything up
    [dead] = wait_for(embedded.queue.dlq_list, timeout=30, message="poison in the DLQ")
    assert dead.body == "this is not a click event"
    assert dead.receive_count == 3
    assert embedded.queue.approximate_depth() == (0, 0)
    assert worker.stop() == 0
    assert embedded.total("flow001") == 200


def test_dlq_cli_lists_and_redrives_dead_letters(embedded: Embedded) -> None:
    embedded.queue.send("garbage")
    for _ in range(3):
        wait_for(lambda: embedded.queue.receive(1, visibility_timeout=0.01), timeout=10)
    wait_for(lambda: not embedded.queue.receive(1) and embedded.queue.dlq_depth() == 1,
             timeout=10, message="dead letter")
    env = linkpulse_env(embedded.db)
    listed = subprocess.run([sys.executable, "-m", "linkpulse.cli", "dlq", "list"], env=env,
                            capture_output=True, text=True, check=True)
    [entry] = json.loads(listed.stdout)
    assert entry["body"] == "garbage"
    assert entry["receive_count"] == 3
    redriven = subprocess.run([sys.executable, "-m", "linkpulse.cli", "dlq", "redrive"],
                              env=env, capture_output=True, text=True, check=True)
    assert json.loads(redriven.stdout) == {"redriven": 1}
    assert embedded.queue.dlq_depth() == 0
    assert embedded.queue.approximate_depth()[0] == 1


def test_two_consumers_at_once_count_exactly_n(embedded: Embedded) -> None:
    n = 5000
    embedded.enqueue_clicks("twice01", n)
    # small batches, so that neither takes the whole queue in one receive
    workers = [embedded.worker(f"w{i}", consumer_batch_size=100) for i in range(2)]
    wait_for(lambda: embedded.total("twice01") == n, timeout=60, message=f"{n} clicks")
    wait_for(lambda: embedded.queue.approximate_depth() == (0, 0), timeout=30,
             message="queue drained")
    for w in workers:
        assert w.stop() == 0
    batches = [int(w.log().rsplit("stopped: ", 1)[1].split()[0]) for w in workers]
    assert all(b > 0 for b in batches), f"both consumers should have worked: {batches}"
    assert embedded.total("twice01") == n


def test_an_unrecordable_message_is_dead_lettered_alone(embedded: Embedded) -> None:
    """GIVEN one message that decodes but cannot be recorded, sent among 300 good ones,
    WHEN the consumer takes them in batches, THEN every good click is counted and only
    the bad message reaches the dead-letter queue."""
    embedded.enqueue_clicks("mixed01", 150)
    embedded.queue.send(unrecordable("mixed01"))
    embedded.queue.send_batch([encode_event(make_event("mixed01", "Mozilla/5.0", "", ""))
                               for _ in range(150)])
    worker = embedded.worker(visibility_timeout=1)
    wait_for(lambda: embedded.total("mixed01") == 300, timeout=30, message="300 good clicks")
    [dead] = wait_for(embedded.queue.dlq_list, timeout=30, message="the bad one dead-lettered")
    assert dead.body == unrecordable("mixed01")
    wait_for(lambda: embedded.queue.approximate_depth() == (0, 0), timeout=30,
             message="queue drained")
    assert worker.stop() == 0
    assert embedded.total("mixed01") == 300
    assert embedded.queue.dlq_depth() == 1
