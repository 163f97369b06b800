from stylegraph.cli import main

raise SystemExit(main())
