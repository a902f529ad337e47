"""``python -m edge`` is the ``emojify`` command."""

from edge.cli import main

raise SystemExit(main())
