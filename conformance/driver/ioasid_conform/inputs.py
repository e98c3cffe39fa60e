# SPDX-License-Identifier: GPL-2.0
"""Finding and checking what a run is given: test binaries and modules.

Modules come from the command line in the order given: files (--module)
and directories (--modules).  A directory contributes every *.ko file in
it, in sorted order, or in the order its file "load-order" gives: one
module per line, as "name.ko" or "name", blank lines and lines starting
with "#" ignored.  When load-order exists, every *.ko in the directory must
be listed in it, so that no module is silently left out.
"""

import os
from dataclasses import dataclass
from typing import List, Sequence, Union

LOAD_ORDER = "load-order"
MODULE_SUFFIX = ".ko"


class SetupError(Exception):
    """The run could not be prepared (missing file, bad argument)."""


@dataclass(frozen=True)
class ModuleDir:
    """A directory of modules given with --modules."""
    path: str

    def __str__(self) -> str:
        return f"{self.path}/"


ModuleSource = Union[str, ModuleDir]


def require_file(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise SetupError(f"{what} not found: {path}")


def find_test_binaries(directory: str) -> List[str]:
    """Every executable regular file directly in directory, sorted by name."""
    if not os.path.isdir(directory):
        raise SetupError(f"test directory not found: {directory}")
    binaries = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            binaries.append(path)
    if not binaries:
        raise SetupError(f"no executable test binaries in {directory}")
    return binaries


def module_name(path: str) -> str:
    """The name the kernel gives the module in file path (for rmmod)."""
    return os.path.basename(path).split(MODULE_SUFFIX)[0].replace("-", "_")


def modules_in_dir(directory: str) -> List[str]:
    """The module files of a --modules directory, in load order."""
    if not os.path.isdir(directory):
        raise SetupError(f"module directory not found: {directory}")
    present = sorted(name for name in os.listdir(directory)
                     if name.endswith(MODULE_SUFFIX)
                     and os.path.isfile(os.path.join(directory, name)))
    order_file = os.path.join(directory, LOAD_ORDER)
    if not os.path.exists(order_file):
        if not present:
            raise SetupError(f"no *{MODULE_SUFFIX} files in module "
                             f"directory {directory}")
        return [os.path.join(directory, name) for name in present]

    ordered: List[str] = []
    with open(order_file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            name = line.strip()
            if not name or name.startswith("#"):
                continue
            where = f"{order_file}:{number}"
            if "/" in name:
                raise SetupError(f"{where}: {name!r}: give the file name of "
                                 f"a module in {directory}, not a path")
            if not name.endswith(MODULE_SUFFIX):
                name += MODULE_SUFFIX
            if name not in present:
                raise SetupError(f"{where}: module {name} not found in "
                                 f"{directory}")
            if name in ordered:
                raise SetupError(f"{where}: module {name} listed twice")
            ordered.append(name)
    missing = [name for name in present if name not in ordered]
    if missing:
        raise SetupError(f"{order_file} does not list "
                         f"{', '.join(missing)}; list every module of "
                         f"{directory} or remove it from there")
    if not ordered:
        raise SetupError(f"{order_file} lists no modules")
    return [os.path.join(directory, name) for name in ordered]


def expand_modules(sources: Sequence[ModuleSource]) -> List[str]:
    """Module files to load, in order, from --module and --modules."""
    modules: List[str] = []
    for source in sources:
        if isinstance(source, ModuleDir):
            modules.extend(modules_in_dir(source.path))
        else:
            require_file(source, "module")
            modules.append(source)
    names = [module_name(path) for path in modules]
    for name in names:
        if names.count(name) > 1:
            clashing = [p for p, n in zip(modules, names) if n == name]
            raise SetupError(f"two modules named {name}: "
                             f"{', '.join(clashing)}")
    return modules
