// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests of what the core demands of the IOMMU behind it:
 * every command undoes its work when the IOMMU fails part way (driven with
 * the test interface's IOASID_TEST_FAIL_NEXT), an unmap or a detach
 * returns only after the DMA in flight has drained, and the reference
 * implementation's backend module stays loaded while a page table of it
 * exists.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "ioasid_test.h"

#define PG	4096L
#define IOVA	0x100000ull
#define POOL	64		/* pages to pick discontiguous ones from */
#define NRUN	4		/* pages, each a run of its own */

/* The page frame behind @p, from /proc/self/pagemap, or 0. */
static uint64_t pfn_of(const void *p)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry),
		  (uintptr_t)p / PG * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ull << 63)))
		return 0;
	return entry & ((1ull << 55) - 1);
}

/*
 * NRUN pages at consecutive addresses whose frames are not consecutive,
 * so that the core must hand them to the IOMMU as NRUN runs; page i holds
 * 0x60 + i.  Made by moving pages of a pool into place.  MAP_FAILED when
 * that cannot be arranged (page frames not visible, say).
 */
static uint8_t *discontiguous(void)
{
	uint8_t *pool = test_memory(POOL * PG, PG, 0), *win;
	bool used[POOL] = { false };
	uint64_t prev = 0, pfn;
	unsigned int i, k;

	if (pool == MAP_FAILED)
		return MAP_FAILED;
	win = mmap(NULL, NRUN * PG, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (win == MAP_FAILED)
		goto fail;
	for (i = 0; i < NRUN; i++) {
		for (k = 0; k < POOL; k++) {
			pfn = pfn_of(pool + k * PG);
			if (!used[k] && pfn && (!i || pfn != prev + 1))
				break;
		}
		if (k == POOL)
			goto fail_win;
		used[k] = true;
		if (mremap(pool + k * PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			   win + i * PG) != win + i * PG)
			goto fail_win;
		memset(win + i * PG, 0x60 + i, PG);
		prev = pfn_of(win + i * PG);
		if (prev != pfn)
			goto fail_win;
	}
	for (k = 0; k < POOL; k++)
		if (!used[k])
			munmap(pool + k * PG, PG);
	return win;

fail_win:
	munmap(win, NRUN * PG);
fail:
	for (k = 0; k < POOL; k++)
		if (!used[k])
			munmap(pool + k * PG, PG);
	return MAP_FAILED;
}

FIXTURE(be) {
	int testif;
	uint64_t caps;
	int fd;
	int dev;		/* class A, bound, RID attached to a */
	int dev2;		/* class A, bound, not attached */
	long a, b;		/* b: no device yet */
	uint8_t *buf;		/* 8 pages of 0x42 */
	long pinned;		/* VmPin at the start, kB */
};

FIXTURE_SETUP(be)
{
	const char *why = NULL;

	self->fd = self->dev = self->dev2 = -1;
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
	self->dev2 = testif_create_device(self->testif);
	ASSERT_LE(0, self->dev2);
	ASSERT_LE(1, device_bind(self->dev2, self->fd));
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
	self->buf = test_memory(8 * PG, PG, 0x42);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->pinned = ioasid_pinned_kb();
	ASSERT_LE(0, self->pinned);
}

FIXTURE_TEARDOWN(be)
{
	if (self->testif >= 0)
		testif_fail_none(self->testif);
	if (self->dev >= 0)
		close(self->dev);
	if (self->dev2 >= 0)
		close(self->dev2);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 8 * PG);
}

#define NEED_FAIL() do {						\
	if (!(self->caps & IOASID_TEST_CAP_FAIL))			\
		SKIP(return, "conformance test interface lacks FAIL");	\
} while (0)

/* Nothing of @n pages at @p is pinned, and VmPin is back where it was. */
#define EXPECT_NOTHING_PINNED(p, n) do {				\
	unsigned int __i;						\
									\
	for (__i = 0; __i < (n); __i++)					\
		EXPECT_EQ(0, testif_pinned(self->testif,		\
					   (p) + __i * PG))		\
			TH_LOG("page %u still pinned", __i);		\
	EXPECT_EQ(self->pinned, ioasid_pinned_kb());			\
} while (0)

