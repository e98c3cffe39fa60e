# SPDX-License-Identifier: GPL-2.0
"""Turning the raw serial console stream into clean lines.

QEMU hands us the console in arbitrary chunks: a line may be split across
reads, a multi-byte UTF-8 sequence may be cut in half, and the text carries
CR LF line ends plus terminal escape sequences (firmware and the kernel's
early console like to clear the screen).  LineAssembler reassembles lines
and clean_line() removes everything that is not text.

Kernel messages are recognised by their printk timestamp ("[   12.345678] ",
the driver boots with printk.time=1).  split_kernel_text() separates a
kernel message from a fragment of user output that precedes it on the same
line, which happens when printk interrupts a half-written line.
"""

import codecs
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

# CSI sequences (ESC [ ... final byte), OSC sequences (ESC ] ... BEL or
# ESC \), and the remaining two-byte escapes (ESC c, ESC 7, ESC =, ...).
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[ -/]*[0-~]"
)
# C0 controls other than TAB, plus DEL and the 8-bit CSI; CR goes here too.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x9b]")

_KERNEL_TIMESTAMP = re.compile(r"\[\s*\d+\.\d{6}\] ?")

# A "line" this long without a newline is cut, so that garbage on the
# console cannot make the host buffer grow without bound.
MAX_LINE = 64 * 1024


def clean_line(line: str) -> str:
    """Strip CR, escape sequences and control characters from one line."""
    line = _ESCAPE.sub("", line)
    line = _CONTROL.sub("", line)
    return line.rstrip()


def split_kernel_text(line: str) -> Tuple[str, Optional[str]]:
    """Split a console line into (user_part, kernel_text).

    kernel_text is None when the line carries no printk timestamp.  The user
    part is whatever came before the timestamp; it is empty for an ordinary
    kernel line and non-empty when a kernel message interrupted user output.
    """
    match = _KERNEL_TIMESTAMP.search(line)
    if match is None:
        return line, None
    return line[:match.start()].rstrip(), line[match.end():]


@dataclass
class ConsoleLine:
    """One cleaned console line and the host time it was completed."""
    text: str
    time: float
    raw: str


class LineAssembler:
    """Reassembles lines from arbitrarily chunked console bytes."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def feed(self, data: bytes, now: float) -> List[ConsoleLine]:
        """Add a chunk; return the lines it completed."""
        self._partial += self._decoder.decode(data)
        *complete, self._partial = self._partial.split("\n")
        while len(self._partial) > MAX_LINE:
            complete.append(self._partial[:MAX_LINE])
            self._partial = self._partial[MAX_LINE:]
        return [ConsoleLine(clean_line(raw), now, raw) for raw in complete]

    def flush(self, now: float) -> List[ConsoleLine]:
        """Return the unterminated last line, if any (call at end of stream)."""
        self._partial += self._decoder.decode(b"", final=True)
        raw, self._partial = self._partial, ""
        if clean_line(raw) == "":
            return []
        return [ConsoleLine(clean_line(raw), now, raw)]
