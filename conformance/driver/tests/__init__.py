# SPDX-License-Identifier: GPL-2.0
"""Tests of the conformance driver; see selftest.py for how to run them."""
