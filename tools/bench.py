#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Boot one guest that times /dev/ioasid against VFIO type1 (make bench).

    tools/bench.py --kernel VMLINUZ --modroot DIR --module IOASID.ko... \\
        --bench BINARY --init bench/init.sh --workdir DIR [--mib N] [--reps N]

Builds an initramfs of its own (busybox, the benchmark program, the
/dev/ioasid modules under test, and the VFIO modules of the stock kernel
with what they depend on, decompressed), boots it once under QEMU (TCG, q35
with an emulated intel-iommu and the edu device, intel_iommu=on), shows the
benchmark's output as it comes, keeps the whole console in
WORKDIR/console.log and ends with the boot and run times.  Exits 0 only when
the guest reports that every measurement it attempted succeeded.
"""

import argparse
import gzip
import lzma
import os
import re
import selectors
import signal
import stat
import subprocess
import sys
import time

# Stock modules that vfio-pci and the type1 backend need; what these
# depend on is read from modules.dep.
VFIO_MODULES = ["vfio_iommu_type1", "vfio_pci"]

DEBUG_EXIT_PORT = 0xF4
ANSI_ESCAPE = re.compile(rb"\x1b(\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9]|[=>c])")


# -- the initramfs: a newc archive written here, without root ----------------

class Cpio:
    """A cpio archive in the newc format; entries owned by root, mtime 0."""

    def __init__(self):
        self.parts = []
        self.ino = 0
        self.dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        name_bytes = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(name_bytes), 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.parts.append(header + name_bytes)
        self.parts.append(b"\0" * (-(110 + len(name_bytes)) % 4))
        self.parts.append(data + b"\0" * (-len(data) % 4))

    def directory(self, path):
        parent = os.path.dirname(path)
        if parent and parent not in self.dirs:
            self.directory(parent)
        if path not in self.dirs:
            self.dirs.add(path)
            self._entry(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, mode=0o644):
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFREG | mode, data)

    def symlink(self, path, target):
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor):
        self.directory(os.path.dirname(path))
        self._entry(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return b"".join(self.parts)


def module_name(path):
    """Module name of a .ko, .ko.xz, ... file: dashes become underscores."""
    return os.path.basename(path).split(".ko")[0].replace("-", "_")


def stock_modules(modroot, release, wanted):
    """Paths of the stock modules wanted and their dependencies, in an
    order in which they can be loaded."""
    moddir = os.path.join(modroot, "lib", "modules", release)
    deps = {}
    paths = {}
    with open(os.path.join(moddir, "modules.dep")) as dep_file:
        for line in dep_file:
            module, _, needs = line.partition(":")
            name = module_name(module)
            paths[name] = os.path.join(moddir, module)
            deps[name] = [module_name(n) for n in needs.split()]
    order = []

    def visit(name, chain):
        if name in order:
            return
        if name in chain:
            raise SystemExit(f"bench: dependency cycle at {name}")
        if name not in paths:
            raise SystemExit(f"bench: module {name} not in {moddir}")
        for dep in deps[name]:
            visit(dep, chain + [name])
        order.append(name)

    for name in wanted:
        visit(name, [])
    return [paths[name] for name in order]


def module_data(path):
    """A module's contents, decompressed: busybox insmod wants an ELF."""
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".ko"):
        return data
    raise SystemExit(f"bench: cannot decompress {path}")


def build_initrd(args, release):
    archive = Cpio()
    for directory in ("bin", "dev", "proc", "sys", "tmp", "modules",
                      "bench"):
        archive.directory(directory)
    archive.chardev("dev/console", 5, 1)
    with open(args.busybox, "rb") as handle:
        archive.file("bin/busybox", handle.read(), 0o755)
    archive.symlink("bin/sh", "busybox")
    with open(args.init, "rb") as handle:
        archive.file("init", handle.read(), 0o755)
    with open(args.bench, "rb") as handle:
        archive.file("bench/ioasid_bench", handle.read(), 0o755)

    order = []
    for index, path in enumerate(
            stock_modules(args.modroot, release, VFIO_MODULES) + args.module):
        file = "%02d-%s.ko" % (index, module_name(path))
        archive.file("modules/" + file, module_data(path))
        order.append(file)
    archive.file("modules/order", "".join(f + "\n" for f in order).encode())

    initrd = os.path.join(args.workdir, "initrd.cpio.gz")
    with open(initrd, "wb") as handle:
        handle.write(gzip.compress(archive.finish(), compresslevel=6,
                                   mtime=0))
    return initrd, [module_name(f[3:]) for f in order]


# -- running QEMU -------------------------------------------------------------

def qemu_argv(args, initrd):
    append = ("console=ttyS0 panic=-1 loglevel=4 intel_iommu=on "
              f"bench.mib={args.mib} bench.reps={args.reps} "
              f"bench.iova={args.iova:#x}"
              + (" bench.thp=1" if args.thp else "")
              + (f" bench.scale={args.scale}" if args.scale else ""))
    return [
        args.qemu, "-machine", "q35",
        # One host thread: the 6.12 kernel can oops on code it patches
        # at boot when TCG runs vCPUs in threads of their own.
        "-accel", "tcg,thread=single", "-smp", "1", "-m", str(args.memory),
        "-nodefaults", "-no-reboot", "-display", "none",
        "-monitor", "none", "-serial", "stdio",
        # The IOMMU first: it must exist before the devices behind it.
        "-device", "intel-iommu,intremap=on",
        "-device", "edu",
        "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04",
        "-kernel", args.kernel, "-initrd", initrd, "-append", append,
    ]


