// SPDX-License-Identifier: GPL-2.0
/*
 * Drives the planted-bug module through a fail-nth sweep, exactly as the
 * conformance tests drive the real commands, so that each planted bug is
 * met the way a real one would be.
 */
#include "fail_nth.h"

#define PLANT_RUN	_IO('P', 0x40)

FAIL_NTH_TEST(plant_run, "selfcheck")
{
	int fd = open("/dev/ioasid_plant", O_RDWR | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioasid_ioctl(fd, PLANT_RUN, NULL);
	close(fd);
	return ret < 0 ? ret : 0;
}

TEST_HARNESS_MAIN
