import sys

from newsflow.cli import main

raise SystemExit(main(["ingest", *sys.argv[1:]]))
