// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for pinned memory: who is charged for it (the user,
 * across fork and descriptor passing), whose memory a registration and a
 * mapping stand for (the caller's, as it is when the command runs), that
 * pages a device may have written are marked dirty when they are unpinned,
 * that a huge request fails at once, without work or warnings in
 * proportion to its length, and that a free gives back the pages of the
 * commands it raced with before it returns.
 *
 * Tests that need a limit of their own run in a child process as a user
 * of their own (setuid() also drops CAP_IPC_LOCK), so that the count of
 * that user starts at zero and no other process shares it.
 */
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/userfaultfd.h>

#include "ioasid_test.h"

#define PG	4096L
#define IOVA	0x100000ull
#define HUGE	(1ull << 41)		/* 2 TiB */

/* A check in a child process: report it and exit with status 1. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child %d: %s:%d: %s (errno %d)\n",	\
			getpid(), __FILE__, __LINE__, #cond, errno);	\
		_exit(1);						\
	}								\
} while (0)

/* A user ID that no other test and no earlier run of this one uses. */
static uid_t fresh_uid(void)
{
	static unsigned int n;

	return 40000 + (getpid() % 1000) * 16 + n++ % 16;
}

/*
 * In a child: become @uid, without CAP_IPC_LOCK, with a locked-memory
 * limit of @limit bytes.
 */
static void become(uid_t uid, rlim_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };

	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setgid(uid) == 0);
	CHECK(setuid(uid) == 0);
}

/* Wait for @pid and expect it to have exited with status 0. */
#define EXPECT_CHILD_OK(pid) do {					\
	int __st = 0;							\
									\
	ASSERT_EQ(pid, waitpid(pid, &__st, 0));				\
	EXPECT_TRUE(WIFEXITED(__st) && WEXITSTATUS(__st) == 0)		\
		TH_LOG("child status %#x", __st);			\
} while (0)

/* Send or receive one descriptor over a Unix socket; 0/the fd, or -1. */
static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

FIXTURE(pin) {
	int testif;
	uint64_t caps;
	int fd;
	int dev;		/* class A, bound, RID attached to a */
	long a;
	uint8_t *buf;		/* 16 pages, page i filled with 0x10 + i */
};

FIXTURE_SETUP(pin)
{
	const char *why = NULL;
	unsigned int i;

	self->fd = self->dev = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_PINNED, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 0,
					    &self->dev, &self->a));
	self->buf = test_memory(16 * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < 16; i++)
		memset(self->buf + i * PG, 0x10 + i, PG);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->testif >= 0)
		testif_fail_none(self->testif);
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 16 * PG);
}

/*
 * A user at its limit stays there in every process it runs: a forked
 * child, a process that got the descriptor over a socket, and a process
 * with a descriptor of its own.  A count per process would let each of
 * them pin up to the limit again.
 */
