"""The live loop and the one function that assembles it from a config.

Rule: :mod:`~edge.pipeline.assembly` is the only place that turns a
:class:`edge.config.schema.Config` into a running product (source, detector, classifier,
decision layer, sinks); ``emojify run``, the benchmark and the soak all call
:func:`~edge.pipeline.assembly.build_pipeline` and :meth:`~edge.pipeline.loop.Pipeline.run`.
:mod:`~edge.pipeline.analyzer` finds and classifies faces in one frame; :mod:`~edge.pipeline.loop`
runs source -> analyzer -> decision layer -> sinks with bounded statistics. This package imports every
stage package; none of them imports it.
"""
