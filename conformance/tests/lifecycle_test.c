// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for the life of an IOASID: IOASID_ALLOC, IOASID_FREE,
 * the numbers they use, and what closing the descriptor does.
 */
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "ioasid_test.h"

FIXTURE(ctx) {
	int fd;
};

FIXTURE_SETUP(ctx)
{
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/ioasid: %s", strerror(errno));
}

FIXTURE_TEARDOWN(ctx)
{
	close(self->fd);
}

/* Numbers after @last that a descriptor has not handed out must be unknown. */
static void expect_unknown_after(struct __test_metadata *_metadata, int fd,
				 long last, unsigned int count)
{
	unsigned int i;

	for (i = 1; i <= count; i++) {
		EXPECT_EQ(-ENOENT, ioasid_free_one(fd, last + i))
			TH_LOG("number %ld", last + i);
	}
}

TEST_F(ctx, alloc_returns_distinct_numbers_in_range)
{
	long ids[64];
	unsigned int i, j;

	REQ(REQ-IOASID-ALLOC, REQ-IOASID-NUMBER);
	for (i = 0; i < 64; i++) {
		struct ioasid_alloc arg = {
			.argsz = sizeof(arg),
			.out_ioasid = 0xdeadbeef,	/* ignored on input */
		};

		ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_ALLOC, &arg));
		ids[i] = arg.out_ioasid;
		ASSERT_LE(1, ids[i]);
		ASSERT_GE(INT_MAX, ids[i]);
		for (j = 0; j < i; j++) {
			ASSERT_NE(ids[j], ids[i]);
		}
	}
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, ioasid_free_one(self->fd, ids[i]));
	}
}

TEST_F(ctx, freed_number_names_nothing)
{
	long id;

	REQ(REQ-IOASID-FREE, REQ-IOASID-UNKNOWN);
	id = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, id);
	ASSERT_EQ(0, ioasid_free_one(self->fd, id));
	ASSERT_EQ(-ENOENT, ioasid_free_one(self->fd, id));
}

TEST_F(ctx, unknown_numbers_fail_with_enoent)
{
	const uint32_t numbers[] = { 0, 1, 2, 1000, INT_MAX, 0x80000000u,
				     0xffffffffu };
	unsigned int i;
	long id;

	REQ(REQ-IOASID-UNKNOWN, REQ-ARG-NOCHANGE);
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		EXPECT_EQ(-ENOENT, ioasid_free_one(self->fd, numbers[i]))
			TH_LOG("number %u", numbers[i]);
	}
	/* nothing was created or destroyed by the failures */
	id = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, id);
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		if (numbers[i] != id)
			EXPECT_EQ(-ENOENT,
				  ioasid_free_one(self->fd, numbers[i]));
	}
	ASSERT_EQ(0, ioasid_free_one(self->fd, id));
}

TEST_F(ctx, numbers_are_local_to_the_descriptor)
{
	int other = ioasid_open();
	long mine, theirs;

	REQ(REQ-IOASID-LOCAL, REQ-IOASID-UNKNOWN);
	ASSERT_LE(0, other);
	mine = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, mine);
	/* the other descriptor has no IOASID of that number */
	ASSERT_EQ(-ENOENT, ioasid_free_one(other, mine));
	/* a number the other descriptor hands out is its own */
	theirs = ioasid_alloc_one(other);
	ASSERT_LE(1, theirs);
	ASSERT_EQ(0, ioasid_free_one(other, theirs));
	/* whatever the numbers, ours survived both */
	ASSERT_EQ(0, ioasid_free_one(self->fd, mine));
	/* and closing the other descriptor leaves ours alone */
	mine = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, mine);
	theirs = ioasid_alloc_one(other);
	ASSERT_LE(1, theirs);
	ASSERT_EQ(0, close(other));
	ASSERT_EQ(0, ioasid_free_one(self->fd, mine));
}

TEST_F(ctx, numbers_are_handed_out_next_fit)
{
	int fresh = ioasid_open();
	long first, last, id, keep[4];
	unsigned int i;

	REQ(REQ-IOASID-NEXT);
	ASSERT_LE(0, fresh);
	/* a new descriptor starts at 1 */
	EXPECT_EQ(1, ioasid_alloc_one(fresh));
	EXPECT_EQ(2, ioasid_alloc_one(fresh));
	close(fresh);
	/* each number is the one after the last, freed ones skipped */
	first = last = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, first);
	for (i = 0; i < 100; i++) {
		id = ioasid_alloc_one(self->fd);
		ASSERT_EQ(last + 1, id)
			TH_LOG("allocation %u", i);
		if (i % 3) {
			ASSERT_EQ(0, ioasid_free_one(self->fd, id));
		}
		last = id;
	}
	/* numbers in use above the cursor are stepped over */
	for (i = 0; i < 4; i++)
		keep[i] = ioasid_alloc_one(self->fd);
	ASSERT_EQ(last + 4, keep[3]);
	ASSERT_EQ(0, ioasid_free_one(self->fd, first));
	EXPECT_EQ(last + 5, ioasid_alloc_one(self->fd));
}

