"""``python -m scenarios.fuzz``: see ``scenarios.fuzz.cli``."""

import sys

from scenarios.fuzz.cli import main

sys.exit(main())