TEST_F(pin, the_limit_is_the_users_across_fork_and_passing)
{
	uid_t uid = fresh_uid();
	int sv[2];
	pid_t pid, stranger;

	REQ(REQ-PIN-LIMIT, REQ-PIN-USER, REQ-MAP-UNREGISTERED);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* a process of the same user that shares nothing with the other */
	stranger = fork();
	ASSERT_LE(0, stranger);
	if (!stranger) {
		int fd, own;
		char c;

		close(sv[0]);
		become(uid, 16 * PG);
		fd = recv_fd(sv[1]);
		CHECK(fd >= 0);
		/* the owner holds the whole limit: nothing fits here */
		CHECK(ioasid_register(fd, self->buf + 8 * PG, PG) == -ENOMEM);
		CHECK(ioasid_map(fd, self->a, self->buf + 8 * PG, 4 * IOVA,
				 PG, IOASID_DMA_RW) == -ENOMEM);
		own = ioasid_open();
		CHECK(own >= 0);
		CHECK(ioasid_register(own, self->buf + 8 * PG, PG) == -ENOMEM);
		CHECK(ioasid_pinned_kb() == 0);
		/* once the owner gave its pages back, they fit */
		CHECK(write(sv[1], "x", 1) == 1);
		CHECK(read(sv[1], &c, 1) == 1);
		CHECK(ioasid_register(own, self->buf, 16 * PG) == 0);
		CHECK(ioasid_pinned_kb() == 16 * PG / 1024);
		CHECK(ioasid_register(fd, self->buf, PG) == -ENOMEM);
		CHECK(ioasid_unregister(own, self->buf, 16 * PG) == 0);
		CHECK(ioasid_register(fd, self->buf, PG) == 0);
		_exit(0);
	}
	close(sv[1]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t child;
		char c;

		become(uid, 16 * PG);
		CHECK(ioasid_register(self->fd, self->buf, 8 * PG) == 0);
		CHECK(ioasid_map(self->fd, self->a, self->buf + 8 * PG, IOVA,
				 8 * PG, IOASID_DMA_RW) == 0);
		CHECK(ioasid_pinned_kb() == 16 * PG / 1024);
		/* a child starts with a VmPin of 0, not with a new limit */
		child = fork();
		CHECK(child >= 0);
		if (!child) {
			CHECK(ioasid_pinned_kb() == 0);
			CHECK(ioasid_register(self->fd, self->buf + 12 * PG,
					      PG) == -ENOMEM);
			CHECK(ioasid_map(self->fd, self->a, self->buf,
					 2 * IOVA, PG, IOASID_DMA_READ) ==
			      -ENOMEM);
			CHECK(ioasid_pinned_kb() == 0);
			_exit(0);
		}
		CHECK(waitpid(child, &child, 0) > 0 && child == 0);
		CHECK(send_fd(sv[0], self->fd) == 0);
		CHECK(read(sv[0], &c, 1) == 1);
		/* give everything back, and let the stranger try again */
		CHECK(ioasid_unmap_all(self->fd, self->a) == 8 * PG);
		CHECK(ioasid_unregister(self->fd, self->buf, 8 * PG) == 0);
		CHECK(ioasid_pinned_kb() == 0);
		CHECK(write(sv[0], "x", 1) == 1);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_CHILD_OK(stranger);
	close(sv[0]);
}

/*
 * A charge goes back to the user it was taken from, whoever causes the
 * unpin and after the process that pinned has exited; the VmPin of the
 * process that unpins does not change.
 */
TEST_F(pin, the_charge_goes_back_to_who_paid)
{
	uid_t uid = fresh_uid();
	long before = ioasid_pinned_kb();
	pid_t pid;

	REQ(REQ-PIN-UNCHARGE, REQ-PIN-USER);
	ASSERT_LE(0, before);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		become(uid, 8 * PG);
		CHECK(ioasid_map(self->fd, self->a, self->buf, IOVA, 8 * PG,
				 IOASID_DMA_RW) == 0);
		_exit(0);	/* the mapping outlives its maker */
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(0x13, dma_peek(self->dev, IOVA + 3 * PG));
	/* this process did not pin them and is not charged */
	EXPECT_EQ(before, ioasid_pinned_kb());
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		become(uid, 8 * PG);
		CHECK(ioasid_register(self->fd, self->buf + 8 * PG, PG) ==
		      -ENOMEM);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(before, ioasid_pinned_kb());
	/* the user has its whole limit again */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		become(uid, 8 * PG);
		CHECK(ioasid_register(self->fd, self->buf + 8 * PG, 8 * PG) ==
		      0);
		CHECK(ioasid_unregister(self->fd, self->buf + 8 * PG,
					8 * PG) == 0);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
}

/*
 * A registration stands for the memory of the process that made it.  A
 * forked child has its own copy of that memory (the pinned pages stay
 * with the parent): its mappings must reach what it sees, its own pages,
 * pinned and charged for it, and the parent's registration is not its to
 * remove.
 */
TEST_F(pin, a_registration_belongs_to_its_process)
{
	pid_t pid;

	REQ(REQ-MAP-REGISTERED-USE, REQ-MAP-UNREGISTERED, REQ-MEM-UNREGISTER-MM,
	    REQ-MEM-OVERLAP-MM, REQ-MAP);
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 8 * PG));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t page[PG];

		memset(self->buf, 0xc5, 8 * PG);	/* the child's copy */
		CHECK(ioasid_pinned_kb() == 0);
		CHECK(ioasid_map(self->fd, self->a, self->buf, IOVA, 8 * PG,
				 IOASID_DMA_RW) == 0);
		CHECK(ioasid_pinned_kb() == 8 * PG / 1024);
		CHECK(dma_read(self->dev, IOVA + 2 * PG, page, PG) ==
		      IOASID_TEST_DMA_OK);
		CHECK(page[0] == 0xc5 && page[PG - 1] == 0xc5);
		/* a device write lands in the child's memory */
		memset(page, 0x5c, PG);
		CHECK(dma_write(self->dev, IOVA + 3 * PG, page, PG) ==
		      IOASID_TEST_DMA_OK);
		CHECK(self->buf[3 * PG] == 0x5c);
		/* the parent's registration is not the child's */
		CHECK(ioasid_unregister(self->fd, self->buf, 8 * PG) ==
		      -ENOENT);
		CHECK(ioasid_register(self->fd, self->buf + 8 * PG, PG) == 0);
		CHECK(ioasid_unregister(self->fd, self->buf + 8 * PG, PG) ==
		      0);
		CHECK(ioasid_unmap_all(self->fd, self->a) == 8 * PG);
		CHECK(ioasid_pinned_kb() == 0);
		/* and the same range may be registered by the child */
		CHECK(ioasid_register(self->fd, self->buf, 8 * PG) == 0);
		CHECK(ioasid_unregister(self->fd, self->buf, 8 * PG) == 0);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* the parent's memory and registration are as they were */
	EXPECT_EQ(0x13, self->buf[3 * PG]);
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 8 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(0x12, dma_peek(self->dev, IOVA + 2 * PG));
	EXPECT_EQ(-EBUSY, ioasid_unregister(self->fd, self->buf, 8 * PG));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf, 8 * PG));
}

