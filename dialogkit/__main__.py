"""``python -m dialogkit``: the same CLI as the ``dialogkit`` command."""

from dialogkit.framework.cli.main import main

raise SystemExit(main())
