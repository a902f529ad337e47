"""Face detectors: grey frame in, face boxes in frame pixels out, largest first.

Rule: one module per backend (:mod:`~edge.faces.blazeface`, :mod:`~edge.faces.haar`), each a
class with ``from_settings``; :data:`edge.faces.registry.DETECTORS` names them (the config's
valid ``faces.detector`` values come from it) and imports only the chosen one. Backends import
:mod:`edge.core`, :mod:`edge.paths` and :mod:`edge.inference.runtime` (BlazeFace runs on the
TFLite runtime); nothing here imports the pipeline, sinks or config.
"""