/*
 * Memory unmapped and mapped again at the registered addresses is not the
 * registered memory: a mapping of it is refused, and the device never
 * reaches the old pages, which the program can no longer see.
 */
TEST_F(pin, a_stale_registration_is_refused)
{
	uint8_t *p = self->buf + 8 * PG, *again;

	REQ(REQ-MAP-REGISTERED-USE, REQ-ARG-NOCHANGE, REQ-MEM-UNREGISTER-MM);
	ASSERT_EQ(0, ioasid_register(self->fd, p, 4 * PG));
	again = mmap(p + PG, PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p + PG, again);
	memset(again, 0x77, PG);
	EXPECT_EQ(-ESTALE, ioasid_map(self->fd, self->a, p, IOVA, 4 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ESTALE, ioasid_map(self->fd, self->a, p + PG, IOVA, PG,
				      IOASID_DMA_READ));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
	/* the pages around it are still the registered ones */
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, p + 2 * PG, IOVA, 2 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(0x1a, dma_peek(self->dev, IOVA));
	EXPECT_EQ(2 * PG, ioasid_unmap_all(self->fd, self->a));
	/* the stale registration can go; then the new page maps */
	EXPECT_EQ(0, ioasid_unregister(self->fd, p, 4 * PG));
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, p + PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(0x77, dma_peek(self->dev, IOVA));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
}

/*
 * Registered memory that was made read-only, or unmapped, without being
 * unregistered: a map of it fails with EFAULT as a map of such memory
 * outside a registration would, read-only memory still maps for reading,
 * and a failed map changes nothing (no mapping, no further pin or charge).
 */
TEST_F(pin, registered_memory_made_read_only_or_unmapped_faults)
{
	uint8_t *p = self->buf + 4 * PG;
	long before;

	REQ(REQ-MAP-FAULT, REQ-MAP-REGISTERED-USE, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_register(self->fd, p, 4 * PG));
	before = ioasid_pinned_kb();
	ASSERT_EQ(0, mprotect(p + PG, PG, PROT_READ));
	/* for writing: the read-only page faults, wherever it is in the range */
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, p, IOVA, 4 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, p + PG, IOVA, PG,
				      IOASID_DMA_WRITE));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(before, ioasid_pinned_kb());
	/* for reading it is still the registered page */
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, p, IOVA, 4 * PG,
				IOASID_DMA_READ));
	EXPECT_EQ(0x15, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(before, ioasid_pinned_kb());
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));

	/* a hole in the middle, then at the start of the range */
	ASSERT_EQ(0, munmap(p + 2 * PG, PG));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, p, IOVA, 4 * PG,
				      IOASID_DMA_READ));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, p + 2 * PG, IOVA,
				      2 * PG, IOASID_DMA_READ));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + 3 * PG));
	EXPECT_EQ(before, ioasid_pinned_kb());
	/* the pages around the hole still map */
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, p + 3 * PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(0x17, dma_peek(self->dev, IOVA));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	/* the registration still goes as a whole, and gives back its pages */
	EXPECT_EQ(0, ioasid_unregister(self->fd, p, 4 * PG));
	EXPECT_EQ(before - 4 * (long)PG / 1024, ioasid_pinned_kb());
	/* the fixture's munmap of the whole buffer covers the hole too */
}

