from fuelopt.cli import main

raise SystemExit(main())
