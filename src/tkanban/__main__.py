"""Allow ``python -m tkanban``."""

from tkanban.cli import main

raise SystemExit(main())
