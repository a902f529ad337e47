"""Measuring the program that ships: the benchmark and the soak.

Rule: a harness never builds its own pipeline. It builds the product with
:func:`edge.pipeline.assembly.build_pipeline`, runs it with
:meth:`edge.pipeline.loop.Pipeline.run` and watches it through an
:class:`edge.pipeline.loop.Observer`; only the source (a replayed clip) is its own.
``scripts/benchmark.py`` (``--display kiosk``: :mod:`~edge.harness.kiosk_bench`) and
``scripts/soak.py`` are the command lines.

The camera-like test clips the decision layer is tuned and measured on are made here too
(:mod:`~edge.harness.live_scenes`, :mod:`~edge.harness.live_clips`, :mod:`~edge.harness.live_truth`,
``scripts/make_live_clips.py``); they are run through ``emojify run`` like any video file.
The robustness checks (:mod:`~edge.harness.face_scenes`, :mod:`~edge.harness.robustness`,
``scripts/robustness.py``) score single frames of labelled faces, so they run the loop's face
stage alone, as :func:`edge.pipeline.assembly.build_analyzer` builds it for ``emojify run``.
"""
