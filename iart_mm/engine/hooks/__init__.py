"""Runner hooks of iart_mm (registered in MMagic's HOOKS)."""
from .selectable_ema_hook import SelectableEMAHook
from .test_progress_hook import TestProgressHook
from .training_trace_hook import TrainingTraceHook, state_digest
from .visualization_hook import TestSafeVisualizationHook

__all__ = ['SelectableEMAHook', 'TestProgressHook', 'TestSafeVisualizationHook', 'TrainingTraceHook', 'state_digest']
