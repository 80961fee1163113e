"""Deployment: ONNX export of the VSR generators (traceable stage modules composed with Scan) and the
ONNX Runtime backend. Imported by ``iart_mm.apis`` on demand (onnx / onnxruntime are optional)."""
