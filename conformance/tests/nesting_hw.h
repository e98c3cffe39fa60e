/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the tests of hardware nesting (nesting_hw_test.c,
 * nesting_pasid_test.c): the statuses and stages of a blocked DMA, user
 * table entries written as a guest writes them, and which page of a
 * fixture's guest RAM a DMA finds, walked or from the IOTLB.
 *
 * A file that includes it defines PG, RAM_PAGES and RAM_TAG first: its
 * fixture's guest RAM, self->ram, holds RAM_PAGES pages filled with
 * fill_pages(self->ram, RAM_PAGES, RAM_TAG).
 */
#ifndef NESTING_HW_H
#define NESTING_HW_H

#include <stdbool.h>

#include "ioasid_test.h"

#if !defined(PG) || !defined(RAM_PAGES) || !defined(RAM_TAG)
#error "define PG, RAM_PAGES and RAM_TAG before including nesting_hw.h"
#endif

#define NO_XLATE	IOASID_TEST_DMA_NO_TRANSLATION
#define NO_PERM		IOASID_TEST_DMA_PERMISSION
#define NO_STAGE	IOASID_TEST_STAGE_NONE
#define STAGE1		IOASID_TEST_STAGE_1
#define STAGE2		IOASID_TEST_STAGE_2

/* Change an entry of a user table, as a guest would, with one store. */
static void s1_set(uint64_t *e, uint64_t value)
{
	__atomic_store_n(e, value, __ATOMIC_RELEASE);
}

/*
 * The parent IOVA of the entry at @level that the walk of @iova reads,
 * whose tables the pool @t has already made (0 if it has not and cannot).
 */
static uint64_t s1_entry_gpa(struct s1_tables *t, uint64_t iova, int level)
{
	uint64_t *e = s1_entry(t, iova, level);

	return e ? t->gpa + (uint64_t)((uint8_t *)e - (uint8_t *)t->mem) : 0;
}

/* What page_of() returns for a DMA blocked with status @st. */
#define PAGE_BLOCKED(st)	(-10 - (int)(st))

/*
 * The page of the guest RAM @ram that a DMA read of the whole page at
 * @iova by @dev through route @pasid finds: its index; -1 when the bytes
 * are those of no RAM page; PAGE_BLOCKED(status) when the DMA is blocked.
 */
static int page_of(const uint8_t *ram, int dev, int pasid, uint64_t iova)
{
	static __thread uint8_t page[PG];
	uint32_t id[2];
	long st;

	st = route_dma(dev, pasid, iova & ~(uint64_t)(PG - 1), page, PG, 0);
	if (st)
		return st < 0 ? -1000 + (int)st : PAGE_BLOCKED(st);
	memcpy(id, page, sizeof(id));
	if (id[0] != RAM_TAG || id[1] >= RAM_PAGES ||
	    memcmp(page, ram + id[1] * PG, PG))
		return -1;
	return id[1];
}

#define PAGE_OF(dev, pasid, iova)	page_of(self->ram, dev, pasid, iova)

/*
 * As page_of(), for a read that the IOTLB of @dev must serve (@cached) or
 * that must walk the tables: -2 when it went the other way, -3 when the
 * IOTLB cannot be read.
 */
static int page_via(const uint8_t *ram, int dev, int pasid, uint64_t iova,
		    bool cached)
{
	struct ioasid_test_iotlb a, b;
	int page;

	if (testif_iotlb(dev, &a))
		return -3;
	page = page_of(ram, dev, pasid, iova);
	if (testif_iotlb(dev, &b))
		return -3;
	if (b.out_hits - a.out_hits != (cached ? 1u : 0u) ||
	    b.out_misses - a.out_misses != (cached ? 0u : 1u))
		return -2;
	return page;
}

#define CACHED_PAGE(dev, pasid, iova) \
	page_via(self->ram, dev, pasid, iova, true)
#define WALKED_PAGE(dev, pasid, iova) \
	page_via(self->ram, dev, pasid, iova, false)

/*
 * A DMA of 8 bytes at @iova by @dev through route @pasid (a write of 0xee
 * bytes with @write), which must be blocked with @status, at @iova, by
 * @stage, naming parent IOVA @piova.
 */
static void expect_blocked(struct __test_metadata *_metadata, int line,
			   int dev, int pasid, uint64_t iova, int write,
			   uint32_t status, uint32_t stage, uint64_t piova)
{
	struct dma_fault f;
	uint8_t buf[8];
	long st;

	memset(buf, 0xee, sizeof(buf));
	st = route_dma_fault(dev, pasid, iova, buf, sizeof(buf), write, &f);
	ASSERT_LE(0, st) TH_LOG("line %d", line);
	EXPECT_EQ(status, st) TH_LOG("line %d", line);
	EXPECT_EQ(iova, f.iova) TH_LOG("line %d", line);
	EXPECT_EQ(stage, f.stage) TH_LOG("line %d", line);
	EXPECT_EQ(piova, f.parent_iova) TH_LOG("line %d", line);
}

#define EXPECT_BLOCKED(dev, pasid, iova, write, status, stage, piova) \
	expect_blocked(_metadata, __LINE__, dev, pasid, iova, write, \
		       status, stage, piova)

/* IOASID_GET_INFO with every output poisoned beforehand; 0 or -errno. */
static long info_poisoned(int fd, uint32_t ioasid, struct ioasid_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->argsz = sizeof(*info);
	info->flags = 0;
	info->ioasid = ioasid;
	info->num_ranges = 0;
	info->num_reserved = 0;
	info->ranges = 0;
	info->reserved = 0;
	return ioasid_ioctl(fd, IOASID_GET_INFO, info);
}

#endif /* NESTING_HW_H */
