// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests that check ranges whole, not only at their edges: IOVA
 * ranges against the permitted ranges of an IOASID, memory ranges with one
 * bad page in the middle, and unmap and map ranges over several mappings
 * and the gaps between them.
 *
 * Every refused command is checked for its errno and for having changed
 * nothing, page by page: each page of each mapping is still reached by DMA
 * and still pinned, each page of the refused request is still blocked,
 * no page of the memory it named is pinned, and neither VmPin nor VmLck
 * moved.
 *
 * The devices, their DMA and the pinned state of pages come from the
 * conformance test interface (capabilities DEVICE, DMA and PINNED);
 * without them every test here is skipped.  Unless a test says otherwise
 * the device sits behind a class A mock IOMMU: 4 KiB granule (the CPU's
 * page), 48-bit IOVAs, the reserved window 0xfee00000-0xfeefffff.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ioasid_test.h"

#define PG		4096L		/* CPU page, class A granule */
#define BG		0x10000L	/* class B granule */
#define IOVA		0x100000ull	/* where tests map */
#define NPG		24		/* pages of the fixture's buffer */
#define SENT_IOVA	(1ull << 32)	/* the fixture's sentinel mapping */
#define NSENT		4		/* its pages */
#define RESV_PAGES	((long)((MOCK_RESV_LAST + 1 - MOCK_RESV_START) / PG))
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* What this process has charged: a refused command changes neither. */
struct charge {
	long pin_kb;	/* VmPin */
	long lck_kb;	/* VmLck */
};

static struct charge charge_now(void)
{
	struct charge c = { .pin_kb = ioasid_pinned_kb(),
			    .lck_kb = ioasid_vmlck_kb() };

	return c;
}

#define EXPECT_CHARGE(c) do {						\
	struct charge __now = charge_now();				\
									\
	EXPECT_LE(0, __now.pin_kb);					\
	EXPECT_EQ((c).pin_kb, __now.pin_kb);				\
	EXPECT_EQ((c).lck_kb, __now.lck_kb);				\
} while (0)

FIXTURE(rng) {
	int testif;
	int fd;
	int dev;		/* class A, bound; RID attached to a */
	long a;
	uint8_t *buf;		/* NPG pages, told apart by fill_pages() */
	uint8_t *sent;		/* NSENT pages, mapped at SENT_IOVA in a */
};

FIXTURE_SETUP(rng)
{
	const char *why = NULL;

	self->fd = self->dev = -1;
	self->buf = self->sent = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE |
				   IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_PINNED, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 0,
					    &self->dev, &self->a));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x10);
	/* a mapping no test touches: every refusal must leave it alone */
	self->sent = test_memory(NSENT * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->sent);
	fill_pages(self->sent, NSENT, 0xa0);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->sent, SENT_IOVA,
				NSENT * PG, IOASID_DMA_RW));
}

FIXTURE_TEARDOWN(rng)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
	if (self->sent != MAP_FAILED)
		munmap(self->sent, NSENT * PG);
}

/* The sentinel mapping is whole, reached page by page, and pinned. */
#define EXPECT_SENTINEL() do {						\
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, SENT_IOVA, self->sent, \
				       NSENT));				\
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->sent,	\
					    NSENT, 1));			\
} while (0)

/*
 * Nothing of a refused IOASID_MAP_DMA of @n pages to @iova exists: no page
 * of the @mem_pages pages of memory at @mem is pinned, every page of the
 * IOVA range below @top is blocked, the charge is still @c, and the
 * sentinel is intact.
 */
#define EXPECT_NOT_MAPPED(dev, mem, mem_pages, iova, n, top, c) do {	\
	uint64_t __end = (iova) + (n) * PG;				\
	long __below = (iova) >= (top) ? 0 :				\
		(long)(((__end < (top) ? __end : (top)) - (iova)) / PG); \
									\
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem,		\
					    mem_pages, 0));		\
	EXPECT_EQ(-1, first_reachable_page(dev, NO_PASID, iova, __below));	\
	EXPECT_CHARGE(c);						\
	EXPECT_SENTINEL();						\
} while (0)

