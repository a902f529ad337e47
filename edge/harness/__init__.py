"""Measuring the program that ships: the benchmark and the soak.

Rule: a harness never builds its own pipeline. It builds the product with
:func:`edge.pipeline.assembly.build_pipeline`, runs it with
:meth:`edge.pipeline.loop.Pipeline.run` and watches it through an
:class:`edge.pipeline.loop.Observer`; only the source (a replayed clip) is its own.
``scripts/benchmark.py`` and ``scripts/soak.py`` are the command lines.
"""
