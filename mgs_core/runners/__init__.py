"""Runners: the one inference seam. ``load_runner`` picks the in-process or the remote (ZeroMQ) runner."""
from __future__ import annotations

from mgs_core.runners.base import Runner


def load_runner(server: str | None = None, seg=None, score=None, device: str = "auto", **kw) -> Runner:
    """A ready runner.

    ``server`` None: a :class:`~mgs_core.runners.local.LocalRunner` over the checkpoints ``seg`` / ``score``
    (default: the shipped weights in ``mgs_core/weights``). With a server address (e.g. ``tcp://host:5555``): the
    ZeroMQ client runner; ``kw`` is passed to it (e.g. timeouts, keys).
    """
    if server:
        from mgs_core.runners.zmq_client import ZmqRunner

        return ZmqRunner(server, **kw)
    from mgs_core.runners.local import LocalRunner

    return LocalRunner.from_checkpoints(seg=seg, score=score, device=device, **kw)


__all__ = ["Runner", "load_runner"]
