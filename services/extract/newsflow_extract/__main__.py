from newsflow.cli import main

raise SystemExit(main(["extract"]))
