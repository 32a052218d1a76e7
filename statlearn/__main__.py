"""``python -m statlearn``: the same command as the ``statlearn`` console script."""

import sys

from statlearn.cli import main

sys.exit(main())