TEST_F(rng, map_across_the_reserved_window)
{
	const uint64_t rs = MOCK_RESV_START, above = MOCK_RESV_LAST + 1;
	const long margin = 16, n = RESV_PAGES + 2 * margin;
	/*
	 * The first IOVA and the pages of each refused request: the window,
	 * inside it; from below it into its first page, into its middle, to
	 * its end; from its middle, from its last page, to above it; from
	 * below it to above it.
	 */
	const struct { uint64_t iova; long npages; } bad[] = {
		{ rs, RESV_PAGES },
		{ rs + PG, RESV_PAGES - 2 },
		{ rs - margin * PG, margin + 1 },
		{ rs - margin * PG, margin + RESV_PAGES / 2 },
		{ rs - margin * PG, margin + RESV_PAGES },
		{ rs + RESV_PAGES / 2 * PG, RESV_PAGES / 2 + margin },
		{ above - PG, 1 + margin },
		{ rs - margin * PG, n },
	};
	struct ioasid_iova_range ranges[4], reserved[4];
	struct ioasid_info info;
	struct charge c;
	unsigned int i;
	uint8_t *w;

	REQ(REQ-MAP-RANGE, REQ-INFO-RANGES, REQ-ARG-NOCHANGE, REQ-MAP,
	    REQ-UNMAP, REQ-TESTIF-PINNED);
	/* the window is where the test interface says it is */
	ASSERT_EQ(0, ioasid_get_info_ranges(self->fd, self->a, &info, ranges,
					    4, reserved, 4));
	ASSERT_EQ(2, info.num_ranges);
	ASSERT_EQ(1, info.num_reserved);
	EXPECT_EQ(rs, reserved[0].start);
	EXPECT_EQ(MOCK_RESV_LAST, reserved[0].last);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(rs - 1, ranges[0].last);
	EXPECT_EQ(above, ranges[1].start);
	EXPECT_EQ((1ull << 48) - 1, ranges[1].last);

	w = test_memory(n * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, w);
	fill_pages(w, n, 0x30);
	c = charge_now();
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, w, bad[i].iova,
					      bad[i].npages * PG,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
		EXPECT_NOT_MAPPED(self->dev, w, n, bad[i].iova, bad[i].npages,
				  1ull << 48, c);
	}
	/* right up to the window on both sides is permitted */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, w, rs - margin * PG,
				margin * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, w + (n - margin) * PG,
				above, margin * PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, rs - margin * PG, w, margin));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, above,
				       w + (n - margin) * PG, margin));
	/* the range is checked before the overlap: ERANGE, not EEXIST */
	c = charge_now();
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, w, rs - margin * PG,
				      n * PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, rs, RESV_PAGES));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, w + margin * PG,
					    RESV_PAGES, 0));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, w, margin, 1));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, rs - margin * PG, w, margin));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, above,
				       w + (n - margin) * PG, margin));
	EXPECT_CHARGE(c);
	EXPECT_SENTINEL();
	/* an unmap may span the window: it removes both */
	EXPECT_EQ(2 * margin * PG, ioasid_unmap(self->fd, self->a,
						rs - margin * PG, n * PG));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, rs - margin * PG, n));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, w, n, 0));
	EXPECT_SENTINEL();
	munmap(w, n * PG);
}

