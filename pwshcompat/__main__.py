"""``python3 -m pwshcompat <Cmdlet-Name> -Param value ...``; see :mod:`pwshcompat.cli`."""

import sys

from .cli import main

sys.exit(main())
