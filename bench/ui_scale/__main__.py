from bench.ui_scale.runner import main

raise SystemExit(main())
