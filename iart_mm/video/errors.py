"""Exceptions raised by the video pipeline; each carries a one-line message naming the problem."""


class VideoError(Exception):
    """Base class: a video input/output problem the user can fix (bad path, unreadable file, ...)."""


class VideoInputError(VideoError):
    """The input is missing, unreadable, not a video, or an empty frame folder."""


class VideoOutputError(VideoError):
    """The output path cannot be used (exists without overwrite, unknown format, unsupported codec)."""
