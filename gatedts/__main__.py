"""``python -m gatedts``: the same as the ``gatedts`` command."""

import sys

from .cli import main

sys.exit(main())
