# SPDX-License-Identifier: GPL-2.0
"""python3 -m ioasid_conform (with conformance/driver on sys.path)."""

import sys

from .cli import main

sys.exit(main())
