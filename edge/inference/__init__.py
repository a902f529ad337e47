"""Running the expression model: the TFLite runtime, the Edge TPU delegate and the classifier.

Rule: the runtime packages (ai-edge-litert, tflite-runtime) and the Edge TPU library are
imported only in :mod:`~edge.inference.runtime`, on first use; an interpreter never leaves
:mod:`~edge.inference.classifier`, which speaks pixels in and probabilities out. It imports
:mod:`edge.core` and :mod:`edge.model_format.schema` (the file identifier) only. The valid
delegate names are :data:`~edge.inference.runtime.DELEGATES`.
"""
