"""iart_mm's compiled op (optional): the fused CPU window attention, see :mod:`.window_attention_cpu`."""
from .window_attention_cpu import (SUPPORTED_HEAD_DIMS, cpu_window_attention_enabled, cpu_window_attention_status,
                                   fused_window_attention_supports, window_attention_into)

__all__ = [
    'SUPPORTED_HEAD_DIMS', 'cpu_window_attention_enabled', 'cpu_window_attention_status',
    'fused_window_attention_supports', 'window_attention_into'
]
