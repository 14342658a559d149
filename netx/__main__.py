"""``python -m netx``: the netx command line (see :mod:`netx.cli`)."""

import sys

from netx.cli import main

sys.exit(main())
