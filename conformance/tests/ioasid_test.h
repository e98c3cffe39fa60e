/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/ioasid conformance tests.
 *
 * Every test names the requirements it checks with REQ(), as its first
 * statement.  REQ() prints one KTAP diagnostic line, "# REQ: ID ID ...",
 * which the driver attaches to the test's result; the same text is what
 * the traceability check reads from the source.
 */
#ifndef IOASID_TEST_H
#define IOASID_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "kselftest_harness.h"

#define REQ(...) ksft_print_msg("REQ: %s\n", #__VA_ARGS__)

/*
 * Issue an ioctl and return its result, or -errno on failure, so that a
 * test can compare both outcomes with one assertion.
 */
static inline long ioasid_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline int ioasid_open(void)
{
	return open("/dev/ioasid", O_RDWR | O_CLOEXEC);
}

#endif /* IOASID_TEST_H */
