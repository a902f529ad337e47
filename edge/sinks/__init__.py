"""Sinks: where each :class:`edge.core.types.FrameReport` goes (screen, JSON log, MQTT...).

Rule: one module per sink; :data:`edge.sinks.registry.SINKS` builds the ones a config asks for
(headless is just a different list of sinks: nothing in the loop branches on it). Every sink gets
a :class:`edge.core.types.RunInfo` at open and the frozen reports afterwards; the per-interval
summary is computed once by :class:`edge.sinks.summary.SummaryCounter` and shared. Sinks import
:mod:`edge.core`, :mod:`edge.config.schema`, :mod:`edge.display` (the kiosk) and
:mod:`edge.telemetry` (MQTT); never the pipeline, sources or the model.
"""
