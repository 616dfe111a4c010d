"""Errors the user can act on.

Everything a user can get wrong (a corrupt video, a wrong file type, an ROI outside the frame, a malformed label file,
an unreachable server) raises a subclass of :class:`MGSError` with a message that names the file, row or ROI.
The CLI prints such errors as one line and exits non-zero; the app shows them in the page.
"""


class MGSError(Exception):
    """Base class for errors caused by input, configuration or environment (not by a bug)."""


class InputError(MGSError):
    """A file or argument is missing, unreadable or malformed."""


class VideoError(InputError):
    """A video cannot be opened or decoded."""


class RoiError(InputError):
    """An ROI or ROI file is invalid (outside the frame, zero size, wrong frame size, bad JSON)."""


class DatasetError(InputError):
    """A labelled dataset folder is malformed (missing files, bad columns, scores off-scale)."""


class CheckpointError(InputError):
    """A checkpoint is of the wrong kind or format version, or cannot be read."""


class ServerError(MGSError):
    """The remote inference server is unreachable, refused us, or answered with an error."""
