"""Job slots: a bounded number at once, a first-come queue, and a dead holder never keeps its slot."""
import subprocess
import sys
import threading

import pytest

from mgs_core.access.slots import JobSlots


def test_limit_and_release(tmp_path):
    slots = JobSlots(tmp_path, "scoring", 2)
    a = slots.try_acquire({"user": "ada", "what": "batch"})
    b = JobSlots(tmp_path, "scoring", 2).try_acquire({"user": "olly", "what": "batch"})  # another session
    assert a and b
    assert slots.try_acquire({"user": "vera"}) is None
    assert sorted(h["user"] for h in slots.view().running) == ["ada", "olly"]
    a.release()
    c = slots.try_acquire({"user": "vera"})
    assert c is not None
    assert sorted(h["user"] for h in slots.view().running) == ["olly", "vera"]
    b.release()
    c.release()
    assert slots.view().running == ()
    with pytest.raises(ValueError):
        JobSlots(tmp_path, "x", 0)


def test_waiter_is_queued_visibly_and_gets_the_slot_when_released(tmp_path):
    slots = JobSlots(tmp_path, "training", 1)
    held = slots.try_acquire({"user": "ada", "what": "train"})
    queued = threading.Event()
    seen, got = [], []

    def waiting(ahead, view):
        seen.append((ahead, [h["user"] for h in view.running], [h["user"] for h in view.waiting]))
        queued.set()

    t = threading.Thread(target=lambda: got.append(slots.acquire({"user": "olly", "what": "train"}, waiting,
                                                                 poll_s=0.02)))
    t.start()
    assert queued.wait(60)
    assert seen[0] == (0, ["ada"], ["olly"])
    held.release()
    t.join(60)
    assert got and got[0] is not None
    assert [h["user"] for h in slots.view().running] == ["olly"] and slots.view().waiting == ()
    got[0].release()


def test_cancelled_waiter_leaves_the_queue(tmp_path):
    slots = JobSlots(tmp_path, "training", 1)
    held = slots.try_acquire({"user": "ada"})
    assert slots.acquire({"user": "olly"}, cancelled=lambda: True) is None
    assert slots.view().waiting == ()
    held.release()


def test_a_crashed_holder_frees_its_slot(tmp_path):
    code = ("import sys; from mgs_core.access.slots import JobSlots; "
            f"s = JobSlots({str(tmp_path)!r}, 'training', 1).try_acquire({{'user': 'gone'}}); "
            "print('held' if s else 'busy', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        slots = JobSlots(tmp_path, "training", 1)
        assert slots.try_acquire({"user": "olly"}) is None
        assert [h["user"] for h in slots.view().running] == ["gone"]
    finally:
        proc.kill()
        proc.wait()
    slot = slots.try_acquire({"user": "olly"})
    assert slot is not None
    slot.release()
