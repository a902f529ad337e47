"""Emojify Edge: facial expression to emoji on a Raspberry Pi.

Rule: the package imports on any machine: hardware (camera, display, delegates) and training
frameworks are imported lazily by the modules that need them. Each sub-package is one concern
and imports point one way (see docs/architecture.md and tests/test_architecture.py);
:mod:`edge.paths` is the one place that knows where files are.
"""

__version__ = "0.1.0"