class Console:
    """Splits the guest's serial output into lines and reacts to them."""

    def __init__(self, log, start):
        self.log = log
        self.start = start
        self.pending = b""
        self.events = {}
        self.status = None

    def feed(self, data):
        self.log.write(data)
        self.log.flush()
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            self.line(ANSI_ESCAPE.sub(b"", line).rstrip(b"\r")
                      .decode(errors="replace"))

    def line(self, text):
        elapsed = time.monotonic() - self.start
        if text.startswith("bench| "):
            print(text[len("bench| "):], flush=True)
            return
        if not text.startswith("bench-init: "):
            return
        text = text[len("bench-init: "):]
        word = text.split()[0] if text.split() else ""
        if word == "start":
            self.events["init"] = (elapsed, text)
        elif word.startswith("status="):
            self.events["end"] = (elapsed, text)
            self.status = int(word.split("=")[1])
        if word not in ("start", "bench", "status=0"):
            print("guest: " + text, flush=True)


def run_qemu(argv, log_path, timeout):
    """Run QEMU; return (exit status or None on timeout, Console)."""
    start = time.monotonic()
    with open(log_path, "wb") as log:
        console = Console(log, start)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = start + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    return None, console
                if not selector.select(min(left, 5.0)):
                    continue
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                console.feed(data)
        except KeyboardInterrupt:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            selector.close()
        console.feed(b"\n")
        return proc.wait(), console


def uptime(text):
    match = re.search(r"uptime=([0-9.]+)", text)
    return float(match.group(1)) if match else None


def report_times(console):
    """Boot time, and the guest's clock against the host's over the run:
    the benchmark's times come from the guest's clock."""
    events = console.events
    whole = time.monotonic() - console.start
    if "init" not in events:
        print(f"bench: the guest never reached /init ({whole:.1f} s)")
        return
    host_init, init_text = events["init"]
    guest_init = uptime(init_text)
    print(f"bench: boot to /init {host_init:.1f} s on the host clock "
          f"(QEMU start included), {guest_init} s of guest uptime")
    if "end" in events:
        host_end, end_text = events["end"]
        guest_end = uptime(end_text)
        if guest_init is not None and guest_end is not None:
            print(f"bench: /init to the end {host_end - host_init:.1f} s on "
                  f"the host clock, {guest_end - guest_init:.1f} s on the "
                  f"guest's")
    print(f"bench: whole run {whole:.1f} s")


def describe_host(qemu):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        version = subprocess.run([qemu, "--version"], capture_output=True,
                                 text=True, check=False).stdout.split("\n")[0]
    except OSError as error:
        raise SystemExit(f"bench: {qemu}: {error}")
    return cpu, version


def main():
    parser = argparse.ArgumentParser(
        description="time /dev/ioasid against VFIO type1 in one QEMU guest")
    parser.add_argument("--kernel", required=True, help="vmlinuz to boot")
    parser.add_argument("--modroot", required=True,
                        help="root of the stock modules (lib/modules/...)")
    parser.add_argument("--release", help="kernel release (default: the "
                        "only one under MODROOT/lib/modules)")
    parser.add_argument("--module", action="append", default=[],
                        required=True,
                        help="a /dev/ioasid module, loaded in the order given")
    parser.add_argument("--bench", required=True,
                        help="the benchmark program (static)")
    parser.add_argument("--init", required=True, help="the guest's /init")
    parser.add_argument("--busybox", default="/bin/busybox")
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--memory", type=int, default=3072,
                        help="guest memory in MiB (default 3072)")
    parser.add_argument("--mib", type=int, default=1024,
                        help="size of the mapped range in MiB (default 1024)")
    parser.add_argument("--reps", type=int, default=3,
                        help="repetitions (default 3)")
    parser.add_argument("--iova", type=lambda text: int(text, 0),
                        default=0x40000000,
                        help="IOVA of the range (default 0x40000000, clear "
                             "of the interrupt window at 0xfee00000)")
    parser.add_argument("--thp", action="store_true",
                        help="huge pages from THP only, not hugetlbfs")
    parser.add_argument("--scale", default="256,1024,2048",
                        help="sizes in MiB for the scaling table, comma-"
                             "separated (default 256,1024,2048; '' for none)")
    parser.add_argument("--timeout", type=int, default=3600,
                        help="seconds the whole run may take (default 3600)")
    args = parser.parse_args()

    release = args.release
    if not release:
        releases = os.listdir(os.path.join(args.modroot, "lib", "modules"))
        if len(releases) != 1:
            raise SystemExit(f"bench: pass --release, one of {releases}")
        release = releases[0]
    os.makedirs(args.workdir, exist_ok=True)
    initrd, modules = build_initrd(args, release)
    argv = qemu_argv(args, initrd)
    log_path = os.path.join(args.workdir, "console.log")
    cpu, version = describe_host(args.qemu)

    print(f"bench: guest {release}, {args.memory} MiB, 1 vCPU, "
          f"q35 + intel-iommu + edu, TCG (no KVM)")
    print(f"bench: host {cpu}; {version}")
    print(f"bench: modules {' '.join(modules)}")
    print(f"bench: console log {log_path}", flush=True)

    status, console = run_qemu(argv, log_path, args.timeout)
    print()
    report_times(console)
    if status is None:
        print(f"bench: FAILED: no result within {args.timeout} s; "
              f"see {log_path}")
        return 1
    if console.status is None or status != (console.status << 1) | 1:
        print(f"bench: FAILED: the guest did not finish; see {log_path}")
        return 1
    if console.status:
        print(f"bench: FAILED: see the lines above and {log_path}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
