// SPDX-License-Identifier: GPL-2.0
/*
 * Fail-nth sweeps of every command (see fail_nth.h).  Each command added
 * to the interface gets its sweep here in the same change.
 */
#include "fail_nth.h"

/* Opening and closing the device. */
FAIL_NTH_TEST(open_close, "REQ-DEV-OPEN, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* IOASID_GET_API_VERSION on a fresh descriptor. */
FAIL_NTH_TEST(get_api_version, "REQ-API-VERSION, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioasid_ioctl(fd, IOASID_GET_API_VERSION, NULL);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == IOASID_API_VERSION ? 0 : -EBADE;
}

/* IOASID_CHECK_EXTENSION, with an argument longer than the kernel knows. */
FAIL_NTH_TEST(check_extension, "REQ-EXT-RESULT, REQ-ARG-TAIL, REQ-ERR-RESOURCE")
{
	struct {
		struct ioasid_check_extension arg;
		uint8_t tail[32];
	} big = { .arg = { .argsz = sizeof(big), .extension = 7 } };
	int fd = ioasid_open();
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioasid_ioctl(fd, IOASID_CHECK_EXTENSION, &big);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == 0 ? 0 : -EBADE;
}

TEST_HARNESS_MAIN
