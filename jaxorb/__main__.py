"""``python -m jaxorb``: the command line (:mod:`jaxorb.cli`)."""

import sys

from .cli import main

sys.exit(main())
