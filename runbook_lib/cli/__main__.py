"""``python -m runbook_lib.cli`` is the same as the ``runbook`` command."""

import sys

from runbook_lib.cli import main

sys.exit(main())