TEST_F(be, fail_next_rejects_an_unknown_operation)
{
	struct ioasid_test_fail_next arg = {
		.argsz = sizeof(arg),
		.op = IOASID_TEST_FAIL_MAP,
		.nth = 1,
	};

	REQ(REQ-TESTIF-FAIL, REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL,
	    REQ-ARG-FLAGS, REQ-ARG-FAULT);
	NEED_FAIL();
	EXPECT_EQ(-EINVAL, testif_fail_next(self->testif, IOASID_TEST_FAIL_NR_KINDS,
					    1));
	EXPECT_EQ(-EINVAL, testif_fail_next(self->testif, 0xffffffffu, 1));
	check_bad_args(_metadata, self->testif, IOASID_TEST_FAIL_NEXT, &arg,
		       sizeof(arg), 0, NO_RESERVED);
	/* none of those armed anything */
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	/* disarming works too */
	EXPECT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_MAP, 1));
	EXPECT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_MAP, 0));
	EXPECT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
}

/*
 * The first attach of an IOASID makes its page table: when making it
 * fails, or pointing the route at it fails afterwards, the IOASID is as
 * it was, without a page table; a later attach works.
 */
TEST_F(be, a_first_attach_that_fails_leaves_no_page_table)
{
	static const uint32_t ops[] = {
		IOASID_TEST_FAIL_PGTABLE_ALLOC, IOASID_TEST_FAIL_ATTACH,
	};
	struct ioasid_info info;
	unsigned int k, op;

	REQ(REQ-ARG-NOCHANGE, REQ-ERR-RESOURCE, REQ-TESTIF-FAIL,
	    REQ-IOASID-NOCMD, REQ-INFO-EMPTY);
	NEED_FAIL();
	for (k = 0; k < 2; k++) {
		op = ops[k];
		ASSERT_EQ(0, testif_fail_next(self->testif, op, 1));
		EXPECT_EQ(-ENOMEM, device_attach(self->dev2, self->b))
			TH_LOG("operation %u", op);
		ASSERT_EQ(0, ioasid_get_info(self->fd, self->b, &info));
		EXPECT_EQ(0, info.out_flags);
		EXPECT_EQ(0, info.out_routes);
		EXPECT_EQ(-ENXIO, ioasid_map(self->fd, self->b, self->buf,
					     IOVA, PG, IOASID_DMA_RW));
		EXPECT_EQ(BLOCKED, dma_peek(self->dev2, IOVA));
		/* the route is free: it attaches, and detaches, again */
		ASSERT_EQ(0, device_attach(self->dev2, self->b));
		ASSERT_EQ(0, device_detach(self->dev2, self->b));
		ASSERT_EQ(0, ioasid_free_one(self->fd, self->b));
		self->b = ioasid_alloc_one(self->fd);
		ASSERT_LE(1, self->b);
	}
}

/*
 * A later attach that fails in the IOMMU leaves the IOASID, its page
 * table and its mappings, and the other routes, as they were.
 */
TEST_F(be, a_later_attach_that_fails_changes_nothing)
{
	struct ioasid_info info;

	REQ(REQ-ARG-NOCHANGE, REQ-ERR-RESOURCE, REQ-TESTIF-FAIL);
	NEED_FAIL();
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 2 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_ATTACH, 1));
	EXPECT_EQ(-ENOMEM, device_attach(self->dev2, self->a));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(1, info.out_routes);
	EXPECT_EQ(BLOCKED, dma_peek(self->dev2, IOVA));
	EXPECT_EQ(0x42, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(-ENOENT, device_detach(self->dev2, self->a));
	ASSERT_EQ(0, device_attach(self->dev2, self->a));
	EXPECT_EQ(0x42, dma_peek(self->dev2, IOVA + PG));
	EXPECT_EQ(2 * PG, ioasid_unmap_all(self->fd, self->a));
}

/*
 * A mapping whose pages form several runs is entered run by run; when
 * the IOMMU fails on the first, a middle or the last run, the runs
 * entered before are removed again, nothing stays pinned or charged, and
 * the same mapping then succeeds.  With and without registered memory.
 */
