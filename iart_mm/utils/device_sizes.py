"""Block sizes that depend on the device.

On CPU the blocked kernels of this package size their chunks so that the temporaries stay in cache; on an
accelerator a chunk only bounds memory, and small chunks would just multiply kernel launches.
"""
import torch


def for_device(sizes, device):
    """``sizes[type of device]`` (e.g. ``'cpu'``), else ``sizes['other']``."""
    return sizes.get(torch.device(device).type, sizes['other'])
