"""The product's vocabulary and pure maths: no I/O, no hardware, no threads.

Rule: modules here import only the standard library, NumPy, OpenCV's array functions and msgspec,
and each other; every other package may import them. Types that cross stage boundaries
(:mod:`~edge.core.types`), the label order (:mod:`~edge.core.labels`), errors a person can act on
(:mod:`~edge.core.errors`), image conversions (:mod:`~edge.core.image`), the one preprocessing
function (:mod:`~edge.core.preprocess`), int8 quantisation (:mod:`~edge.core.quantization`), the
decision layer (:mod:`~edge.core.decision`, following faces with :mod:`~edge.core.face_tracks`),
the metrics of what was shown (:mod:`~edge.core.decision_metrics`), how well confidence matches
accuracy (:mod:`~edge.core.confidence`), bounded run statistics (:mod:`~edge.core.stats`) and the
lazy backend loader of the registries (:mod:`~edge.core.plugins`).
"""
