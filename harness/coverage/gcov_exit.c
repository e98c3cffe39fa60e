// SPDX-License-Identifier: GPL-2.0
/*
 * Part of the coverage build of the harness library only (never of the
 * ASan build).  The kselftest harness runs every test in a child that
 * leaves with _exit(), which skips the exit handlers where libgcov writes
 * its counters: the lines a test ran in its child would read as never
 * executed.  The interposer's _exit() lets the shim end the process (its
 * descriptors are released, so the core's release paths run) and then
 * ends it with syscall(SYS_exit_group).  The coverage library is linked
 * with --wrap=syscall, so that the syscall() calls of the library's own
 * objects come here: on exit_group the counters are written first, after
 * everything the process did in the core.  Every other call goes on
 * unchanged.
 */
#include <stdarg.h>
#include <sys/syscall.h>

void __gcov_dump(void);
long __real_syscall(long number, ...);

long __wrap_syscall(long number, ...)
{
	long a[6];
	va_list ap;
	int i;

	/* syscall(2) takes up to six arguments; pass on as many */
	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_exit_group)
		__gcov_dump();
	return __real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
