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
    """The camera or video source cannot be opened."""


class DisplayError(EmojifyError):
    """The display was asked for and cannot be opened."""
