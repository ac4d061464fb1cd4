"""Allow ``python -m tkanban``."""

from tkanban.program import main

raise SystemExit(main())
