"""The workspace's data model, apart from any IO: run records, their fingerprint, how they are shown.

A *run* is one thing the workspace keeps: a batch scoring of one video (``batch``), a live series (``live``), an
analysis report (``report``), or an ROI set (``rois``). Its record says when and by whom it was made, from which
inputs (names and SHA-256), with which models and settings, how many frames, its status and its files.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

RUN_FORMAT = "mgs-live-run"
RUN_VERSION = 1
KINDS = ("batch", "live", "report", "rois", "model")
# statuses: what the record says, plus two the listing derives (interrupted: "running" but its process is gone;
# damaged: the folder no longer holds what the record lists)
RUNNING, DONE, FAILED, INTERRUPTED, RECORDING, DAMAGED = ("running", "done", "failed", "interrupted", "recording",
                                                         "damaged")


@dataclass(frozen=True)
class InputFile:
    name: str
    path: str = ""
    sha256: str = ""
    size_bytes: int = 0


@dataclass(frozen=True)
class RunRecord:
    id: str  # the run's folder name, unique in the workspace
    kind: str  # one of KINDS
    created_utc: str
    user: str
    status: str
    inputs: tuple[InputFile, ...] = ()
    models: dict = field(default_factory=dict)  # {"segmentation": name, "score": name, "seg_key", "score_key"}
    settings: dict = field(default_factory=dict)  # stride, max_frames, annotate, roi file name + SHA-256, ...
    rois: dict | None = None  # the ROI set as scored (rois_to_dict), or None
    frames: int = 0
    rows: int = 0
    files: dict = field(default_factory=dict)  # role (csv, parquet, provenance, annotated, ...) -> file in the folder
    message: str = ""
    fingerprint: str = ""  # same fingerprint = same inputs, models and settings (see :func:`fingerprint`)
    finished_utc: str = ""
    pid: int = 0  # the process writing it while running (to tell a running run from an interrupted one)
    host: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["inputs"] = [asdict(i) for i in self.inputs]
        return {"format": RUN_FORMAT, "version": RUN_VERSION, **d}

    @classmethod
    def from_dict(cls, d: dict) -> "RunRecord":
        """Raises ValueError (with the reason) for anything that is not a run record."""
        if not isinstance(d, dict) or d.get("format") != RUN_FORMAT:
            raise ValueError(f"not a run record (format {d.get('format') if isinstance(d, dict) else None!r})")
        try:
            inputs = tuple(InputFile(str(i["name"]), str(i.get("path", "")), str(i.get("sha256", "")),
                                     int(i.get("size_bytes", 0))) for i in d.get("inputs", []))
            rec = cls(id=str(d["id"]), kind=str(d["kind"]), created_utc=str(d["created_utc"]),
                      user=str(d.get("user", "")), status=str(d["status"]), inputs=inputs,
                      models=dict(d.get("models") or {}), settings=dict(d.get("settings") or {}),
                      rois=d.get("rois"), frames=int(d.get("frames") or 0), rows=int(d.get("rows") or 0),
                      files={str(k): str(v) for k, v in dict(d.get("files") or {}).items() if v},
                      message=str(d.get("message", "")), fingerprint=str(d.get("fingerprint", "")),
                      finished_utc=str(d.get("finished_utc", "")), pid=int(d.get("pid") or 0),
                      host=str(d.get("host", "")))
        except KeyError as exc:
            raise ValueError(f"missing {exc.args[0]!r}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"a field has the wrong type ({exc})") from None
        if rec.kind not in KINDS:
            raise ValueError(f"unknown kind {rec.kind!r}")
        return rec

    # ---- how people see it -------------------------------------------------------------------------------------
    @property
    def when(self) -> str:
        """``YYYY-MM-DD HH:MM:SS`` (UTC) of its creation."""
        return self.created_utc.replace("T", " ")[:19]

    @property
    def input_names(self) -> str:
        if self.kind == "live" and not self.inputs:
            return "webcam"
        return ", ".join(i.name for i in self.inputs) or "(no input)"

    @property
    def source_name(self) -> str:
        """The name of its rows in analysis tables: readable and unique in the workspace."""
        return f"{self.input_names} · {self.kind} {self.when}"

    def settings_text(self) -> str:
        s = self.settings
        parts = []
        if s.get("stride"):
            parts.append(f"stride {s['stride']}")
        if s.get("max_frames"):
            parts.append(f"first {s['max_frames']} frames")
        if s.get("roi_file"):
            parts.append(f"ROIs {s['roi_file']}")
        elif s.get("whole_frame"):
            parts.append("whole frame as one ROI")
        if s.get("speed"):
            parts.append(str(s["speed"]))
        return ", ".join(parts)

    def row(self, status: str | None = None) -> dict:
        """One line of a run list (what the pages show)."""
        return {"date (UTC)": self.when, "kind": self.kind, "inputs": self.input_names,
                "settings": self.settings_text(), "models": self.models.get("score", ""), "frames": self.frames,
                "status": status or self.status, "by": self.user, "run": self.id}


def fingerprint(video_sha256: str, rois: dict, seg_key: str, score_key: str, stride: int, max_frames: int | None,
                annotate: bool = False) -> str:
    """Identity of a scoring job: two runs with the same fingerprint would produce the same results."""
    blob = json.dumps({"video": video_sha256, "rois": rois, "seg": seg_key, "score": score_key, "stride": stride,
                       "max_frames": max_frames, "annotate": bool(annotate)}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]