TEST_F(rng, map_at_the_top_of_the_address_width)
{
	const uint64_t top = 1ull << 48;	/* class A: 48-bit IOVAs */
	const long n = 16;
	const struct { uint64_t iova; long npages; } bad[] = {
		{ top - n * PG, n + 1 },	/* one granule across the top */
		{ top - PG, 2 },
		{ top - (n - 1) * PG, n },
		{ top, 1 },
		{ top, n },
	};
	struct charge c = charge_now();
	uint8_t byte = 0;
	unsigned int i;

	REQ(REQ-MAP-RANGE, REQ-MAP, REQ-ARG-NOCHANGE, REQ-UNMAP-BLOCKS,
	    REQ-TESTIF-PINNED);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
					      bad[i].iova, bad[i].npages * PG,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
		EXPECT_NOT_MAPPED(self->dev, self->buf, NPG, bad[i].iova,
				  bad[i].npages, top, c);
	}
	/* the last granule below the top */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 5 * PG,
				top - PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, top - PG, self->buf + 5 * PG,
				       1));
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, top - 1, &byte, 1));
	EXPECT_EQ(self->buf[6 * PG - 1], byte);
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, top - PG, PG));
	/* n granules that end exactly at the top, every one reached */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, top - n * PG,
				n * PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, top - n * PG, self->buf, n));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, n, 1));
	EXPECT_EQ(n * PG, ioasid_unmap(self->fd, self->a, top - n * PG,
				       n * PG));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, top - n * PG, n));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
	EXPECT_CHARGE(c);
	EXPECT_SENTINEL();
}

TEST_F(rng, class_b_ranges_are_checked_whole)
{
	const uint64_t top = 1ull << 39;	/* class B: 39-bit IOVAs */
	const uint64_t rs = MOCK_RESV_START, above = MOCK_RESV_LAST + 1;
	const long gp = BG / PG;		/* CPU pages per granule */
	const long n = (long)((above - rs) / BG) + 2;	/* granules */
	const struct { uint64_t iova; long granules; } bad[] = {
		{ top - 4 * BG, 5 },		/* one granule across the top */
		{ top - BG, 2 },
		{ top, 1 },
		{ rs - BG, n },			/* across the window */
		{ rs, n - 2 },			/* the window */
		{ rs - BG, 2 },			/* into its first granule */
		{ above - BG, 2 },		/* from its last granule */
	};
	struct charge c;
	unsigned int i;
	long b;
	int dev;
	uint8_t *m;

	REQ(REQ-MAP-RANGE, REQ-MAP, REQ-ARG-NOCHANGE, REQ-UNMAP-BLOCKS,
	    REQ-TESTIF-PINNED);
	dev = testif_create_class_device(self->testif, IOASID_TEST_IOMMU_B);
	ASSERT_LE(0, dev);
	ASSERT_LE(1, device_bind(dev, self->fd));
	b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach(dev, b));
	m = test_memory(n * BG, BG, 0);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, n * gp, 0x50);
	c = charge_now();
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-ERANGE, ioasid_map(self->fd, b, m, bad[i].iova,
					      bad[i].granules * BG,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
		EXPECT_NOT_MAPPED(dev, m, n * gp, bad[i].iova,
				  bad[i].granules * gp, top, c);
	}
	/* four granules that end exactly at the top, every page reached */
	ASSERT_EQ(0, ioasid_map(self->fd, b, m, top - 4 * BG, 4 * BG,
				IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(dev, NO_PASID, top - 4 * BG, m, 4 * gp));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, 4 * gp, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m + 4 * BG,
					    (n - 4) * gp, 0));
	/* and right up to the window on both sides */
	ASSERT_EQ(0, ioasid_map(self->fd, b, m + 4 * BG, rs - BG, BG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, b, m + 5 * BG, above, BG,
				IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(dev, NO_PASID, rs - BG, m + 4 * BG, gp));
	EXPECT_EQ(-1, first_wrong_page(dev, NO_PASID, above, m + 5 * BG, gp));
	EXPECT_EQ(6 * BG, ioasid_unmap_all(self->fd, b));
	EXPECT_EQ(-1, first_reachable_page(dev, NO_PASID, top - 4 * BG, 4 * gp));
	EXPECT_EQ(-1, first_reachable_page(dev, NO_PASID, rs - BG, gp));
	EXPECT_EQ(-1, first_reachable_page(dev, NO_PASID, above, gp));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, n * gp, 0));
	EXPECT_CHARGE(c);
	EXPECT_SENTINEL();
	close(dev);
	munmap(m, n * BG);
}

