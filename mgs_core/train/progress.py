"""One-line training progress on stderr: epoch, loss, a validation metric and the ETA."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EpochStats:
    epoch: int  # 1-based
    epochs: int
    loss: float
    val_name: str = ""
    val_value: float = float("nan")
    seconds: float = 0.0
    eta_s: float = 0.0

    def line(self) -> str:
        val = f" {self.val_name} {self.val_value:.4f}" if self.val_name else ""
        return (f"epoch {self.epoch}/{self.epochs} loss {self.loss:.4f}{val} "
                f"({self.seconds:.1f} s, ETA {self.eta_s / 60:.1f} min)")


@dataclass
class EtaClock:
    epochs: int
    start_epoch: int = 0
    t0: float = field(default_factory=time.perf_counter)
    last: float = field(default_factory=time.perf_counter)

    def tick(self, epoch: int) -> tuple[float, float]:
        """(seconds of this epoch, estimated seconds left) after finishing 1-based ``epoch``."""
        now = time.perf_counter()
        took, self.last = now - self.last, now
        done = epoch - self.start_epoch
        eta = (now - self.t0) / max(done, 1) * (self.epochs - epoch)
        return took, eta

    def end_epoch(self, epoch: int, losses, history: list, progress=None, val_name: str = "",
                  val_value: float = float("nan")) -> EpochStats:
        """The stats of finished 1-based ``epoch`` (mean of ``losses``, NaN when none), appended to ``history`` and
        given to ``progress`` when set."""
        took, eta = self.tick(epoch)
        stats = EpochStats(epoch, self.epochs, float(sum(losses) / len(losses)) if len(losses) else float("nan"),
                           val_name, val_value, took, eta)
        history.append(stats)
        if progress:
            progress(stats)
        return stats


def print_progress(stats: EpochStats) -> None:
    print(stats.line(), file=sys.stderr, flush=True)
