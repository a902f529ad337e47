"""Frame sources: cameras, video files, image folders and the demo, behind one protocol.

Rule: one module per backend, each a class with ``from_spec(spec, options)``;
:data:`edge.sources.registry.SPEC_FORMS` lists the spec forms and imports only the chosen
backend (:mod:`~edge.sources.auto` picks one for ``auto``). Camera libraries (picamera2) are
imported inside the backend that needs them. Sources hand out :class:`edge.core.types.Frame`
objects and raise :class:`~edge.sources.base.CameraLostError` when a live camera fails; they
import :mod:`edge.core` only, and nothing here knows about faces, models or sinks.
"""
