"""``python -m pullcast ...`` runs the command line (see :mod:`pullcast.cli`)."""

from __future__ import annotations

from pullcast.cli import main

raise SystemExit(main())
