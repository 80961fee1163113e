"""Exceptions raised by the video pipeline; each carries a one-line message naming the problem."""


class VideoError(Exception):
    """Base class: a video input/output problem the user can fix (bad path, unreadable file, ...)."""


class VideoInputError(VideoError):
    """The input is missing, unreadable, not a video, or an empty frame folder."""


class VideoIncompleteError(VideoInputError):
    """The input ended early or failed to decode part-way (truncated or corrupt file).

    ``frames_read``: frames decoded before it stopped; ``partial``: where their output was kept (None when
    nothing was written).
    """

    def __init__(self, message, frames_read=0, partial=None):
        super().__init__(message)
        self.frames_read = frames_read
        self.partial = partial


class VideoOutputError(VideoError):
    """The output path cannot be used (exists without overwrite, unknown format, unsupported codec)."""


class VideoInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run. ``frames_written`` frames were finished; ``path`` is the playable partial output
    that holds exactly them, or None when nothing was kept."""

    def __init__(self, frames_written=0, path=None):
        super().__init__()
        self.frames_written = frames_written
        self.path = path
