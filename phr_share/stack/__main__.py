"""``python -m phr_share.stack up|down|status``: what deploy/stack runs."""

import sys

from phr_share.cli import main

sys.exit(main(["stack", *sys.argv[1:]]))
