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

/* IOASID_ALLOC and IOASID_FREE. */
FAIL_NTH_TEST(alloc_free, "REQ-IOASID-ALLOC, REQ-IOASID-FREE, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	long id, ret;

	if (fd < 0)
		return -errno;
	id = ioasid_alloc_one(fd);
	if (id < 0) {
		close(fd);
		return id;
	}
	ret = ioasid_free_one(fd, id);
	/* after an injected failure nothing may be left: the number is gone */
	if (!ret && ioasid_free_one(fd, id) != -ENOENT)
		ret = -EBADE;
	close(fd);
	return ret;
}

/* Closing a descriptor that still holds IOASIDs. */
FAIL_NTH_TEST(alloc_then_close, "REQ-IOASID-CLOSE, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	unsigned int i;
	long id = 0;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 4 && id >= 0; i++)
		id = ioasid_alloc_one(fd);
	close(fd);
	return id < 0 ? id : 0;
}

TEST_HARNESS_MAIN