/*
 * Read-only memory cannot be registered, and is mapped for reading while
 * other memory is registered.
 */
TEST_F(pin, read_only_memory_maps_beside_registrations)
{
	uint8_t *ro = test_memory(2 * PG, PG, 0x3c);
	long before = ioasid_pinned_kb();

	REQ(REQ-MEM-RANGE, REQ-MAP-FAULT, REQ-MAP-UNREGISTERED);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, mprotect(ro, 2 * PG, PROT_READ));
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 4 * PG));
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, ro, 2 * PG));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, ro, IOVA, 2 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(0, testif_pinned(self->testif, ro));
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, ro, IOVA, 2 * PG,
				IOASID_DMA_READ));
	EXPECT_EQ(0x3c, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ((4 + 2) * PG / 1024, ioasid_pinned_kb() - before);
	EXPECT_EQ(2 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf, 4 * PG));
	EXPECT_EQ(before, ioasid_pinned_kb());
	munmap(ro, 2 * PG);
}

/*
 * Pages pinned for writing are marked dirty as they are unpinned: the
 * pages of a registration, and those of a writable mapping; the pages of a
 * read-only mapping are not.  Fresh anonymous pages are clean as far as
 * the page's own flag goes (the dirty bit is in the page table entry),
 * which is what makes the difference visible.
 */
TEST_F(pin, pages_a_device_may_write_are_dirtied)
{
	uint8_t *p = test_memory(6 * PG, PG, 0x21);
	unsigned int i;

	REQ(REQ-PIN-DIRTY, REQ-TESTIF-DIRTY);
	if (!(self->caps & IOASID_TEST_CAP_DIRTY))
		SKIP(return, "conformance test interface lacks DIRTY");
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, testif_dirty(self->testif, p + i * PG))
			TH_LOG("page %u is dirty before anything", i);
	}
	/* pages 0-1 registered, 2-3 mapped writable, 4-5 read-only */
	ASSERT_EQ(0, ioasid_register(self->fd, p, 2 * PG));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, p, IOVA, 2 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, p + 2 * PG, IOVA + 2 * PG,
				2 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, p + 4 * PG, IOVA + 4 * PG,
				2 * PG, IOASID_DMA_READ));
	EXPECT_EQ(6 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(1, testif_dirty(self->testif, p + 2 * PG));
	EXPECT_EQ(1, testif_dirty(self->testif, p + 3 * PG));
	EXPECT_EQ(0, testif_dirty(self->testif, p + 4 * PG));
	EXPECT_EQ(0, testif_dirty(self->testif, p + 5 * PG));
	EXPECT_EQ(0, ioasid_unregister(self->fd, p, 2 * PG));
	EXPECT_EQ(1, testif_dirty(self->testif, p));
	EXPECT_EQ(1, testif_dirty(self->testif, p + PG));
	/* and so does the end of the context */
	ASSERT_EQ(0, ioasid_register(self->fd, p + 4 * PG, PG));
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, testif_pinned(self->testif, p + 4 * PG));
	EXPECT_EQ(1, testif_dirty(self->testif, p + 4 * PG));
	munmap(p, 6 * PG);
}