TEST_F(ctx, alloc_that_cannot_respond_creates_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ioasid_alloc *arg;
	long before;
	void *map;

	REQ(REQ-IOASID-ALLOC-COPY, REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	before = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, before);

	/* a valid argument in memory the kernel can read but not write */
	map = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	arg = map;
	arg->argsz = sizeof(*arg);
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_ALLOC, arg));
	munmap(map, page);

	/* no number after the last one handed out names an IOASID */
	expect_unknown_after(_metadata, self->fd, before, 8);
	ASSERT_EQ(0, ioasid_free_one(self->fd, before));
}

TEST_F(ctx, alloc_bad_arguments)
{
	struct ioasid_alloc valid = { .argsz = sizeof(valid) };
	long before;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-RESERVED, REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	before = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, before);
	check_bad_args(_metadata, self->fd, IOASID_ALLOC, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_alloc, __reserved));
	expect_unknown_after(_metadata, self->fd, before, 16);
	ASSERT_EQ(0, ioasid_free_one(self->fd, before));
}

TEST_F(ctx, free_bad_arguments)
{
	struct ioasid_free valid = { .argsz = sizeof(valid) };
	long id;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-RESERVED, REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	id = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, id);
	valid.ioasid = id;
	check_bad_args(_metadata, self->fd, IOASID_FREE, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_free, __reserved));
	/* none of the malformed calls freed it */
	ASSERT_EQ(0, ioasid_free_one(self->fd, id));
}

TEST(close_destroys_every_ioasid)
{
	unsigned int round, i;

	REQ(REQ-IOASID-CLOSE);
	/*
	 * The debug kernel's kmemleak scan after the run finds any IOASID
	 * that close left behind; here, closing must work with many live
	 * IOASIDs and leave new descriptors unaffected.
	 */
	for (round = 0; round < 4; round++) {
		int fd = ioasid_open();

		ASSERT_LE(0, fd);
		for (i = 0; i < 1000; i++) {
			ASSERT_LE(1, ioasid_alloc_one(fd));
		}
		ASSERT_EQ(0, close(fd));
	}
	{
		int fd = ioasid_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(-ENOENT, ioasid_free_one(fd, 1));
		ASSERT_EQ(0, close(fd));
	}
}

TEST_F(ctx, inherited_descriptor_shares_its_ioasids)
{
	long id = ioasid_alloc_one(self->fd);
	int status;
	pid_t pid;

	REQ(REQ-IOASID-CLOSE, REQ-IOASID-LOCAL, REQ-DEV-OPEN);
	ASSERT_LE(1, id);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int own = ioasid_open();

		/* the child's own descriptor shares nothing ... */
		if (own < 0 || ioasid_free_one(own, id) != -ENOENT)
			_exit(1);
		close(own);
		/* ... the inherited one shares everything */
		_exit(ioasid_free_one(self->fd, id) == 0 ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* the child freed it through the shared descriptor */
	ASSERT_EQ(-ENOENT, ioasid_free_one(self->fd, id));
}

struct racer {
	int fd;
	long ids[200];
	int error;
};

static void *alloc_many(void *p)
{
	struct racer *r = p;
	unsigned int i;

	for (i = 0; i < 200; i++) {
		r->ids[i] = ioasid_alloc_one(r->fd);
		if (r->ids[i] < 1) {
			r->error = (int)r->ids[i];
			break;
		}
	}
	return NULL;
}

static void *free_many(void *p)
{
	struct racer *r = p;
	unsigned int i;

	for (i = 0; i < 200; i++) {
		long ret = ioasid_free_one(r->fd, r->ids[i]);

		if (ret) {
			r->error = (int)ret;
			break;
		}
	}
	return NULL;
}

TEST_F(ctx, concurrent_alloc_and_free)
{
	struct racer a = { .fd = self->fd }, b = { .fd = self->fd };
	pthread_t ta, tb;
	unsigned int i, j;

	REQ(REQ-IOASID-NUMBER, REQ-IOASID-FREE);
	ASSERT_EQ(0, pthread_create(&ta, NULL, alloc_many, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, alloc_many, &b));
	ASSERT_EQ(0, pthread_join(ta, NULL));
	ASSERT_EQ(0, pthread_join(tb, NULL));
	ASSERT_EQ(0, a.error);
	ASSERT_EQ(0, b.error);
	for (i = 0; i < 200; i++)
		for (j = 0; j < 200; j++) {
			ASSERT_NE(a.ids[i], b.ids[j]);
		}
	ASSERT_EQ(0, pthread_create(&ta, NULL, free_many, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, free_many, &b));
	ASSERT_EQ(0, pthread_join(ta, NULL));
	ASSERT_EQ(0, pthread_join(tb, NULL));
	ASSERT_EQ(0, a.error);
	ASSERT_EQ(0, b.error);
}

TEST_HARNESS_MAIN