TEST_F(rng, map_with_a_read_only_page_in_the_middle)
{
	const long n = 16, where[] = { 8, 1, n - 1 };
	const uint32_t refused[] = { IOASID_DMA_RW, IOASID_DMA_WRITE };
	uint8_t data[16];
	struct charge c;
	unsigned int i, j;
	uint8_t *m;

	REQ(REQ-MAP-FAULT, REQ-ARG-NOCHANGE, REQ-MAP, REQ-MAP-PERM,
	    REQ-TESTIF-PINNED);
	m = test_memory(n * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, n, 0x70);
	memset(data, 0xee, sizeof(data));
	for (i = 0; i < ARRAY_LEN(where); i++) {
		ASSERT_EQ(0, mprotect(m + where[i] * PG, PG, PROT_READ));
		c = charge_now();
		for (j = 0; j < ARRAY_LEN(refused); j++) {
			EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, m,
						      IOVA, n * PG,
						      refused[j]))
				TH_LOG("read-only page %ld, flags %#x",
				       where[i], refused[j]);
			/* not one page of the range stays pinned */
			EXPECT_NOT_MAPPED(self->dev, m, n, IOVA, n,
					  1ull << 48, c);
		}
		/* for reading only, the range maps whole */
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, m, IOVA, n * PG,
					IOASID_DMA_READ));
		EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA, m, n));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, n, 1));
		EXPECT_EQ(IOASID_TEST_DMA_PERMISSION,
			  dma_write(self->dev, IOVA + where[i] * PG, data,
				    sizeof(data)));
		EXPECT_EQ(n * PG, ioasid_unmap(self->fd, self->a, IOVA,
					       n * PG));
		EXPECT_NOT_MAPPED(self->dev, m, n, IOVA, n, 1ull << 48, c);
		ASSERT_EQ(0, mprotect(m + where[i] * PG, PG,
				      PROT_READ | PROT_WRITE));
	}
	/* nothing wrote to the memory */
	{
		uint8_t *copy = test_memory(n * PG, PG, 0);

		ASSERT_NE(MAP_FAILED, copy);
		fill_pages(copy, n, 0x70);
		EXPECT_EQ(0, memcmp(copy, m, n * PG));
		munmap(copy, n * PG);
	}
	munmap(m, n * PG);
}

TEST_F(rng, map_with_a_hole_in_the_middle)
{
	const long n = 16, hole = 8;
	const uint32_t refused[] = {
		IOASID_DMA_RW, IOASID_DMA_READ, IOASID_DMA_WRITE,
	};
	struct charge c;
	unsigned int j;
	uint8_t *m;

	REQ(REQ-MAP-FAULT, REQ-ARG-NOCHANGE, REQ-MAP, REQ-UNMAP,
	    REQ-TESTIF-PINNED);
	m = test_memory(n * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, n, 0x90);
	ASSERT_EQ(0, munmap(m + hole * PG, PG));
	c = charge_now();
	for (j = 0; j < ARRAY_LEN(refused); j++) {
		EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, m, IOVA,
					      n * PG, refused[j]))
			TH_LOG("flags %#x", refused[j]);
		/* no page on either side of the hole stays pinned */
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, hole, 0));
		EXPECT_EQ(-EFAULT, testif_pinned(self->testif, m + hole * PG));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    m + (hole + 1) * PG,
						    n - hole - 1, 0));
		EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA, n));
		EXPECT_CHARGE(c);
		EXPECT_SENTINEL();
	}
	/* the memory on either side maps, and the hole's IOVA stays empty */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, m, IOVA, hole * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, m + (hole + 1) * PG,
				IOVA + (hole + 1) * PG, (n - hole - 1) * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA, m, hole));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA + hole * PG, 1));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA + (hole + 1) * PG,
				       m + (hole + 1) * PG, n - hole - 1));
	EXPECT_EQ((n - 1) * PG, ioasid_unmap(self->fd, self->a, IOVA, n * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, hole, 0));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA, n));
	EXPECT_CHARGE(c);
	munmap(m, hole * PG);
	munmap(m + (hole + 1) * PG, (n - hole - 1) * PG);
}

