# SPDX-License-Identifier: GPL-2.0
"""Starting QEMU and reading its console without blocking.

The guest's serial port is QEMU's stdout; QEMU's own diagnostics arrive on
stderr.  Both pipes are read with a selector so that the host can enforce
its deadline even while the guest prints nothing.
"""

import os
import selectors
import signal
import subprocess
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

# isa-debug-exit: a byte N written to this I/O port makes QEMU exit with
# status (N << 1) | 1.
DEBUG_EXIT_PORT = 0xF4
DEBUG_EXIT_DEVICE = f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"

BASE_KERNEL_ARGS = "console=ttyS0 panic=-1 loglevel=7 printk.time=1"

STDOUT = "stdout"
STDERR = "stderr"


def debug_exit_status(verdict: int) -> int:
    """QEMU's exit status after the guest wrote verdict to the port."""
    return (verdict << 1) | 1


@dataclass
class QemuConfig:
    qemu: str
    kernel: str
    initrd: str
    memory: int = 512
    smp: int = 2
    append: str = ""
    extra_args: List[str] = field(default_factory=list)
    accel: str = "tcg"


def command_line(config: QemuConfig) -> List[str]:
    """The QEMU argv for a headless run with the console on stdout.

    "-display none -monitor none -serial stdio" is -nographic without the
    monitor multiplexed into the console; -nodefaults leaves out the default
    NIC, VGA and drives, so the guest has only what --qemu-arg adds.  With
    -no-reboot, a panic (panic=-1 reboots at once) ends QEMU.
    """
    kernel_args = BASE_KERNEL_ARGS
    if config.append:
        kernel_args += " " + config.append
    argv = [
        config.qemu,
        "-nodefaults", "-no-reboot",
        "-display", "none", "-monitor", "none", "-serial", "stdio",
        "-m", str(config.memory), "-smp", str(config.smp),
        "-kernel", config.kernel, "-initrd", config.initrd,
        "-append", kernel_args,
        "-device", DEBUG_EXIT_DEVICE,
    ]
    # Not auto-detected: a /dev/kvm that opens fine can still hang guests
    # (nested virtualisation without support), so KVM is opt-in.
    if config.accel == "kvm":
        argv += ["-accel", "kvm", "-cpu", "host"]
    else:
        # One host thread runs every vCPU.  With a thread per vCPU, code
        # the kernel patches at run time (static keys, through an int3
        # breakpoint) can still run on another vCPU half-patched: 6.12
        # then dies of an "int3" Oops while booting, now and then.
        argv += ["-accel", "tcg,thread=single"]
    return argv + list(config.extra_args)


class QemuProcess:
    """A running QEMU whose stdout and stderr are read without blocking."""

    def __init__(self, argv: Sequence[str]):
        self.argv = list(argv)
        self._proc: Optional[subprocess.Popen] = None
        self._selector = selectors.DefaultSelector()

    def start(self) -> None:
        """Start QEMU; raises OSError if it cannot be executed."""
        self._proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        for pipe, name in ((self._proc.stdout, STDOUT),
                           (self._proc.stderr, STDERR)):
            os.set_blocking(pipe.fileno(), False)
            self._selector.register(pipe, selectors.EVENT_READ, name)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def eof(self) -> bool:
        """True once both pipes are closed."""
        return not self._selector.get_map()

    def read(self, timeout: float) -> List[Tuple[str, bytes]]:
        """Wait up to timeout seconds; return (stream, data) chunks."""
        chunks = []
        if self.eof:
            return chunks
        for key, _ in self._selector.select(max(0.0, timeout)):
            try:
                data = os.read(key.fileobj.fileno(), 65536)
            except BlockingIOError:
                continue
            if data:
                chunks.append((key.data, data))
            else:
                self._selector.unregister(key.fileobj)
                key.fileobj.close()
        return chunks

    def kill(self, grace: float = 2.0) -> None:
        """SIGTERM, then SIGKILL after grace seconds."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._proc.wait()

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self._proc.pid, signum)
        except ProcessLookupError:
            pass

    def wait(self, timeout: Optional[float] = None) -> Optional[int]:
        """Exit status, or None if QEMU is still running after timeout."""
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            self._selector.unregister(key.fileobj)
            key.fileobj.close()
        self._selector.close()
