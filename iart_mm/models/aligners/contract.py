"""Input checks shared by every aligner of the ``aligner(feat_neighbor, feat_current, flow)`` contract."""


def check_aligner_inputs(name, feat_neighbor, feat_current, flow, dim=None):
    """Raise a one-line ``ValueError`` unless the features are equal (n, c, h, w) and flow is (n, 2, h, w).

    Args:
        name (str): the aligner's name, used in the message.
        dim (int | None): the channel count the aligner was built for, if it has one.
    """
    if feat_neighbor.dim() != 4 or feat_neighbor.shape != feat_current.shape:
        raise ValueError(f'{name}: feat_neighbor and feat_current must be equal (n, c, h, w), got '
                         f'{tuple(feat_neighbor.shape)} and {tuple(feat_current.shape)}')
    n, c, h, w = feat_current.shape
    if dim is not None and c != dim:
        raise ValueError(f'{name}: built for dim={dim} channels, got features with {c}')
    if tuple(flow.shape) != (n, 2, h, w):
        raise ValueError(f'{name}: flow must be (n, 2, h, w) = {(n, 2, h, w)}, got {tuple(flow.shape)}')


def positive_int(name, arg, value):
    """Raise a one-line ``ValueError`` unless ``value`` is a positive int."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f'{name}: {arg} must be a positive int, got {value!r}')
