"""``python -m phr_share.cli``."""

import sys

from phr_share.cli import main

sys.exit(main())