/*
 * Requests for 2 TiB: beyond the limit they fail at once with ENOMEM;
 * with CAP_IPC_LOCK, over memory that cannot be pinned, at the first page
 * with EFAULT.  Neither may allocate in proportion to the length, which
 * the kernel log would show as a warning of the allocator.
 */
TEST_F(pin, huge_requests_fail_at_once)
{
	char why[1024];
	int kmsg = kmsg_open();
	uint8_t *none;
	pid_t pid;

	REQ(REQ-PIN-BOUNDED, REQ-PIN-LIMIT, REQ-ARG-NOCHANGE);
	if (kmsg < 0)
		SKIP(return, "cannot read the kernel log");
	none = mmap(NULL, HUGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		become(fresh_uid(), 64 * PG);
		CHECK(ioasid_register(self->fd, none, HUGE) == -ENOMEM);
		CHECK(ioasid_map(self->fd, self->a, none, 1ull << 42, HUGE,
				 IOASID_DMA_RW) == -ENOMEM);
		CHECK(ioasid_pinned_kb() == 0);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* with CAP_IPC_LOCK the limit does not apply; the memory does */
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, none, HUGE));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, none, 1ull << 42,
				      HUGE, IOASID_DMA_RW));
	/* a page of memory, then 2 TiB less a page that cannot be pinned */
	ASSERT_EQ(0, mprotect(none, PG, PROT_READ | PROT_WRITE));
	memset(none, 0x99, PG);
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, none, HUGE));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, none, 1ull << 42,
				      HUGE, IOASID_DMA_READ));
	EXPECT_EQ(0, testif_pinned(self->testif, none));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, 1ull << 42));
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(NULL, kmsg_bad(kmsg, why, sizeof(why)))
		TH_LOG("kernel log: %s", why);
	munmap(none, HUGE);
	close(kmsg);
}

/* A MAP_DMA on another thread, and its result. */
struct map_job {
	int fd;
	uint32_t ioasid;
	void *p;
	uint64_t length;
	long ret;
	volatile int done;
};

static void *map_thread(void *arg)
{
	struct map_job *job = arg;

	job->ret = ioasid_map(job->fd, job->ioasid, job->p, IOVA, job->length,
			      IOASID_DMA_RW);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * IOASID_FREE while another thread's MAP_DMA on the same IOASID is still
 * pinning: when the free returns, the map has returned too and not one of
 * its pages is still pinned.  The memory is untouched, so that the map
 * faults every page in and the free surely meets it running; an attempt in
 * which the map ended before the free began proves nothing and is made
 * again.
 */
TEST_F(pin, a_free_returns_after_the_pages_of_racing_commands)
{
	const uint64_t len = 64ull << 20;
	long before = ioasid_pinned_kb();
	int attempt, raced = 0;

	REQ(REQ-IOASID-FREE-DRAIN, REQ-PIN-UNCHARGE, REQ-IOASID-UNKNOWN);
	ASSERT_LE(0, before);
	for (attempt = 0; attempt < 5 && !raced; attempt++) {
		struct map_job job = { .fd = self->fd, .length = len };
		pthread_t thread;
		int dev = -1;
		long b, i;

		ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 0,
						    &dev, &b));
		/* a page table, no route: the IOASID maps and can be freed */
		ASSERT_EQ(0, device_detach(dev, b));
		job.ioasid = b;
		job.p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_NE(MAP_FAILED, job.p);
		madvise(job.p, len, MADV_NOHUGEPAGE);
		ASSERT_EQ(0, pthread_create(&thread, NULL, map_thread, &job));
		while (ioasid_pinned_kb() == before &&
		       !__atomic_load_n(&job.done, __ATOMIC_ACQUIRE))
			sched_yield();
		raced = !__atomic_load_n(&job.done, __ATOMIC_ACQUIRE);
		EXPECT_EQ(0, ioasid_free_one(self->fd, b));
		EXPECT_EQ(before, ioasid_pinned_kb());
		for (i = 0; i < 8; i++)
			EXPECT_EQ(0, testif_pinned(self->testif,
					(uint8_t *)job.p + i * (len / 8)));
		pthread_join(thread, NULL);
		/* the map began first; it mapped, and the free undid it */
		if (raced)
			EXPECT_EQ(0, job.ret);
		EXPECT_EQ(before, ioasid_pinned_kb());
		EXPECT_EQ(-ENOENT, ioasid_map(self->fd, b, self->buf, IOVA, PG,
					      IOASID_DMA_RW));
		munmap(job.p, len);
		close(dev);
	}
	EXPECT_TRUE(raced)
		TH_LOG("the map ended before the free began in every attempt");
}

