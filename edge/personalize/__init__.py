"""Personalisation: "teach it your face", on the Pi, without a training framework.

* :mod:`edge.personalize.capture` — ``emojify capture``: consent, then guided face crops per
  emotion into ``<state>/dataset/<person>/<emotion>/`` (the only code that writes face images);
  :mod:`edge.personalize.capture_ui` is its kiosk screen.
* :mod:`edge.personalize.head` — ``emojify personalize``: refit the model's last layer on the
  captures with NumPy, anchored at the shipped weights, and measure before/after.
* :mod:`edge.model_format.editor` — read and replace that layer in the int8 ``.tflite``.
* :mod:`edge.personalize.registry` — which model is active (``emojify model list|use|rollback``)
  and :func:`active_model_path` for the app.
* :mod:`edge.cli.personalize` — :func:`register_commands` for ``edge.cli``.
"""

from edge.personalize.registry import active_model_path

__all__ = ["active_model_path"]