TEST_F(rng, register_with_a_bad_page_in_the_middle)
{
	const long n = 16, where[] = { 8, 1, n - 1 };
	const long hole = 5;
	struct charge c = charge_now();
	unsigned int i;
	uint8_t *m;

	REQ(REQ-MEM-RANGE, REQ-ARG-NOCHANGE, REQ-MEM-PIN,
	    REQ-MEM-UNREGISTER-MM, REQ-TESTIF-PINNED);
	m = test_memory(n * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, n, 0xb0);
	/* one read-only page */
	for (i = 0; i < ARRAY_LEN(where); i++) {
		ASSERT_EQ(0, mprotect(m + where[i] * PG, PG, PROT_READ));
		EXPECT_EQ(-EFAULT, ioasid_register(self->fd, m, n * PG))
			TH_LOG("read-only page %ld", where[i]);
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, n, 0));
		EXPECT_CHARGE(c);
		EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, m, n * PG));
		ASSERT_EQ(0, mprotect(m + where[i] * PG, PG,
				      PROT_READ | PROT_WRITE));
	}
	/* one page that is not mapped */
	ASSERT_EQ(0, munmap(m + hole * PG, PG));
	EXPECT_EQ(-EFAULT, ioasid_register(self->fd, m, n * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, hole, 0));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m + (hole + 1) * PG,
					    n - hole - 1, 0));
	EXPECT_CHARGE(c);
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, m, n * PG));
	/* the pages before the hole register, and only they are pinned */
	ASSERT_EQ(0, ioasid_register(self->fd, m, hole * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, hole, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m + (hole + 1) * PG,
					    n - hole - 1, 0));
	EXPECT_EQ(0, ioasid_unregister(self->fd, m, hole * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, hole, 0));
	EXPECT_CHARGE(c);
	EXPECT_SENTINEL();
	munmap(m, hole * PG);
	munmap(m + (hole + 1) * PG, (n - hole - 1) * PG);
}

/*
 * Five mappings with gaps between them, in pages from IOVA; page p of the
 * fixture's buffer is mapped at IOVA + p * PG.  The gaps are pages 3, 7-8,
 * 10-11 and 18.
 */
static const struct { long first, npages; } layout[] = {
	{ 0, 3 }, { 4, 3 }, { 9, 1 }, { 12, 6 }, { 19, 2 },
};
#define NLAYOUT		((int)ARRAY_LEN(layout))
#define LAYOUT_END	21

static int layout_owner(long page)
{
	int k;

	for (k = 0; k < NLAYOUT; k++)
		if (page >= layout[k].first &&
		    page < layout[k].first + layout[k].npages)
			return k;
	return -1;
}

static long map_layout(FIXTURE_DATA(rng) *self, int k)
{
	return ioasid_map(self->fd, self->a, self->buf + layout[k].first * PG,
			  IOVA + layout[k].first * PG, layout[k].npages * PG,
			  IOASID_DMA_RW);
}

/*
 * The first page of [IOVA, IOVA + LAYOUT_END pages) that is not as @alive
 * says: a page of a live mapping is reached by DMA with its bytes and its
 * memory is pinned; any other page is blocked and its memory not pinned.
 * -1 when every page is as it should be.
 */
static long first_bad_layout_page(FIXTURE_DATA(rng) *self, const bool *alive)
{
	long p;

	for (p = 0; p < LAYOUT_END; p++) {
		int k = layout_owner(p);
		bool mapped = k >= 0 && alive[k];

		if (testif_pinned(self->testif, self->buf + p * PG) != mapped)
			return p;
		if (mapped ? first_wrong_page(self->dev, NO_PASID, IOVA + p * PG,
					      self->buf + p * PG, 1) >= 0 :
			     first_reachable_page(self->dev, NO_PASID, IOVA + p * PG,
						  1) >= 0)
			return p;
	}
	return -1;
}

