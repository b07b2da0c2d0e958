"""``python -m delve_bridge`` is ``gomap-dlv``."""

import sys

from .cli import main

sys.exit(main())
