// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for memory registration: IOASID_REGISTER_MEMORY and
 * IOASID_UNREGISTER_MEMORY, pinning and locked-memory accounting.  The
 * charge is observed as VmPin in /proc/self/status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "ioasid_test.h"

#define NPAGES	64


FIXTURE(mem) {
	int fd;
	long page;
	uint8_t *buf;		/* NPAGES writable, touched pages */
	long locked;		/* VmPin before the test, kB */
};

FIXTURE_SETUP(mem)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, NPAGES * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, NPAGES * self->page);
	self->locked = ioasid_pinned_kb();
	ASSERT_LE(0, self->locked);
}

FIXTURE_TEARDOWN(mem)
{
	close(self->fd);
	munmap(self->buf, NPAGES * self->page);
}

/* The charge this test added, in pages. */
#define charged_pages() \
	((ioasid_pinned_kb() - self->locked) * 1024 / self->page)

TEST_F(mem, register_pins_and_charges_unregister_undoes)
{
	REQ(REQ-MEM-PIN, REQ-MEM-UNREGISTER-MM);
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 16 * self->page));
	ASSERT_EQ(16, charged_pages());
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf + 16 * self->page,
				  self->page));
	ASSERT_EQ(17, charged_pages());
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, 16 * self->page));
	ASSERT_EQ(1, charged_pages());
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf + 16 * self->page,
				    self->page));
	ASSERT_EQ(0, charged_pages());
}

TEST_F(mem, invalid_ranges)
{
	uint8_t *ro, *hole;

	REQ(REQ-MEM-RANGE, REQ-ARG-NOCHANGE);
	/* misaligned, empty, outside the user address space, overflowing */
	EXPECT_EQ(-EINVAL, ioasid_register(self->fd, self->buf + 1, self->page));
	EXPECT_EQ(-EINVAL, ioasid_register(self->fd, self->buf, self->page - 1));
	EXPECT_EQ(-EINVAL, ioasid_register(self->fd, self->buf, self->page + 8));
	EXPECT_EQ(-EINVAL, ioasid_register(self->fd, self->buf, 0));
	EXPECT_EQ(-EINVAL, ioasid_memory(self->fd, IOASID_REGISTER_MEMORY,
					 (void *)0xffff800000000000ul,
					 self->page));
	EXPECT_EQ(-EINVAL, ioasid_memory(self->fd, IOASID_REGISTER_MEMORY,
					 (void *)-(uintptr_t)self->page,
					 2 * self->page));

	/* a read-only mapping */
	ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, ro, self->page));
	munmap(ro, self->page);

	/* a range whose second half is not mapped */
	hole = mmap(NULL, 8 * self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	memset(hole, 1, 4 * self->page);
	ASSERT_EQ(0, munmap(hole + 4 * self->page, 4 * self->page));
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, hole, 8 * self->page));
	/* nothing stayed charged or registered */
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, hole, 4 * self->page));
	EXPECT_EQ(0, ioasid_register(self->fd, hole, 4 * self->page));
	EXPECT_EQ(0, ioasid_unregister(self->fd, hole, 4 * self->page));
	munmap(hole, 4 * self->page);
}

TEST_F(mem, overlapping_ranges)
{
	uint8_t *mid = self->buf + 16 * self->page;

	REQ(REQ-MEM-OVERLAP-MM, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_register(self->fd, mid, 8 * self->page));
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, mid, 8 * self->page));
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, mid + 4 * self->page,
					8 * self->page));
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, mid - 4 * self->page,
					8 * self->page));
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, mid + 7 * self->page,
					self->page));
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, mid - 8 * self->page,
					24 * self->page));
	EXPECT_EQ(8, charged_pages());
	/* adjacent on both sides is fine */
	EXPECT_EQ(0, ioasid_register(self->fd, mid - self->page, self->page));
	EXPECT_EQ(0, ioasid_register(self->fd, mid + 8 * self->page, self->page));
	EXPECT_EQ(10, charged_pages());
	EXPECT_EQ(0, ioasid_unregister(self->fd, mid, 8 * self->page));
	EXPECT_EQ(0, ioasid_unregister(self->fd, mid - self->page, self->page));
	EXPECT_EQ(0, ioasid_unregister(self->fd, mid + 8 * self->page,
				    self->page));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(mem, unregister_needs_the_exact_range)
{
	uint8_t *b = self->buf;
	long p = self->page;

	REQ(REQ-MEM-UNREGISTER-MM, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_register(self->fd, b + 8 * p, 8 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 8 * p, 4 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 12 * p, 4 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b, 16 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 8 * p, 16 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 8 * p, 0));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 9 * p, 8 * p));
	EXPECT_EQ(-ENOENT, ioasid_memory(self->fd, IOASID_UNREGISTER_MEMORY,
					 (void *)-(uintptr_t)p, 2 * p));
	EXPECT_EQ(8, charged_pages());
	ASSERT_EQ(0, ioasid_unregister(self->fd, b + 8 * p, 8 * p));
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, b + 8 * p, 8 * p));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(mem, locked_memory_limit)
{
	struct rlimit limit;

	REQ(REQ-PIN-LIMIT, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_drop_ipc_lock());
	limit.rlim_cur = limit.rlim_max = self->locked * 1024 + 16 * self->page;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	EXPECT_EQ(-ENOMEM, ioasid_register(self->fd, self->buf, 32 * self->page));
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, self->buf,
					  32 * self->page));
	EXPECT_EQ(0, ioasid_register(self->fd, self->buf, 16 * self->page));
	EXPECT_EQ(16, charged_pages());
	/* the limit is full now */
	EXPECT_EQ(-ENOMEM, ioasid_register(self->fd, self->buf + 16 * self->page,
					self->page));
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf, 16 * self->page));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(mem, each_descriptor_charges_its_registrations)
{
	int other = ioasid_open();

	REQ(REQ-MEM-ACCOUNT);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 8 * self->page));
	ASSERT_EQ(0, ioasid_register(other, self->buf, 8 * self->page));
	EXPECT_EQ(16, charged_pages());
	/* the other descriptor's registration is its own */
	ASSERT_EQ(0, ioasid_unregister(other, self->buf, 8 * self->page));
	EXPECT_EQ(-ENOENT, ioasid_unregister(other, self->buf, 8 * self->page));
	EXPECT_EQ(8, charged_pages());
	close(other);
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, 8 * self->page));
}

TEST_F(mem, close_undoes_every_registration)
{
	unsigned int i;

	REQ(REQ-MEM-CLOSE);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, ioasid_register(self->fd, self->buf + 2 * i * self->page,
					  self->page));
	}
	EXPECT_EQ(8, charged_pages());
	ASSERT_EQ(0, close(self->fd));
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, charged_pages());
}

TEST_F(mem, register_bad_arguments)
{
	struct ioasid_register_memory valid = {
		.argsz = sizeof(valid),
		.vaddr = (uintptr_t)self->buf,
		.length = self->page,
	};

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	check_bad_args(_metadata, self->fd, IOASID_REGISTER_MEMORY, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	check_bad_args(_metadata, self->fd, IOASID_UNREGISTER_MEMORY, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, self->buf, self->page));
}

TEST_HARNESS_MAIN
