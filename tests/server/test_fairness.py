"""FairQueue bookkeeping: budgets, turns, chunking, assembly, failure and shutdown (no sockets)."""
import numpy as np

from mgs_core.server.fairness import FairQueue, Job
from mgs_core.server.protocol import Request


def job(client, n, rid="r", value=0):
    crops = np.full((n, 2, 2, 3), value, np.uint8)
    crops.setflags(write=False)
    return Job(client, [client], Request("infer", rid, crops))


def clients_of(batch):
    return [(p.job.client, p.start, p.stop) for p in batch.parts]


def test_budget_per_client_and_overall():
    q = FairQueue(max_batch=16, max_pending_crops=20, max_client_crops=8)
    assert q.admit(job(b"a", 8)) is None
    assert "per client" in q.admit(job(b"a", 1))
    assert q.admit(job(b"b", 8)) is None
    assert "already waiting" in q.admit(job(b"c", 8))  # 16 + 8 > 20 overall
    assert q.pending_crops == 16 and q.held(b"a") == 8


def test_a_flooder_gets_short_chunks_and_a_newcomer_goes_first():
    q = FairQueue(max_batch=16, max_pending_crops=1000, max_client_crops=128)
    q.admit(job(b"flood", 64, "f1"))
    q.admit(job(b"flood", 64, "f2"))
    q.admit(job(b"good", 4, "g1"))  # a client with nothing waiting goes to the front
    first = q.next_batch()
    assert clients_of(first) == [(b"good", 0, 4)]  # alone: the flooder is not light
    second = q.next_batch()
    assert clients_of(second) == [(b"flood", 0, 2)]  # quantum 4 (smallest recent request), halved: others are about
    assert q.complete(first, list("abcd"))[0].results == list("abcd")
    q.admit(job(b"good", 4, "g2"))
    assert clients_of(q.next_batch()) == [(b"good", 0, 4)]  # never waits behind more than the chunk in progress
    assert clients_of(q.next_batch()) == [(b"flood", 2, 4)]


def test_light_clients_share_a_call_and_a_lone_client_gets_full_calls():
    q = FairQueue(max_batch=8, max_pending_crops=1000, max_client_crops=64, clock=lambda: 0.0)
    for c in (b"a", b"b", b"c"):
        q.admit(job(c, 3))
    batch = q.next_batch()
    assert [c for c, _, _ in clients_of(batch)] == [b"c", b"b"] and len(batch.crops) == 6  # 3 + 3 <= 8 < 9
    alone = FairQueue(max_batch=8, max_pending_crops=1000, max_client_crops=64)
    alone.admit(job(b"x", 20))
    sizes = []
    while (b := alone.next_batch()) is not None:
        sizes.append(len(b.crops))
    assert sizes == [8, 8, 4]


def test_a_split_request_is_answered_once_with_all_results_in_order():
    q = FairQueue(max_batch=4, max_pending_crops=1000, max_client_crops=64)
    q.admit(job(b"x", 10, value=7))
    results, done = [], []
    while (b := q.next_batch()) is not None:
        assert (b.crops == 7).all()
        part = [f"r{len(results) + i}" for i in range(len(b.crops))]
        results += part
        done += q.complete(b, part)
    assert len(done) == 1 and done[0].results == [f"r{i}" for i in range(10)] and q.held(b"x") == 0


def test_a_failed_call_fails_each_job_once_and_drops_its_remaining_parts():
    q = FairQueue(max_batch=4, max_pending_crops=1000, max_client_crops=64)
    q.admit(job(b"x", 10))
    b = q.next_batch()
    failed = q.fail(b)
    assert len(failed) == 1 and q.next_batch() is None and q.pending_crops == 0 and q.held(b"x") == 0
    q.admit(job(b"y", 3))
    q.admit(job(b"z", 3))
    assert len(q.drain()) == 2 and q.pending_crops == 0 and q.next_batch() is None


def test_the_model_is_kept_free_briefly_for_a_light_client_that_comes_right_back():
    now = [0.0]
    q = FairQueue(max_batch=16, max_pending_crops=1000, max_client_crops=128, clock=lambda: now[0])
    q.admit(job(b"flood", 64))
    for cycle in range(3):
        q.admit(job(b"good", 4))
        b = q.next_batch()
        assert clients_of(b)[0][0] == b"good"
        q.complete(b, list("abcd"))
        now[0] += 0.010  # the good client thinks 10 ms
    assert q.next_batch() is None and q.hold_until is not None  # flood waits: good is about to come back
    q.admit(job(b"good", 4))
    assert clients_of(q.next_batch())[0][0] == b"good"
    now[0] += 1.0  # good answered long ago (not yet completed this one): the flooder is served
    assert clients_of(q.next_batch())[0][0] == b"flood" and q.hold_until is None