/* The state letter of process @pid in /proc/PID/stat, or 0. */
static char process_state(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	p = p ? strrchr(line, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * A map of one page of new memory on another thread, which waits in the
 * kernel for a userfaultfd handler (this thread) to answer its fault:
 * returns the userfaultfd, the fault read, with the map holding the
 * IOASID's lock; -1 and *@why when the kernel has no userfaultfd, or when
 * its long-term pins do not wait for one (6.1: the map then fails with
 * EFAULT at once, and has been joined).
 */
static int start_waiting_map(struct map_job *job, pthread_t *thread,
			     const char **why)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffd_msg msg;
	struct pollfd pfd;
	int uffd, i;

	*why = "no userfaultfd";
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -1;
	job->length = PG;
	job->p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)job->p;
	reg.range.len = PG;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	*why = "userfaultfd cannot be set up";
	if (job->p == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(thread, NULL, map_thread, job)) {
		close(uffd);
		return -1;
	}
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	for (i = 0; i < 100 && !poll(&pfd, 1, 100) &&
		    !__atomic_load_n(&job->done, __ATOMIC_ACQUIRE); i++)
		;
	if (__atomic_load_n(&job->done, __ATOMIC_ACQUIRE) ||
	    poll(&pfd, 1, 10000) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		pthread_join(*thread, NULL);
		*why = "a long-term pin does not wait for userfaultfd here";
		close(uffd);
		return -1;
	}
	return uffd;
}

/* The map of start_waiting_map() gets its page (the content of @src). */
static int answer_waiting_map(int uffd, struct map_job *job, const void *src)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)job->p,
		.src = (uintptr_t)src,
		.len = PG,
	};

	return ioctl(uffd, UFFDIO_COPY, &copy);
}

/*
 * A free that waits for a map which itself waits for the program (its
 * memory is served by a userfaultfd handler that does not answer yet),
 * and whose thread is then killed: the IOASID is not freed, and once the
 * handler answers, the map completes into it as if no free had been
 * issued.  The free runs in a child that shares the descriptor by fork,
 * since only a whole process can be killed.  While the map waits, no other
 * command on the IOASID is issued: the map holds the IOASID's lock as it
 * pins (see the locking of DMA mapping in the reference), so such a
 * command would wait for the handler too.
 */
TEST_F(pin, a_killed_free_leaves_the_ioasid_as_it_was)
{
	struct map_job job = { .fd = self->fd };
	struct ioasid_info info;
	pthread_t thread;
	int uffd, dev = -1, status, i;
	const char *why;
	long b, before;
	pid_t child;

	REQ(REQ-IOASID-FREE-KILLED, REQ-IOASID-FREE-DRAIN, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 0, &dev,
					    &b));
	/* a page table, no route: the IOASID maps and can be freed */
	ASSERT_EQ(0, device_detach(dev, b));
	job.ioasid = b;
	before = ioasid_pinned_kb();

	/* the map holds the IOASID and waits for the handler */
	uffd = start_waiting_map(&job, &thread, &why);
	if (uffd < 0) {
		/* where the pin did not wait, the map failed at once */
		if (job.done)
			EXPECT_EQ(-EFAULT, job.ret);
		EXPECT_EQ(before, ioasid_pinned_kb());
		if (job.p != MAP_FAILED)
			munmap(job.p, PG);
		close(dev);
		SKIP(return, "%s", why);
	}

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(ioasid_free_one(self->fd, b) ? 1 : 0);
	/* the free's thread sleeps, waiting for the map's hold to end */
	for (i = 0; i < 10000 && process_state(child) != 'D'; i++)
		usleep(1000);
	EXPECT_EQ('D', process_state(child));
	EXPECT_FALSE(__atomic_load_n(&job.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_FALSE(__atomic_load_n(&job.done, __ATOMIC_ACQUIRE));

	/* the handler answers; the map completes into the IOASID */
	EXPECT_EQ(0, answer_waiting_map(uffd, &job, self->buf));
	pthread_join(thread, NULL);
	EXPECT_EQ(0, job.ret);
	/* the IOASID is there, with the mapping the free did not undo */
	EXPECT_EQ(0, ioasid_get_info(self->fd, b, &info));
	EXPECT_EQ(before + PG / 1024, ioasid_pinned_kb());
	EXPECT_EQ(1, testif_pinned(self->testif, job.p));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, b));
	EXPECT_EQ(before, ioasid_pinned_kb());
	EXPECT_EQ(0, ioasid_free_one(self->fd, b));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, b, &info));
	munmap(job.p, PG);
	close(uffd);
	close(dev);
}

