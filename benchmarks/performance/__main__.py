from benchmarks.performance.suite import main

raise SystemExit(main())
