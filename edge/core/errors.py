"""Errors a person can act on. Each message says what is wrong and what to do.

The CLI prints these as one line (no traceback) and exits non-zero.
"""


class EmojifyError(Exception):
    """Base class: the message is meant for the person running the product."""


class ConfigError(EmojifyError):
    """A bad configuration file or option."""


class ModelError(EmojifyError):
    """The model file is missing, broken or does not fit the labels."""


class RuntimeMissingError(EmojifyError):
    """No TFLite runtime is installed."""


class DelegateError(EmojifyError):
    """The Edge TPU was asked for and cannot be used."""


class SourceError(EmojifyError):
    """The camera or video source cannot be opened.

    Args:
        message: What is wrong and what to do.
        fault: For a camera, why, as a key of ``edge.sources.base.CAMERA_FAULTS`` (``no_device``,
            ``permission``, ``not_installed``...); ``None`` for files.
    """

    def __init__(self, message: str, fault: str | None = None) -> None:
        super().__init__(message)
        self.fault = fault


class DisplayError(EmojifyError):
    """The display was asked for and cannot be opened."""
