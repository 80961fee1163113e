"""The exceptions of the checkpoint code; each message is one line that names the file and the keys involved."""


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the target architecture; the message lists the keys involved."""


class CheckpointReadError(CheckpointMismatchError):
    """The file cannot be read as a checkpoint (not one, truncated, or holds objects other than weights)."""
