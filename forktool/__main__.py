from forktool.cli import main

raise SystemExit(main())