/* An attach on another thread, and its result. */
struct attach_job {
	int dev;
	uint32_t ioasid;
	long ret;
	volatile pid_t tid;
	volatile int done;
};

static void *attach_thread(void *arg)
{
	struct attach_job *job = arg;

	job->tid = (pid_t)syscall(SYS_gettid);
	job->ret = device_attach(job->dev, job->ioasid);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *free_thread(void *arg)
{
	struct attach_job *job = arg;	/* dev is the descriptor here */

	job->tid = (pid_t)syscall(SYS_gettid);
	job->ret = ioasid_free_one(job->dev, job->ioasid);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Has the thread of @job gone to sleep in its command?  (D in a kernel,
 * S where the wait is an ordinary one, as in the user-space harness.) */
static bool job_sleeps(struct attach_job *job)
{
	int i;

	for (i = 0; i < 10000; i++) {
		char state = job->tid ? process_state(job->tid) : 0;

		if (state == 'D' || state == 'S')
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * An attach to an IOASID that a free removes while the attach waits:
 * the attach fails with ENOENT, the free succeeds, and the device is
 * attached nowhere.  The attach is made to wait behind another attach of
 * the same descriptor, which itself waits for the lock of an IOASID whose
 * map waits for a userfaultfd handler; so the free starts after the
 * attach found the IOASID and before it could use it.
 */
TEST_F(pin, an_attach_to_an_ioasid_that_is_being_freed_fails)
{
	struct map_job map = { .fd = self->fd, .ioasid = self->a };
	struct attach_job first = { 0 }, second = { 0 }, freeing = { 0 };
	pthread_t tmap, t1, t2, t3;
	struct ioasid_info info;
	int uffd, dev1, dev2;
	const char *why;
	long b;

	REQ(REQ-IOASID-FREE-DRAIN, REQ-IOASID-UNKNOWN, REQ-ATTACH-STATE);
	dev1 = testif_create_pasid_device(self->testif, 0);
	dev2 = testif_create_pasid_device(self->testif, 0);
	ASSERT_LE(0, dev1);
	ASSERT_LE(0, dev2);
	ASSERT_LE(0, device_bind(dev1, self->fd));
	ASSERT_LE(0, device_bind(dev2, self->fd));
	b = ioasid_alloc_one(self->fd);
	ASSERT_LT(0, b);

	uffd = start_waiting_map(&map, &tmap, &why);
	if (uffd < 0) {
		if (map.p != MAP_FAILED)
			munmap(map.p, PG);
		close(dev1);
		close(dev2);
		SKIP(return, "%s", why);
	}
	/* the first attach takes the descriptor's attach lock and waits for
	 * the lock of self->a, which the map holds */
	first = (struct attach_job){ .dev = dev1, .ioasid = self->a };
	ASSERT_EQ(0, pthread_create(&t1, NULL, attach_thread, &first));
	ASSERT_TRUE(job_sleeps(&first));
	/* the second finds b, holds it, and waits for the attach lock */
	second = (struct attach_job){ .dev = dev2, .ioasid = b };
	ASSERT_EQ(0, pthread_create(&t2, NULL, attach_thread, &second));
	ASSERT_TRUE(job_sleeps(&second));
	/* the free of b begins, and waits for the second attach's hold */
	freeing = (struct attach_job){ .dev = self->fd, .ioasid = b };
	ASSERT_EQ(0, pthread_create(&t3, NULL, free_thread, &freeing));
	ASSERT_TRUE(job_sleeps(&freeing));
	EXPECT_FALSE(map.done || first.done || second.done || freeing.done);

	EXPECT_EQ(0, answer_waiting_map(uffd, &map, self->buf));
	pthread_join(tmap, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	EXPECT_EQ(0, map.ret);
	EXPECT_EQ(0, first.ret);
	EXPECT_EQ(-ENOENT, second.ret);
	EXPECT_EQ(0, freeing.ret);
	/* b is gone; the second device is attached nowhere, the first is */
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, b, &info));
	EXPECT_EQ(-ENOENT, device_detach(dev2, b));
	EXPECT_EQ(0, device_unbind(dev2));
	EXPECT_EQ(0, device_detach(dev1, self->a));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	munmap(map.p, PG);
	close(uffd);
	close(dev1);
	close(dev2);
}

static void *nest_thread(void *arg)
{
	struct attach_job *job = arg;	/* dev is the descriptor here */

	job->tid = (pid_t)syscall(SYS_gettid);
	job->ret = ioasid_nest(job->dev, job->ioasid);
	__atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A child created on an IOASID that a free removes while the creation
 * waits: the creation fails with ENOENT and leaves no child, the free
 * succeeds.  The creation holds the parent and waits for its lock, which
 * a map holds while it waits for a userfaultfd handler; the free begins
 * meanwhile, since the parent has no route attached.
 */
TEST_F(pin, a_child_of_an_ioasid_that_is_being_freed_is_not_made)
{
	struct map_job map = { .fd = self->fd };
	struct attach_job nest = { 0 }, freeing = { 0 };
	pthread_t tmap, t1, t2;
	struct ioasid_info info;
	const char *why;
	long b, next;
	int dev, uffd;

	REQ(REQ-IOASID-FREE-DRAIN, REQ-IOASID-UNKNOWN, REQ-NEST-CREATE-STATE,
	    REQ-NEST-FREE-PARENT);
	dev = testif_create_pasid_device(self->testif, 0);
	ASSERT_LE(0, dev);
	ASSERT_LE(0, device_bind(dev, self->fd));
	b = ioasid_alloc_one(self->fd);
	ASSERT_LT(0, b);
	/* b has a page table and no route */
	ASSERT_EQ(0, device_attach(dev, b));
	ASSERT_EQ(0, device_detach(dev, b));
	map.ioasid = b;

	uffd = start_waiting_map(&map, &tmap, &why);
	if (uffd < 0) {
		if (map.p != MAP_FAILED)
			munmap(map.p, PG);
		close(dev);
		SKIP(return, "%s", why);
	}
	nest = (struct attach_job){ .dev = self->fd, .ioasid = b };
	ASSERT_EQ(0, pthread_create(&t1, NULL, nest_thread, &nest));
	ASSERT_TRUE(job_sleeps(&nest));
	freeing = (struct attach_job){ .dev = self->fd, .ioasid = b };
	ASSERT_EQ(0, pthread_create(&t2, NULL, free_thread, &freeing));
	ASSERT_TRUE(job_sleeps(&freeing));
	EXPECT_FALSE(map.done || nest.done || freeing.done);

	EXPECT_EQ(0, answer_waiting_map(uffd, &map, self->buf));
	pthread_join(tmap, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	EXPECT_EQ(0, map.ret);
	EXPECT_EQ(-ENOENT, nest.ret);
	EXPECT_EQ(0, freeing.ret);
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, b, &info));
	/* the failed creation made no child: the next number is b + 1 */
	next = ioasid_alloc_one(self->fd);
	EXPECT_EQ(b + 1, next);
	EXPECT_EQ(0, testif_pinned(self->testif, map.p));
	munmap(map.p, PG);
	close(uffd);
	close(dev);
}

TEST_HARNESS_MAIN
