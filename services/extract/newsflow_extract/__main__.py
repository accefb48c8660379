import sys

from newsflow.cli import main

raise SystemExit(main(["extract", *sys.argv[1:]]))
