"""Personalisation: "teach it your face", on the Pi, without a training framework.

Rule: the maths (:mod:`~edge.personalize.fit`, :mod:`~edge.personalize.splits`) is pure NumPy;
:mod:`~edge.personalize.runner` is the ``emojify personalize`` run (options in, report out) built
on :mod:`~edge.personalize.captures` (the faces it reads) and :mod:`~edge.personalize.report`;
:mod:`~edge.personalize.capture` is ``emojify capture`` (the only code that writes face images)
with :mod:`~edge.personalize.capture_ui` as its kiosk screen; :mod:`~edge.personalize.registry`
says which model is active. It imports :mod:`edge.core`, :mod:`edge.data`, :mod:`edge.faces`,
:mod:`edge.inference`, :mod:`edge.model_format`, :mod:`edge.display`, :mod:`edge.sources` (the
source protocol) and :mod:`edge.system.files`; the assembly imports only the registry, and
the commands live in :mod:`edge.cli.personalize`.
"""
