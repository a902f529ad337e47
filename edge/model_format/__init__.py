"""The TFLite flatbuffer: the only package that reads or writes the model file format.

Rule: :mod:`~edge.model_format.schema` is the one place that imports the generated TFLite schema
(shipped inside the ``ai-edge-litert`` wheel) and the one that checks the ``TFL3`` identifier and
finishes a flatbuffer; :mod:`~edge.model_format.writer` writes whole int8 models (export),
:mod:`~edge.model_format.editor` reads and replaces the final layer (personalisation) and
:mod:`~edge.model_format.metadata` reads and writes metadata entries. It imports only
:mod:`edge.core`; training and personalisation import it, the live loop never does.
"""