TEST_F(rng, unmap_of_several_mappings_and_gaps)
{
	/*
	 * The ranges removed, in pages, the pages of the mappings inside
	 * them, and which mappings those are: M1 to M3 from edge to edge,
	 * M1 to M3 from gap to gap, M2 alone from gap to gap, and all.
	 */
	const struct {
		long first, npages, covered;
		bool gone[NLAYOUT];
	} round[] = {
		{ 4, 14, 10, { false, true, true, true, false } },
		{ 3, 16, 10, { false, true, true, true, false } },
		{ 7, 5, 1, { false, false, true, false, false } },
		{ 0, LAYOUT_END, 15, { true, true, true, true, true } },
	};
	bool alive[NLAYOUT];
	unsigned int r;
	int k;

	REQ(REQ-UNMAP, REQ-UNMAP-BLOCKS, REQ-UNMAP-UNPIN, REQ-TESTIF-DMA,
	    REQ-TESTIF-PINNED);
	for (r = 0; r < ARRAY_LEN(round); r++) {
		for (k = 0; k < NLAYOUT; k++) {
			ASSERT_EQ(0, map_layout(self, k));
			alive[k] = true;
		}
		EXPECT_EQ(-1, first_bad_layout_page(self, alive));
		EXPECT_EQ(round[r].covered * PG,
			  ioasid_unmap(self->fd, self->a,
				       IOVA + round[r].first * PG,
				       round[r].npages * PG))
			TH_LOG("round %u", r);
		for (k = 0; k < NLAYOUT; k++)
			alive[k] = !round[r].gone[k];
		/* the removed pages are blocked and unpinned, the rest stay */
		EXPECT_EQ(-1, first_bad_layout_page(self, alive))
			TH_LOG("round %u", r);
		EXPECT_SENTINEL();
		/* a second time, nothing is left in the range */
		EXPECT_EQ(0, ioasid_unmap(self->fd, self->a,
					  IOVA + round[r].first * PG,
					  round[r].npages * PG));
		/* clear the rest for the next round */
		for (k = 0; k < NLAYOUT; k++) {
			uint64_t iova = IOVA + layout[k].first * PG;

			if (!alive[k])
				continue;
			EXPECT_EQ(layout[k].npages * PG,
				  ioasid_unmap(self->fd, self->a, iova,
					       layout[k].npages * PG));
		}
		memset(alive, 0, sizeof(alive));
		EXPECT_EQ(-1, first_bad_layout_page(self, alive));
	}
	EXPECT_SENTINEL();
}

TEST_F(rng, unmap_that_cuts_the_first_or_last_mapping)
{
	const struct { long first, npages; } cut[] = {
		{ 4, 13 },	/* M1, M2, all of M3 but its last page */
		{ 5, 13 },	/* all of M1 but its first page, M2, M3 */
		{ 3, 10 },	/* gap, M1, M2, the first page of M3 */
		{ 6, 13 },	/* the last page of M1, M2, M3, gap */
		{ 5, 12 },	/* cuts both M1 and M3 */
		{ 2, 17 },	/* the last page of M0 ... M3, gap */
		{ 0, 20 },	/* M0 ... M3, all of M4 but its last page */
		{ 1, 20 },	/* all of M0 but its first page ... M4 */
	};
	const bool alive[NLAYOUT] = { true, true, true, true, true };
	struct charge c;
	unsigned int i;
	int k;

	REQ(REQ-UNMAP-ARGS, REQ-ARG-NOCHANGE, REQ-UNMAP, REQ-TESTIF-DMA,
	    REQ-TESTIF-PINNED);
	for (k = 0; k < NLAYOUT; k++)
		ASSERT_EQ(0, map_layout(self, k));
	c = charge_now();
	for (i = 0; i < ARRAY_LEN(cut); i++) {
		EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a,
						IOVA + cut[i].first * PG,
						cut[i].npages * PG))
			TH_LOG("case %u", i);
		/* every mapping is whole, reached page by page, and pinned */
		EXPECT_EQ(-1, first_bad_layout_page(self, alive))
			TH_LOG("case %u", i);
		EXPECT_CHARGE(c);
		EXPECT_SENTINEL();
	}
	EXPECT_EQ(15 * PG, ioasid_unmap(self->fd, self->a, IOVA,
					LAYOUT_END * PG));
}

