// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for the device node and the commands every program
 * issues first: IOASID_GET_API_VERSION and IOASID_CHECK_EXTENSION, and the
 * argument conventions that every later command shares.
 */
#include <sys/mman.h>

#include "ioasid_test.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/ioasid: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

/* A well-formed IOASID_CHECK_EXTENSION argument. */
static struct ioasid_check_extension check_arg(uint32_t extension)
{
	struct ioasid_check_extension arg = {
		.argsz = sizeof(arg),
		.extension = extension,
	};

	return arg;
}

/*
 * After a failed command the descriptor must still answer a valid
 * command exactly as before (REQ-ARG-NOCHANGE).
 */
static void expect_unchanged(struct __test_metadata *_metadata, int fd)
{
	struct ioasid_check_extension arg = check_arg(0);

	ASSERT_EQ(IOASID_API_VERSION,
		  ioasid_ioctl(fd, IOASID_GET_API_VERSION, NULL));
	ASSERT_EQ(0, ioasid_ioctl(fd, IOASID_CHECK_EXTENSION, &arg));
}

TEST(open_gives_independent_descriptors)
{
	int a, b;

	REQ(REQ-DEV-OPEN);
	a = ioasid_open();
	ASSERT_LE(0, a);
	b = ioasid_open();
	ASSERT_LE(0, b);
	ASSERT_NE(a, b);
	expect_unchanged(_metadata, a);
	ASSERT_EQ(0, close(a));
	/* closing one descriptor leaves the other working */
	expect_unchanged(_metadata, b);
	ASSERT_EQ(0, close(b));
}

TEST_F(dev, lseek_fails_with_espipe)
{
	REQ(REQ-DEV-NOSEEK);
	errno = 0;
	ASSERT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, lseek(self->fd, 16, SEEK_CUR));
	ASSERT_EQ(ESPIPE, errno);
}

TEST_F(dev, api_version)
{
	REQ(REQ-API-VERSION);
	ASSERT_EQ(1, IOASID_API_VERSION);
	ASSERT_EQ(IOASID_API_VERSION,
		  ioasid_ioctl(self->fd, IOASID_GET_API_VERSION, NULL));
}

TEST_F(dev, api_version_rejects_argument)
{
	struct ioasid_check_extension arg = check_arg(0);

	REQ(REQ-API-VERSION-ARG, REQ-ARG-NOCHANGE);
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_GET_API_VERSION,
					(void *)1UL));
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_GET_API_VERSION,
					&arg));
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, unknown_commands_fail_with_enotty)
{
	struct ioasid_check_extension arg = check_arg(0);
	const unsigned long bad[] = {
		/* just below and well above the defined numbers */
		_IO(IOASID_TYPE, IOASID_BASE - 1),
		_IO(IOASID_TYPE, IOASID_BASE + 0x23),
		_IO(IOASID_TYPE, 0xff),
		/* the right number with the wrong type */
		_IO('x', IOASID_BASE + 1),
		/* defined numbers with direction and size bits added */
		_IOW(IOASID_TYPE, IOASID_BASE + 1,
		     struct ioasid_check_extension),
		_IOWR(IOASID_TYPE, IOASID_BASE + 1,
		      struct ioasid_check_extension),
		_IOR(IOASID_TYPE, IOASID_BASE + 0, int),
	};
	unsigned int i;

	REQ(REQ-IOCTL-UNKNOWN, REQ-ARG-NOCHANGE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-ENOTTY, ioasid_ioctl(self->fd, bad[i], &arg))
			TH_LOG("command %#lx", bad[i]);
	}
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, check_extension_unknown_is_not_supported)
{
	const uint32_t numbers[] = { 0, 2, 7, 63, 64, 0xffff, 0x7fffffff,
				     0xffffffff };
	unsigned int i;

	REQ(REQ-EXT-RESULT);
	/*
	 * Numbers that this version of the interface does not assign must
	 * be answered 0, and none of them is an error.
	 */
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		struct ioasid_check_extension arg = check_arg(numbers[i]);

		EXPECT_EQ(0, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					  &arg))
			TH_LOG("extension %u", numbers[i]);
	}
}

TEST_F(dev, check_extension_known)
{
	struct ioasid_check_extension arg = check_arg(IOASID_EXT_REGISTER_MEMORY);

	REQ(REQ-EXT-RESULT, REQ-EXT-REGISTER-MEMORY);
	ASSERT_EQ(1, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, &arg));
}

