"""Exporting a trained model's dense network (backbone, neck, heads) to ONNX or TorchScript with a
dynamic time axis; decoding its outputs stays in Python (:func:`detect_from_outputs`).

See docs/inference.md ("Export").
"""

from .dense import DenseNetwork, length_multiple, pad_features
from .export import TOLERANCE, export_model, metadata_path
from .formats import FORMATS
from .postprocess import detect_from_outputs, load_metadata

__all__ = [
    "DenseNetwork",
    "FORMATS",
    "TOLERANCE",
    "detect_from_outputs",
    "export_model",
    "length_multiple",
    "load_metadata",
    "metadata_path",
    "pad_features",
]