TEST_F(rng, map_over_several_mappings)
{
	const struct { long first, npages; } over[] = {
		{ 4, 14 },		/* M1 ... M3, edge to edge */
		{ 3, 16 },		/* M1 ... M3, gap to gap */
		{ 0, LAYOUT_END },	/* every mapping */
		{ 7, 5 },		/* M2 and the gaps around it */
		{ 8, 2 },		/* a gap page and M2 */
		{ 2, 19 },		/* the last page of M0 ... M4 */
	};
	const long gaps[][2] = { { 3, 1 }, { 7, 2 }, { 10, 2 }, { 18, 1 } };
	const bool alive[NLAYOUT] = { true, true, true, true, true };
	struct charge c;
	unsigned int i;
	uint8_t *fresh;
	long p;
	int k;

	REQ(REQ-MAP-OVERLAP, REQ-ARG-NOCHANGE, REQ-MAP, REQ-TESTIF-DMA,
	    REQ-TESTIF-PINNED);
	fresh = test_memory(LAYOUT_END * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	fill_pages(fresh, LAYOUT_END, 0xc0);
	for (k = 0; k < NLAYOUT; k++)
		ASSERT_EQ(0, map_layout(self, k));
	c = charge_now();
	for (i = 0; i < ARRAY_LEN(over); i++) {
		EXPECT_EQ(-EEXIST, ioasid_map(self->fd, self->a,
					      fresh + over[i].first * PG,
					      IOVA + over[i].first * PG,
					      over[i].npages * PG,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
		/* the mappings still reach their own pages, the gaps nothing */
		EXPECT_EQ(-1, first_bad_layout_page(self, alive))
			TH_LOG("case %u", i);
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, fresh,
						    LAYOUT_END, 0));
		EXPECT_CHARGE(c);
		EXPECT_SENTINEL();
	}
	/* each gap, exactly, is free */
	for (i = 0; i < ARRAY_LEN(gaps); i++) {
		ASSERT_EQ(0, ioasid_map(self->fd, self->a,
					fresh + gaps[i][0] * PG,
					IOVA + gaps[i][0] * PG, gaps[i][1] * PG,
					IOASID_DMA_RW));
	}
	for (p = 0; p < LAYOUT_END; p++) {
		const uint8_t *from = layout_owner(p) >= 0 ? self->buf : fresh;
		const uint8_t *want = from + p * PG;

		EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA + p * PG, want,
					       1))
			TH_LOG("page %ld", p);
		EXPECT_EQ(1, testif_pinned(self->testif, want));
	}
	EXPECT_EQ(LAYOUT_END * PG, ioasid_unmap(self->fd, self->a, IOVA,
						LAYOUT_END * PG));
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA, LAYOUT_END));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, fresh, LAYOUT_END,
					    0));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
	EXPECT_SENTINEL();
	munmap(fresh, LAYOUT_END * PG);
}