TEST_F(dev, check_extension_answer_is_stable)
{
	int other = ioasid_open();
	uint32_t ext;

	REQ(REQ-EXT-STABLE);
	ASSERT_LE(0, other);
	for (ext = 0; ext < 256; ext++) {
		struct ioasid_check_extension a = check_arg(ext);
		struct ioasid_check_extension b = check_arg(ext);
		long first = ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, &a);

		ASSERT_LE(0, first);
		ASSERT_EQ(first, ioasid_ioctl(self->fd,
					      IOASID_CHECK_EXTENSION, &a));
		ASSERT_EQ(first, ioasid_ioctl(other,
					      IOASID_CHECK_EXTENSION, &b));
	}
	close(other);
}

TEST_F(dev, argsz_below_minimum)
{
	struct ioasid_check_extension arg = check_arg(0);
	const uint32_t sizes[] = { 0, 1, 4, 8, 12, 15 };
	unsigned int i;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-NOCHANGE);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		arg.argsz = sizes[i];
		EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd,
						IOASID_CHECK_EXTENSION, &arg))
			TH_LOG("argsz %u", sizes[i]);
	}
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, argsz_above_maximum)
{
	static uint8_t buf[8192] __attribute__((aligned(8)));
	struct ioasid_check_extension *arg = (void *)buf;

	REQ(REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-NOCHANGE);
	memset(buf, 0, sizeof(buf));
	arg->argsz = 4096;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, arg));
	arg->argsz = 4097;
	ASSERT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, arg));
	arg->argsz = 8192;
	ASSERT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, arg));
	arg->argsz = 0xffffffff;
	ASSERT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, arg));
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, argsz_beyond_known_size)
{
	struct {
		struct ioasid_check_extension arg;
		uint8_t tail[48];
	} big;
	unsigned int off;

	REQ(REQ-ARG-TAIL, REQ-ARG-NOCHANGE);
	memset(&big, 0, sizeof(big));
	big.arg.argsz = sizeof(big);
	big.arg.extension = 0xffff;
	/* a zero tail is accepted as if argsz were the known size */
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, &big));
	/* any non-zero byte in the tail is rejected */
	for (off = 0; off < sizeof(big.tail); off += 7) {
		big.tail[off] = 0x5a;
		EXPECT_EQ(-E2BIG, ioasid_ioctl(self->fd,
					       IOASID_CHECK_EXTENSION, &big))
			TH_LOG("tail byte %u", off);
		big.tail[off] = 0;
	}
	/* a non-zero byte beyond argsz is not looked at */
	big.arg.argsz = sizeof(big.arg) + 8;
	big.tail[8] = 1;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, &big));
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, unknown_flags)
{
	unsigned int bit;

	REQ(REQ-ARG-FLAGS, REQ-ARG-NOCHANGE);
	for (bit = 0; bit < 32; bit++) {
		struct ioasid_check_extension arg = check_arg(0);

		arg.flags = 1U << bit;
		EXPECT_EQ(-EOPNOTSUPP,
			  ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, &arg))
			TH_LOG("flag bit %u", bit);
	}
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, nonzero_reserved)
{
	struct ioasid_check_extension arg = check_arg(0);

	REQ(REQ-ARG-RESERVED, REQ-ARG-NOCHANGE);
	arg.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					&arg));
	arg.__reserved = 0x80000000;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					&arg));
	expect_unchanged(_metadata, self->fd);
}

TEST_F(dev, checks_run_in_specified_order)
{
	struct ioasid_check_extension arg = check_arg(0);
	static uint8_t buf[64] __attribute__((aligned(8)));
	struct ioasid_check_extension *big = (void *)buf;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED);
	/* a short argsz is reported before bad flags or reserved bytes */
	arg.argsz = 8;
	arg.flags = 1;
	arg.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					&arg));
	/* bad flags are reported before a bad reserved field */
	arg.argsz = sizeof(arg);
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					    &arg));
	/* a non-zero tail is reported before bad flags */
	memset(buf, 0, sizeof(buf));
	big->argsz = sizeof(buf);
	big->flags = 1;
	buf[sizeof(buf) - 1] = 1;
	ASSERT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, big));
}

TEST_F(dev, unreadable_argument)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ioasid_check_extension *arg;
	uint8_t *map;

	REQ(REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					NULL));

	/* two pages, the second inaccessible */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					map + page));

	/* the known part is readable, the zero tail that argsz claims is not */
	arg = (void *)(map + page - sizeof(*arg));
	*arg = check_arg(0);
	arg->argsz = sizeof(*arg) + 16;
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION,
					arg));
	/* the same argument with an in-bounds argsz is fine */
	arg->argsz = sizeof(*arg);
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_CHECK_EXTENSION, arg));
	munmap(map, 2 * page);
	expect_unchanged(_metadata, self->fd);
}

TEST_HARNESS_MAIN
