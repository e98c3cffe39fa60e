# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs: a pure-Python newc writer and the generated /init.

The archive is built without root privileges (device nodes are just cpio
headers) and is byte-for-byte reproducible: every entry has uid/gid 0,
mtime 0 and inode numbers in creation order, and gzip's header carries no
timestamp either.

Layout of the guest root:

    /init            generated shell script (see init_script)
    /bin/busybox     busybox-static; /init installs the applet symlinks
    /bin/sh          symlink to busybox
    /dev/console     character device 5:1, the kernel opens it for /init
    /modules/*.ko    modules under test, loaded in command line order
    /tests/*         test binaries, run in sorted order, each with the
                     harness options that select its testcases
    plus any --extra-file

Archives given with --extra-initrd are appended after this one (the kernel
unpacks concatenated archives in order, each compressed or not), so they
can add files such as firmware, but must not replace /init.
"""

import gzip
import os
import posixpath
import re
import shlex
import stat
import zlib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from . import markers
from .qemu import DEBUG_EXIT_PORT

NEWC_MAGIC = b"070701"
NEWC_HEADER_SIZE = 110
TRAILER = "TRAILER!!!"

# Kernel and module names travel through marker lines and shell commands.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def check_name(name: str, what: str) -> str:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"{what} name {name!r} must match "
                         f"{_SAFE_NAME.pattern}")
    return name


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _archive_path(path: str) -> str:
    """Normalise a guest path to the archive's form: relative, no '..'."""
    norm = posixpath.normpath("/" + path).lstrip("/")
    if not norm or ".." in path.split("/"):
        raise ValueError(f"invalid path in initramfs: {path!r}")
    return norm


class NewcWriter:
    """Writes a cpio archive in the "new ASCII" (newc) format."""

    def __init__(self, mtime: int = 0):
        self._mtime = mtime
        self._chunks: List[bytes] = []
        self._paths = set()
        self._directories = set()
        self._next_ino = 1
        self._closed = False

    def add_directory(self, path: str, mode: int = 0o755) -> None:
        path = _archive_path(path)
        if path in self._directories:
            return
        self._add_parents(path)
        self._directories.add(path)
        self._entry(path, stat.S_IFDIR | mode, nlink=2)

    def add_file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        path = _archive_path(path)
        self._add_parents(path)
        self._entry(path, stat.S_IFREG | mode, data=data)

    def add_symlink(self, path: str, target: str) -> None:
        path = _archive_path(path)
        self._add_parents(path)
        self._entry(path, stat.S_IFLNK | 0o777, data=target.encode())

    def add_char_device(self, path: str, major: int, minor: int,
                        mode: int = 0o600) -> None:
        path = _archive_path(path)
        self._add_parents(path)
        self._entry(path, stat.S_IFCHR | mode, rdev=(major, minor))

    def getvalue(self) -> bytes:
        """The finished archive (adds the trailer on first call)."""
        if not self._closed:
            self._header(TRAILER, mode=0, nlink=1, size=0, ino=0)
            self._closed = True
        return b"".join(self._chunks)

    def _add_parents(self, path: str) -> None:
        parent = posixpath.dirname(path)
        if parent:
            self.add_directory(parent)

    def _entry(self, path: str, mode: int, data: bytes = b"", nlink: int = 1,
               rdev: Tuple[int, int] = (0, 0)) -> None:
        if self._closed:
            raise ValueError("archive already finished")
        if path in self._paths:
            raise ValueError(f"duplicate path in initramfs: /{path}")
        self._paths.add(path)
        self._header(path, mode=mode, nlink=nlink, size=len(data),
                     ino=self._next_ino, rdev=rdev)
        self._next_ino += 1
        self._chunks.append(data + _pad4(len(data)))

    def _header(self, name: str, mode: int, nlink: int, size: int, ino: int,
                rdev: Tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, nlink, self._mtime, size, 0, 0,
                  rdev[0], rdev[1], len(encoded), 0)
        header = NEWC_MAGIC + b"".join(b"%08X" % value for value in fields)
        self._chunks.append(header + encoded
                            + _pad4(NEWC_HEADER_SIZE + len(encoded)))


@dataclass
class NewcEntry:
    name: str
    mode: int
    data: bytes
    rdev: Tuple[int, int]
    nlink: int


def read_newc(archive: bytes) -> List[NewcEntry]:
    """Parse a newc archive (uncompressed) into its entries."""
    entries = []
    offset = 0
    while True:
        header = archive[offset:offset + NEWC_HEADER_SIZE]
        if header[:6] != NEWC_MAGIC:
            raise ValueError(f"bad newc magic at offset {offset}")
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, nlink, size = fields[1], fields[4], fields[6]
        rdev, namesize = (fields[9], fields[10]), fields[11]
        offset += NEWC_HEADER_SIZE
        name = archive[offset:offset + namesize - 1].decode()
        offset += namesize + (-(NEWC_HEADER_SIZE + namesize) % 4)
        if name == TRAILER:
            return entries
        data = archive[offset:offset + size]
        offset += size + (-size % 4)
        entries.append(NewcEntry(name, mode, data, rdev, nlink))


# -- the guest's /init ---------------------------------------------------------

@dataclass
class GuestModule:
    """A module as the guest sees it: module name and file in /modules."""
    name: str
    file: str

    @classmethod
    def from_path(cls, path: str) -> "GuestModule":
        file = check_name(os.path.basename(path), "module file")
        stem = file.split(".ko")[0]
        return cls(name=stem.replace("-", "_"), file=file)


def init_script(modules: Sequence[GuestModule], tests: Sequence[str],
                test_timeout: int, kill_grace: int = 5,
                debug_exit_port: int = DEBUG_EXIT_PORT,
                test_args: Optional[Dict[str, List[str]]] = None) -> str:
    """The /init shell script (busybox ash) run by the guest kernel.

    test_args gives, per test binary, the arguments to run it with (the
    harness options that select testcases)."""
    test_args = test_args or {}
    load = "\n".join(f"[ $modules_ok = 1 ] && load_module {m.name} {m.file}"
                     for m in modules) or ":"
    run = "\n\t".join(
        " ".join(["run_test", name]
                 + [shlex.quote(arg) for arg in test_args.get(name, [])])
        for name in tests) or ":"
    unload = "\n".join(f"unload_module {m.name}"
                       for m in reversed(modules)) or ":"
    return _INIT_TEMPLATE.format(
        prefix=markers.PREFIX, suffix=markers.SUFFIX,
        test_timeout=int(test_timeout), kill_grace=int(kill_grace),
        port=int(debug_exit_port), load=load, run=run, unload=unload)


# Shell braces are doubled for str.format.
_INIT_TEMPLATE = r"""#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# Generated by the ioasid conformance driver (conformance/driver): loads the
# modules under test, runs the test binaries and reports every step with a
# marker line on the console.  The host parses those; see markers.py.

/bin/busybox --install -s /bin 2>/dev/null
export PATH=/bin HOME=/tmp

marker() {{
	echo "{prefix}$*{suffix}"
}}

now() {{
	read -r seconds rest < /proc/uptime
	echo "$seconds"
}}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
if [ -d /sys/kernel/debug ]; then
	mount -t debugfs debugfs /sys/kernel/debug
fi

verdict=0
modules_ok=1
loaded=" "

marker BOOT kernel=$(uname -r)
taint=$(cat /proc/sys/kernel/tainted)
marker TAINT-BOOT value=$taint

load_module() {{
	marker INSMOD-BEGIN "$1"
	insmod "/modules/$2"
	rc=$?
	marker INSMOD-END "$1" rc=$rc
	if [ $rc -eq 0 ]; then
		loaded=" $1$loaded"
	else
		verdict=1
		modules_ok=0
	fi
}}

unload_module() {{
	case "$loaded" in
	*" $1 "*) ;;
	*) return ;;
	esac
	marker RMMOD-BEGIN "$1"
	rmmod "$1"
	rc=$?
	marker RMMOD-END "$1" rc=$rc
	[ $rc -eq 0 ] || verdict=1
}}

# run_test BINARY [ARGUMENT...]
run_test() {{
	name=$1
	shift
	marker TEST-BEGIN "$name"
	start=$(now)
	(cd /tests && exec timeout -s TERM -k {kill_grace} {test_timeout} "./$name" "$@") < /dev/null
	rc=$?
	end=$(now)
	# Processes the test left behind must not disturb the next one.
	kill -KILL -1 2>/dev/null
	elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN {{ printf "%.2f", e - s }}')
	marker TEST-END "$name" rc=$rc elapsed=$elapsed
	# 4 is KSFT_SKIP.
	case $rc in
	0|4) ;;
	*) verdict=1 ;;
	esac
}}

# On a kernel with fault injection, let fail-nth reach every allocation
# the tests' commands make: sleeping ones and single pages included.  The
# injected failures are expected, so they are not reported one by one.
setup_fault_injection() {{
	d=/sys/kernel/debug
	for attr in failslab fail_page_alloc fail_usercopy; do
		[ -d $d/$attr ] || continue
		echo 0 > $d/$attr/verbose
		[ -e $d/$attr/ignore-gfp-wait ] && echo N > $d/$attr/ignore-gfp-wait
		[ -e $d/$attr/min-order ] && echo 0 > $d/$attr/min-order
	done
	[ -d $d/failslab ] && marker FAULT-INJECTION ready
}}

check_kmemleak() {{
	[ -w /sys/kernel/debug/kmemleak ] || return
	marker KMEMLEAK-BEGIN
	# The tests are over: stale pointers left on kernel stacks would
	# only hide leaks, so the scans skip the stacks.  An object must be
	# 5 s old before kmemleak reports it, hence the wait.
	echo stack=off > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
	marker KMEMLEAK-END
}}

# Wait until the UART has sent everything: stty sets the terminal
# attributes with TCSADRAIN.
drain_console() {{
	stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null || sleep 1
}}

setup_fault_injection

{load}

if [ $modules_ok = 1 ]; then
	{run}
fi

{unload}

check_kmemleak

taint=$(cat /proc/sys/kernel/tainted)
marker TAINT value=$taint
marker DONE verdict=$verdict
drain_console

# isa-debug-exit: QEMU exits with status (verdict << 1) | 1.
if [ -c /dev/port ]; then
	printf "\\00$verdict" | dd of=/dev/port bs=1 seek={port} count=1 conv=notrunc 2>/dev/null
fi
marker POWEROFF
drain_console
poweroff -f
"""


# -- putting the archive together ------------------------------------------

@dataclass
class ExtraFile:
    source: str
    dest: str

    @classmethod
    def parse(cls, spec: str) -> "ExtraFile":
        source, sep, dest = spec.partition(":")
        if not sep or not source or not dest:
            raise ValueError(f"--extra-file wants SRC:DEST, got {spec!r}")
        return cls(source=source, dest=dest)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _add_tree(writer: NewcWriter, source: str, dest: str) -> None:
    """Add a file, or a directory recursively, at dest in the archive."""
    if os.path.isdir(source):
        writer.add_directory(dest)
        for entry in sorted(os.listdir(source)):
            _add_tree(writer, os.path.join(source, entry),
                      posixpath.join(dest, entry))
    elif os.path.islink(source):
        writer.add_symlink(dest, os.readlink(source))
    else:
        writer.add_file(dest, _read(source),
                        stat.S_IMODE(os.stat(source).st_mode))


def build_archive(busybox: str, modules: Sequence[str], tests: Sequence[str],
                  test_timeout: int,
                  extra_files: Iterable[ExtraFile] = (),
                  test_args: Optional[Dict[str, List[str]]] = None) -> bytes:
    """The uncompressed newc archive for the guest.

    modules and tests are host paths; test names are their basenames;
    test_args maps a test name to its arguments.
    """
    guest_modules = [GuestModule.from_path(path) for path in modules]
    test_names = [check_name(os.path.basename(path), "test binary")
                  for path in tests]
    for what, names in (("module", [m.name for m in guest_modules]),
                        ("test binary", test_names)):
        if len(set(names)) != len(names):
            raise ValueError(f"two {what}s with the same name: {names}")

    writer = NewcWriter()
    for directory in ("bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc",
                      "sys", "tmp", "run", "root", "etc", "modules", "tests"):
        writer.add_directory(directory)
    writer.add_char_device("dev/console", 5, 1, 0o600)
    writer.add_char_device("dev/null", 1, 3, 0o666)
    writer.add_file("bin/busybox", _read(busybox), 0o755)
    writer.add_symlink("bin/sh", "busybox")
    for path, module in zip(modules, guest_modules):
        writer.add_file(f"modules/{module.file}", _read(path), 0o644)
    for path, name in zip(tests, test_names):
        writer.add_file(f"tests/{name}", _read(path), 0o755)
    for extra in extra_files:
        _add_tree(writer, extra.source, extra.dest)
    script = init_script(guest_modules, test_names, test_timeout,
                         test_args=test_args)
    writer.add_file("init", script.encode(), 0o755)
    return writer.getvalue()


def compress(archive: bytes) -> bytes:
    """gzip without a timestamp, so equal archives give equal files."""
    return gzip.compress(archive, compresslevel=6, mtime=0)


# -- archives appended after ours ---------------------------------------------

GZIP_MAGIC = b"\x1f\x8b"


def archive_paths(data: bytes) -> Optional[List[str]]:
    """Paths in a (possibly concatenated) initramfs image.

    Understands uncompressed newc and gzip members, with the zero padding
    the kernel skips between them; returns None for anything else (xz,
    zstd, ...), which the caller then cannot inspect.
    """
    paths: List[str] = []
    offset = 0
    while offset < len(data):
        if data[offset] == 0:
            offset += 1
        elif data.startswith(NEWC_MAGIC, offset):
            offset = _newc_paths(data, offset, paths)
        elif data.startswith(GZIP_MAGIC, offset):
            inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                inner = inflater.decompress(data[offset:])
            except zlib.error:
                return None
            if not inflater.eof:
                return None
            inner_paths = archive_paths(inner)
            if inner_paths is None:
                return None
            paths += inner_paths
            offset = len(data) - len(inflater.unused_data)
        else:
            return None
    return paths


def _newc_paths(data: bytes, offset: int, paths: List[str]) -> int:
    """Add the names of one newc archive at offset; return its end."""
    while True:
        header = data[offset:offset + NEWC_HEADER_SIZE]
        if len(header) < NEWC_HEADER_SIZE or header[:6] != NEWC_MAGIC:
            raise ValueError(f"bad newc header at offset {offset}")
        size = int(header[54:62], 16)
        namesize = int(header[94:102], 16)
        start = offset + NEWC_HEADER_SIZE
        name = data[start:start + namesize - 1].decode(errors="replace")
        offset = start + namesize + (-(NEWC_HEADER_SIZE + namesize) % 4)
        if name == TRAILER:
            return offset
        paths.append(posixpath.normpath("/" + name).lstrip("/"))
        offset += size + (-size % 4)


def concatenate(ours: bytes, extras: Sequence[Tuple[str, bytes]]) -> bytes:
    """Our compressed archive followed by the extra images, each starting
    at a multiple of 4 bytes (the kernel skips the zero padding; an
    uncompressed archive must start aligned).

    Raises ValueError if an extra image would replace /init.
    """
    parts = [ours]
    length = len(ours)
    for name, data in extras:
        try:
            paths = archive_paths(data)
        except ValueError as error:
            raise ValueError(f"{name}: not a valid initramfs image: "
                             f"{error}") from error
        if paths is not None and "init" in paths:
            raise ValueError(f"{name} contains /init, which would replace "
                             f"the driver's /init; leave it out")
        padding = -length % 4
        parts += [b"\0" * padding, data]
        length += padding + len(data)
    return b"".join(parts)