TEST_F(be, a_map_that_fails_part_way_is_undone)
{
	uint8_t *p = discontiguous();
	unsigned int nth, i, reg;

	REQ(REQ-ARG-NOCHANGE, REQ-ERR-RESOURCE, REQ-TESTIF-FAIL,
	    REQ-MAP-UNREGISTERED, REQ-MAP-REGISTERED-USE, REQ-MEM-BUSY);
	NEED_FAIL();
	if (p == MAP_FAILED)
		SKIP(return, "cannot arrange pages in separate runs");
	for (reg = 0; reg < 2; reg++) {
		if (reg) {
			ASSERT_EQ(0, ioasid_register(self->fd, p, NRUN * PG));
		}
		for (nth = 1; nth <= NRUN; nth++) {
			ASSERT_EQ(0, testif_fail_next(self->testif,
						      IOASID_TEST_FAIL_MAP,
						      nth));
			EXPECT_EQ(-ENOMEM, ioasid_map(self->fd, self->a, p,
						      IOVA, NRUN * PG,
						      IOASID_DMA_RW))
				TH_LOG("run %u of %u failed", nth, NRUN);
			for (i = 0; i < NRUN; i++) {
				EXPECT_EQ(BLOCKED,
					  dma_peek(self->dev, IOVA + i * PG))
					TH_LOG("run %u, page %u mapped", nth, i);
			}
			if (!reg) {
				EXPECT_NOTHING_PINNED(p, NRUN);
			}
			EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
		}
		/* unarmed, the same mapping works, with every page */
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, p, IOVA, NRUN * PG,
					IOASID_DMA_RW));
		for (i = 0; i < NRUN; i++) {
			EXPECT_EQ(0x60 + (int)i,
				  dma_peek(self->dev, IOVA + i * PG));
		}
		EXPECT_EQ(NRUN * PG, ioasid_unmap_all(self->fd, self->a));
		/* the failures left no use of the registration behind */
		if (reg) {
			EXPECT_EQ(0, ioasid_unregister(self->fd, p, NRUN * PG));
		}
		EXPECT_NOTHING_PINNED(p, NRUN);
	}
	munmap(p, NRUN * PG);
}

/*
 * The reference implementation's backend module: after the last device
 * is gone, the IOASID's page table still belongs to it, so it cannot be
 * unloaded, and every command keeps working; once the descriptor is
 * closed, nothing holds the module any more.
 */
static long module_refcnt(const char *name)
{
	char path[128], text[32] = "";
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(text, sizeof(text), f))
		n = strtol(text, NULL, 10);
	fclose(f);
	return n;
}