TEST_F(rng, dma_reaches_every_page_of_a_mapping)
{
	const long n = 16;
	static uint8_t big[16 * PG], page[PG];
	uint64_t fault;
	long i;

	REQ(REQ-MAP, REQ-TESTIF-DMA, REQ-UNMAP-BLOCKS, REQ-UNMAP-UNPIN,
	    REQ-TESTIF-PINNED);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, n * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, n, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf + n * PG,
					    NPG - n, 0));
	/* page by page, and all of it in one DMA */
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA, self->buf, n));
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, IOVA, big, n * PG));
	EXPECT_EQ(0, memcmp(big, self->buf, n * PG));
	/* a write to each page lands in that page, at the same offset */
	for (i = 0; i < n; i++) {
		memset(page, (uint8_t)(0xe0 + i), PG);
		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  dma_write(self->dev, IOVA + i * PG, page, PG));
	}
	for (i = 0; i < n; i++) {
		memset(page, (uint8_t)(0xe0 + i), PG);
		EXPECT_EQ(0, memcmp(self->buf + i * PG, page, PG))
			TH_LOG("page %ld", i);
	}
	fill_pages(self->buf, NPG, 0x10);
	/* a DMA that runs past the end is blocked at the end */
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, 0, 0, IOVA + n * PG - 8, page, 16,
			     &fault));
	EXPECT_EQ(IOVA + n * PG, fault);

	EXPECT_EQ(n * PG, ioasid_unmap(self->fd, self->a, IOVA, n * PG));
	/* every page is blocked, for reads and for writes */
	EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA, n));
	memset(page, 0xee, PG);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
			  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0,
				     IOVA + i * PG, page, PG, &fault))
			TH_LOG("page %ld", i);
		EXPECT_EQ(IOVA + i * PG, fault);
	}
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_read(self->dev, IOVA, big, n * PG));
	/* and no blocked write reached memory; nothing stays pinned */
	{
		uint8_t *copy = test_memory(n * PG, PG, 0);

		ASSERT_NE(MAP_FAILED, copy);
		fill_pages(copy, n, 0x10);
		EXPECT_EQ(0, memcmp(copy, self->buf, n * PG));
		munmap(copy, n * PG);
	}
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
	EXPECT_SENTINEL();
}

TEST_F(rng, map_of_registered_memory_whose_pages_were_replaced)
{
	const long n = 8, gone = 4;
	const struct { long first, npages; } stale[] = {
		{ 0, n }, { gone, 1 }, { 2, 4 }, { gone, n - gone },
	};
	struct charge c;
	unsigned int i;
	uint8_t *m;

	REQ(REQ-MAP-REGISTERED-USE, REQ-ARG-NOCHANGE, REQ-TESTIF-PINNED);
	m = test_memory(n * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, m);
	fill_pages(m, n, 0xd0);
	ASSERT_EQ(0, ioasid_register(self->fd, m, n * PG));
	/* the process puts another page where page 4 was */
	ASSERT_EQ(m + gone * PG, mmap(m + gone * PG, PG, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				      -1, 0));
	fill_pages(m + gone * PG, 1, 0xd8);
	c = charge_now();
	for (i = 0; i < ARRAY_LEN(stale); i++) {
		EXPECT_EQ(-ESTALE, ioasid_map(self->fd, self->a,
					      m + stale[i].first * PG,
					      IOVA + stale[i].first * PG,
					      stale[i].npages * PG,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
		/* nothing mapped; the new page unpinned, the rest as before */
		EXPECT_EQ(-1, first_reachable_page(self->dev, NO_PASID, IOVA, n));
		EXPECT_EQ(0, testif_pinned(self->testif, m + gone * PG));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, gone, 1));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    m + (gone + 1) * PG,
						    n - gone - 1, 1));
		EXPECT_CHARGE(c);
		EXPECT_SENTINEL();
	}
	/* the pages that are still the registered ones map, for free */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, m, IOVA, gone * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, m + (gone + 1) * PG,
				IOVA + (gone + 1) * PG, (n - gone - 1) * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA, m, gone));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, IOVA + (gone + 1) * PG,
				       m + (gone + 1) * PG, n - gone - 1));
	EXPECT_EQ(0, testif_pinned(self->testif, m + gone * PG));
	EXPECT_CHARGE(c);
	EXPECT_EQ((n - 1) * PG, ioasid_unmap(self->fd, self->a, IOVA, n * PG));
	EXPECT_EQ(0, ioasid_unregister(self->fd, m, n * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, m, n, 0));
	munmap(m, n * PG);
}

TEST_HARNESS_MAIN
