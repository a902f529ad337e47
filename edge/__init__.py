"""Emojify Edge: facial expression to emoji on a Raspberry Pi.

The package imports on any machine: hardware (camera, display, delegates) and training
frameworks are imported lazily by the modules that need them.
"""

__version__ = "0.1.0"
