"""``python -m mallkit`` runs the command line (see :mod:`mallkit.cli`)."""

from mallkit.cli import main

raise SystemExit(main())
