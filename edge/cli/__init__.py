"""The ``emojify`` command: one module per command group.

Rule: :mod:`~edge.cli.main` builds the parser and turns errors a person can fix into one line;
:mod:`~edge.cli.run` (``run``, ``check-config``), :mod:`~edge.cli.doctor` (``doctor``,
``service status``), :mod:`~edge.cli.personalize` (``capture``, ``personalize``, ``model``) and
:mod:`~edge.cli.fleet` (``fleet``) and :mod:`~edge.cli.replay` (``replay``) each add their sub-commands with ``register``. The only
package that prints to the terminal; nothing imports it.
"""

from edge.cli.main import main

__all__ = ["main"]
