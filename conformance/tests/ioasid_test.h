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
#include "ioasid_testif.h"

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

#define NO_RESERVED	((size_t)-1)

/*
 * Check the argument rules every command shares (REQ-ARG-*), for a
 * command whose valid argument is @valid (@size bytes, the kernel's known
 * size; check_bad_args() for a first-version structure, whose minimum
 * size is the same, check_bad_args_min() with @min_size otherwise),
 * whose defined flags are @flags_mask, and which has a 32-bit reserved
 * field at @reserved_offset (NO_RESERVED if none).  Each malformed variant must fail with the
 * specified errno; the caller then checks that nothing changed.
 */
static inline void check_bad_args_min(struct __test_metadata *_metadata,
				      int fd, unsigned long cmd,
				      const void *valid, size_t size,
				      size_t min_size, uint32_t flags_mask,
				      size_t reserved_offset)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	const uint32_t small[] = { 0, 4, (uint32_t)min_size - 1 };
	unsigned int i;

	ASSERT_GE(sizeof(buf), size + 16);
#define RESET() do { memset(buf, 0, sizeof(buf)); memcpy(buf, valid, size); } while (0)
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		RESET();
		((uint32_t *)buf)[0] = small[i];
		EXPECT_EQ(-EINVAL, ioasid_ioctl(fd, cmd, buf))
			TH_LOG("argsz %u", small[i]);
	}
	RESET();
	((uint32_t *)buf)[0] = 4097;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(fd, cmd, buf));
	RESET();
	((uint32_t *)buf)[0] = size + 16;
	buf[size + 3] = 1;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(fd, cmd, buf));
	for (i = 0; i < 32; i++) {
		if (flags_mask & (1U << i))
			continue;
		RESET();
		((uint32_t *)buf)[1] |= 1U << i;
		EXPECT_EQ(-EOPNOTSUPP, ioasid_ioctl(fd, cmd, buf))
			TH_LOG("flag bit %u", i);
	}
	if (reserved_offset != NO_RESERVED) {
		RESET();
		*(uint32_t *)(buf + reserved_offset) = 1;
		EXPECT_EQ(-EINVAL, ioasid_ioctl(fd, cmd, buf));
	}
	EXPECT_EQ(-EFAULT, ioasid_ioctl(fd, cmd, NULL));
#undef RESET
}

static inline void check_bad_args(struct __test_metadata *_metadata, int fd,
				  unsigned long cmd, const void *valid,
				  size_t size, uint32_t flags_mask,
				  size_t reserved_offset)
{
	check_bad_args_min(_metadata, fd, cmd, valid, size, size, flags_mask,
			   reserved_offset);
}

/* IOASID_ALLOC, returning the new number or -errno. */
static inline long ioasid_alloc_one(int fd)
{
	struct ioasid_alloc arg = { .argsz = sizeof(arg) };
	long ret = ioasid_ioctl(fd, IOASID_ALLOC, &arg);

	return ret < 0 ? ret : (long)arg.out_ioasid;
}

/* IOASID_FREE, returning 0 or -errno. */
static inline long ioasid_free_one(int fd, uint32_t ioasid)
{
	struct ioasid_free arg = { .argsz = sizeof(arg), .ioasid = ioasid };

	return ioasid_ioctl(fd, IOASID_FREE, &arg);
}

/*
 * The conformance test interface (/dev/ioasid-test): open it and check
 * that it provides the capabilities @need.  Returns its descriptor, or -1
 * with *@why set to the reason the test must be skipped.
 */
static inline int testif_open(uint64_t need, const char **why)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };
	int fd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = "conformance test interface /dev/ioasid-test absent";
		return -1;
	}
	if (ioctl(fd, IOASID_TEST_GET_CAPS, &caps)) {
		*why = "IOASID_TEST_GET_CAPS failed";
		close(fd);
		return -1;
	}
	if ((caps.out_caps & need) != need) {
		*why = "conformance test interface lacks a needed capability";
		close(fd);
		return -1;
	}
	return fd;
}

/* A new test device with PASID width @pasid_bits: its descriptor, or -errno. */
static inline int testif_create_pasid_device(int testif, uint32_t pasid_bits)
{
	struct ioasid_test_create_device arg = {
		.argsz = sizeof(arg),
		.pasid_bits = pasid_bits,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_CREATE_DEVICE, &arg);

	return ret < 0 ? (int)ret : arg.out_fd;
}

/* A new test device without PASID support: its descriptor, or -errno. */
static inline int testif_create_device(int testif)
{
	return testif_create_pasid_device(testif, 0);
}

/* Bind a device; the label, or -errno. */
static inline long device_bind(int device, int ioasid_fd)
{
	struct ioasid_device_bind arg = {
		.argsz = sizeof(arg),
		.ioasid_fd = ioasid_fd,
	};
	long ret = ioasid_ioctl(device, IOASID_DEVICE_BIND, &arg);

	return ret < 0 ? ret : (long)arg.out_label;
}

/* Attach (@cmd IOASID_DEVICE_ATTACH) or detach a route; 0 or -errno. */
static inline long device_route(int device, unsigned long cmd,
				uint32_t ioasid, uint32_t flags,
				uint32_t pasid)
{
	struct ioasid_device_attach arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.ioasid = ioasid,
		.pasid = pasid,
	};

	return ioasid_ioctl(device, cmd, &arg);
}

#define device_attach(dev, ioasid) \
	device_route(dev, IOASID_DEVICE_ATTACH, ioasid, 0, 0)
#define device_detach(dev, ioasid) \
	device_route(dev, IOASID_DEVICE_DETACH, ioasid, 0, 0)
#define device_attach_pasid(dev, ioasid, pasid) \
	device_route(dev, IOASID_DEVICE_ATTACH, ioasid, IOASID_ATTACH_PASID, pasid)
#define device_detach_pasid(dev, ioasid, pasid) \
	device_route(dev, IOASID_DEVICE_DETACH, ioasid, IOASID_ATTACH_PASID, pasid)

static inline long device_unbind(int device)
{
	struct ioasid_device_unbind arg = { .argsz = sizeof(arg) };

	return ioasid_ioctl(device, IOASID_DEVICE_UNBIND, &arg);
}

#endif /* IOASID_TEST_H */
