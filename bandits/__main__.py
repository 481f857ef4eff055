"""``python -m bandits`` is the ``bandits`` command."""

import sys

from .cli import main

sys.exit(main())