TEST(backend_module_stays_while_its_page_table_lives)
{
	const char *why = NULL;
	struct ioasid_info info;
	uint8_t *buf = test_memory(2 * PG, PG, 0x42);
	int testif, fd, dev;
	long a, ret;

	REQ(REQ-IMPL-UNLOAD);
	if (module_refcnt("ioasid_mock") < 0)
		SKIP(return, "the reference implementation's ioasid_mock is not loaded");
	testif = testif_open(IOASID_TEST_CAP_DEVICE, &why);
	if (testif < 0)
		SKIP(return, "%s", why);
	ASSERT_NE(MAP_FAILED, buf);
	fd = ioasid_open();
	ASSERT_LE(0, fd);
	dev = testif_create_device(testif);
	ASSERT_LE(0, dev);
	ASSERT_LE(1, device_bind(dev, fd));
	a = ioasid_alloc_one(fd);
	ASSERT_LE(1, a);
	ASSERT_EQ(0, device_attach(dev, a));
	ASSERT_EQ(0, ioasid_map(fd, a, buf, IOVA, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, device_detach(dev, a));
	ASSERT_EQ(0, close(dev));
	ASSERT_EQ(0, close(testif));
	/* only the page table refers to the module now */
	EXPECT_LE(1, module_refcnt("ioasid_mock"));
	ret = syscall(SYS_delete_module, "ioasid_mock", O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
		TH_LOG("delete_module: errno %d", errno);
	if (ret == 0)	/* the module is gone: touching the IOASID would crash */
		return;
	ASSERT_EQ(0, ioasid_get_info(fd, a, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(48, info.out_addr_width);
	EXPECT_EQ(0, ioasid_map(fd, a, buf + PG, IOVA + PG, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(2 * PG, ioasid_unmap_all(fd, a));
	EXPECT_EQ(0, ioasid_free_one(fd, a));
	/* the page table is gone with the IOASID: the module is free */
	EXPECT_EQ(0, module_refcnt("ioasid_mock"));
	a = ioasid_alloc_one(fd);
	ASSERT_LE(1, a);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, module_refcnt("ioasid_mock"));
	munmap(buf, 2 * PG);
}

/*
 * Unmap and detach return only after the DMA in flight has drained: a
 * thread keeps writing 64 KiB through the device, the main thread removes
 * the translation, takes a copy of the memory at once, waits until the
 * device has issued two more DMAs (both now blocked), and compares.  A
 * DMA that was translated before the command but landed after its return
 * shows as a difference.  Repeated, since each round catches the race
 * only when the command lands in the middle of a DMA.
 */
#define SPAN	(16 * PG)
#define ROUNDS	150

struct writer {
	int dev;
	uint64_t iova;
	atomic_bool stop;
	atomic_ulong issued;	/* DMAs completed, whatever their status */
	atomic_ulong landed;	/* of which went through */
	atomic_long error;	/* a DMA that failed with an errno */
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	static uint8_t data[SPAN];
	unsigned long n = 0;
	long st;

	while (!atomic_load(&w->stop)) {
		memset(data, 1 + n++ % 250, SPAN);
		st = dma_write(w->dev, w->iova, data, SPAN);
		if (st < 0)
			atomic_store(&w->error, st);
		else if (st == IOASID_TEST_DMA_OK)
			atomic_fetch_add(&w->landed, 1);
		atomic_fetch_add(&w->issued, 1);
	}
	return NULL;
}

static void wait_issued(struct writer *w, unsigned long target)
{
	while (atomic_load(&w->issued) < target && !atomic_load(&w->error))
		sched_yield();
}

static void race_rounds(struct __test_metadata *_metadata, int fd, int dev,
			long ioasid, bool detach)
{
	uint8_t *mem = test_memory(SPAN, PG, 0), *copy = malloc(SPAN);
	struct writer w = { .dev = dev, .iova = IOVA };
	unsigned int round, late = 0;
	pthread_t thread;
	unsigned long seen;

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ(0, ioasid_map(fd, ioasid, mem, IOVA, SPAN, IOASID_DMA_RW));
	ASSERT_EQ(0, pthread_create(&thread, NULL, write_loop, &w));
	for (round = 0; round < ROUNDS && !atomic_load(&w.error); round++) {
		/* wait until a DMA went through, so one is likely in flight */
		seen = atomic_load(&w.landed);
		while (atomic_load(&w.landed) == seen && !atomic_load(&w.error))
			sched_yield();
		if (detach) {
			ASSERT_EQ(0, device_detach(dev, ioasid));
		} else {
			ASSERT_EQ(SPAN, ioasid_unmap(fd, ioasid, IOVA, SPAN));
		}
		memcpy(copy, mem, SPAN);
		wait_issued(&w, atomic_load(&w.issued) + 2);
		if (memcmp(copy, mem, SPAN))
			late++;
		if (detach) {
			ASSERT_EQ(0, device_attach(dev, ioasid));
		} else {
			ASSERT_EQ(0, ioasid_map(fd, ioasid, mem, IOVA, SPAN,
						IOASID_DMA_RW));
		}
	}
	atomic_store(&w.stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, atomic_load(&w.error));
	EXPECT_EQ(0, late)
		TH_LOG("%u of %u rounds saw a DMA land after the %s returned",
		       late, round, detach ? "detach" : "unmap");
	EXPECT_EQ(ROUNDS, round);
	EXPECT_EQ(SPAN, ioasid_unmap_all(fd, ioasid));
	free(copy);
	munmap(mem, SPAN);
}

TEST_F(be, no_dma_lands_after_unmap_returns)
{
	REQ(REQ-UNMAP-BLOCKS);
	race_rounds(_metadata, self->fd, self->dev, self->a, false);
}

TEST_F(be, no_dma_lands_after_detach_returns)
{
	REQ(REQ-DETACH-BLOCKS);
	race_rounds(_metadata, self->fd, self->dev, self->a, true);
}

TEST_HARNESS_MAIN
