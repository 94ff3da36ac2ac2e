"""``python -m neurogebra.cli``: the same as the ``neurogebra`` command."""

import sys

from . import main

sys.exit(main())
