// SPDX-License-Identifier: GPL-2.0
/*
 * Drives the planted-bug module through a fail-nth sweep, exactly as the
 * conformance tests drive the real commands, so that each planted bug is
 * met the way a real one would be.
 */
#include "fail_nth.h"

#define PLANT_RUN	_IO('P', 0x40)

/*
 * Three runs of the planted path per scenario: the sweep then fails each
 * run's second allocation in turn, and the leak build leaks three
 * objects, which kmemleak reports more reliably than one.
 */
FAIL_NTH_TEST(plant_run, "selfcheck")
{
	int fd = open("/dev/ioasid_plant", O_RDWR | O_CLOEXEC);
	long ret = 0;
	int i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 3 && !ret; i++)
		ret = ioasid_ioctl(fd, PLANT_RUN, NULL);
	close(fd);
	return ret < 0 ? ret : 0;
}

TEST_HARNESS_MAIN
