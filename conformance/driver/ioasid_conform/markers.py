# SPDX-License-Identifier: GPL-2.0
"""Marker lines: how the guest's /init tells the host what is happening.

Every marker has the form

    @@IOASID-<KIND> [<name>] [key=value ...]@@

and is found anywhere in a console line, so a marker is still recognised
when a kernel message fragment precedes it.  The kinds, in the order /init
prints them:

    BOOT kernel=<release>             /init started
    TAINT-BOOT value=<n>              /proc/sys/kernel/tainted before loading
    INSMOD-BEGIN <module>             about to insmod
    INSMOD-END <module> rc=<n>        insmod finished
    TEST-BEGIN <binary>               about to run a test binary
    TEST-END <binary> rc=<n> elapsed=<seconds>
    RMMOD-BEGIN <module>
    RMMOD-END <module> rc=<n>
    KMEMLEAK-BEGIN / KMEMLEAK-END     kmemleak report (only if enabled)
    TAINT value=<n>                   /proc/sys/kernel/tainted at the end
    DONE verdict=<n>                  final marker; 0 = pass, 1 = fail
    POWEROFF                          isa-debug-exit did not stop QEMU,
                                      falling back to poweroff -f

The same module renders markers (render) for the /init generator, so both
sides agree on the spelling.
"""

import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

PREFIX = "@@IOASID-"
SUFFIX = "@@"

BOOT = "BOOT"
TAINT_BOOT = "TAINT-BOOT"
INSMOD_BEGIN = "INSMOD-BEGIN"
INSMOD_END = "INSMOD-END"
TEST_BEGIN = "TEST-BEGIN"
TEST_END = "TEST-END"
RMMOD_BEGIN = "RMMOD-BEGIN"
RMMOD_END = "RMMOD-END"
KMEMLEAK_BEGIN = "KMEMLEAK-BEGIN"
KMEMLEAK_END = "KMEMLEAK-END"
FAULT_INJECTION = "FAULT-INJECTION"
TAINT = "TAINT"
DONE = "DONE"
POWEROFF = "POWEROFF"

KINDS = frozenset({BOOT, TAINT_BOOT, INSMOD_BEGIN, INSMOD_END, TEST_BEGIN,
                   TEST_END, RMMOD_BEGIN, RMMOD_END, KMEMLEAK_BEGIN,
                   KMEMLEAK_END, FAULT_INJECTION, TAINT, DONE, POWEROFF})

_MARKER = re.compile(r"@@IOASID-([A-Z]+(?:-[A-Z]+)*)(?: ([^@]*))?@@")


@dataclass
class Marker:
    kind: str
    name: Optional[str] = None
    fields: Dict[str, str] = field(default_factory=dict)

    def int_field(self, key: str) -> Optional[int]:
        try:
            return int(self.fields[key])
        except (KeyError, ValueError):
            return None

    def float_field(self, key: str) -> Optional[float]:
        try:
            return float(self.fields[key])
        except (KeyError, ValueError):
            return None


def render(kind: str, *words: str) -> str:
    """Marker text for kind with the given words (as /init prints it)."""
    body = " ".join((kind,) + words)
    return f"{PREFIX}{body}{SUFFIX}"


def parse(line: str) -> Optional[Marker]:
    """Return the marker contained in line, or None."""
    return split(line)[1]


def split(line: str) -> Tuple[str, Optional[Marker]]:
    """Split line into (text before the marker, marker).

    Without a marker, returns (line, None).  The text before a marker is
    output that did not end with a newline (a test's last line, say).  The
    first word that is not key=value becomes the marker's name.  Unknown
    kinds are ignored so that a test printing something that merely looks
    like a marker cannot confuse the host.
    """
    match = _MARKER.search(line)
    if match is None or match.group(1) not in KINDS:
        return line, None
    marker = Marker(kind=match.group(1))
    for word in (match.group(2) or "").split():
        key, sep, value = word.partition("=")
        if sep:
            marker.fields[key] = value
        elif marker.name is None:
            marker.name = word
    return line[:match.start()], marker
