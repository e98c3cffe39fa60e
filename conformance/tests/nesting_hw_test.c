// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for hardware nesting: a child whose translations are
 * the user's own stage-1 table, bound with IOASID_BIND_PGTABLE and walked
 * by the IOMMU through the parent; the stage that a blocked DMA reports;
 * IOASID_UNBIND_PGTABLE; and IOASID_INVALIDATE_CACHE, without which the
 * IOMMU may go on using what it cached of the table.
 *
 * The "hw" fixture needs test devices behind the mock IOMMU of class N,
 * which nests in hardware (conformance test interface, capabilities
 * DEVICE, DMA and HW_NESTING), and is skipped without them.  Tests that
 * look into the IOTLB, at pinned pages, or make the IOMMU fail need the
 * IOTLB, PINNED or FAIL capability as well, and are skipped without it.
 * The tables are in the format of the test interface's annex
 * (IOASID_PGTABLE_FORMAT_TEST), built with the s1_* helpers.
 *
 * The IOTLB of a test device holds 16 translations, replaced round robin:
 * a test that relies on a translation staying cached makes fewer than 16
 * new translations of that device between caching it and using it, as
 * the comments count.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "ioasid_test.h"

#define PG		TEST_PAGE
#define RAM_PAGES	16
#define RAM_TAG		0x68776e73u	/* fill_pages() tag of the guest RAM */
#define RAM_RO		14		/* RAM page the parent maps read-only */
#define RAM_WO		15		/* and the one it maps write-only */
#define GPA(i)		(0x100000ull + (uint64_t)(i) * PG)
#define HOLE		0x180000ull	/* a GPA the parent never maps */
#define TABLES		0x200000ull	/* GPA of the fixture's table pool */
#define TABLES2		0x300000ull	/* GPA of a second pool */
#define S1_PAGES	12
#define GIOVA(i)	(0x40000000ull + (uint64_t)(i) * PG)
#define IOVA_TOP	(1ull << 48)	/* the end of what a table translates */
#define P1		1		/* PASIDs of routes to the child */
#define P2		2
#define FORMATS		(1ull << IOASID_PGTABLE_FORMAT_TEST)

#include "nesting_hw.h"

/*
 * What every "hw" test starts with: dev1 and dev2 (class N, PASID width 4)
 * bound to fd, dev1's default route attached to the parent "gpa"; guest RAM
 * of RAM_PAGES distinct pages, page i mapped at GPA(i) by a mapping of its
 * own (read-write, but RAM_RO read-only and RAM_WO write-only); a pool of
 * S1_PAGES table pages, page i mapped read-only at TABLES + i * PG by a
 * mapping of its own, the first being the root; and the child, nested on
 * gpa, without a table and without a route.
 */
FIXTURE(hw) {
	int testif;
	uint64_t caps;
	int fd;
	int dev1, dev2;
	long gpa, child;
	uint8_t *ram;
	struct s1_tables t;
};

#define RAM(i)		(self->ram + (uint64_t)(i) * PG)
#define TABLE(i)	((uint8_t *)self->t.mem + (uint64_t)(i) * PG)
#define map_table(i, prot)	map_table_page(self, i, prot)
#define bind_child()	ioasid_bind_test(self->fd, self->child, TABLES)

static uint32_t ram_prot(int i)
{
	if (i == RAM_RO)
		return IOASID_DMA_READ;
	return i == RAM_WO ? IOASID_DMA_WRITE : IOASID_DMA_RW;
}

/* Map page @i of the pool at its GPA in the parent, with @prot. */
static long map_table_page(FIXTURE_DATA(hw) *self, int i, uint32_t prot)
{
	return ioasid_map(self->fd, self->gpa, TABLE(i), TABLES + i * PG, PG,
			  prot);
}

/* A test device behind class N, PASID width 4: its descriptor, or -errno. */
static int hw_device(int testif)
{
	return testif_create_device_ex(testif, 0, 4, IOASID_TEST_IOMMU_N, 0);
}

FIXTURE_SETUP(hw)
{
	const char *why = NULL;
	int i;

	self->fd = -1;
	self->dev1 = -1;
	self->dev2 = -1;
	self->ram = MAP_FAILED;
	self->t.mem = NULL;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE |
				   IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_HW_NESTING, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev1 = hw_device(self->testif);
	ASSERT_LE(0, self->dev1);
	self->dev2 = hw_device(self->testif);
	ASSERT_LE(0, self->dev2);
	ASSERT_LE(1, device_bind(self->dev1, self->fd));
	ASSERT_LE(1, device_bind(self->dev2, self->fd));
	self->gpa = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->gpa);
	ASSERT_EQ(0, device_attach(self->dev1, self->gpa));
	self->ram = test_memory(RAM_PAGES * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	fill_pages(self->ram, RAM_PAGES, RAM_TAG);
	for (i = 0; i < RAM_PAGES; i++)
		ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(i), GPA(i),
					PG, ram_prot(i)));
	ASSERT_EQ(0, s1_init(&self->t, S1_PAGES, TABLES));
	for (i = 0; i < S1_PAGES; i++)
		ASSERT_EQ(0, map_table(i, IOASID_DMA_READ));
	self->child = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, self->child);
}

FIXTURE_TEARDOWN(hw)
{
	if (self->dev2 >= 0)
		close(self->dev2);
	if (self->dev1 >= 0)
		close(self->dev1);
	if (self->fd >= 0)
		close(self->fd);
	if (self->ram != MAP_FAILED)
		munmap(self->ram, RAM_PAGES * PG);
	s1_release(&self->t);
	if (self->testif >= 0)
		close(self->testif);
}

/* Translations that the IOTLB of @dev holds now, or -1. */
static long tlb_entries(int dev)
{
	struct ioasid_test_iotlb t;

	return testif_iotlb(dev, &t) ? -1 : (long)t.out_entries;
}

/* Page accesses of @dev that its IOTLB served so far, or -1. */
static long tlb_hits(int dev)
{
	struct ioasid_test_iotlb t;

	return testif_iotlb(dev, &t) ? -1 : (long)t.out_hits;
}

/*
 * What GET_INFO and a DMA at GIOVA(0) through route P1 of @dev say of the
 * binding of @child: with @page -1, no table, and the DMA blocked at stage
 * 1; else a table, through which GIOVA(0) reaches RAM page @page.
 */
static void expect_binding(struct __test_metadata *_metadata, int line,
			   int fd, long child, int dev, const uint8_t *ram,
			   int page)
{
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED |
		  (page >= 0 ? IOASID_INFO_BOUND : 0),
		  ioasid_info_flags(fd, child)) TH_LOG("line %d", line);
	if (page < 0) {
		expect_blocked(_metadata, line, dev, P1, GIOVA(0), 0, NO_XLATE,
			       STAGE1, 0);
		return;
	}
	EXPECT_EQ(page, page_of(ram, dev, P1, GIOVA(0)))
		TH_LOG("line %d", line);
}

/* The fixture's child, with route P1 of dev1 attached to it. */
#define EXPECT_BINDING(page) \
	expect_binding(_metadata, __LINE__, self->fd, self->child, \
		       self->dev1, self->ram, page)
#define EXPECT_UNBOUND()	EXPECT_BINDING(-1)

static long children_of(int fd, long ioasid)
{
	struct ioasid_info info;
	long ret = ioasid_get_info(fd, ioasid, &info);

	return ret < 0 ? ret : (long)info.out_children;
}

static void expect_hw_child_info(struct __test_metadata *_metadata, int fd,
				 long child, long parent, uint32_t routes,
				 bool bound)
{
	const struct mock_iommu *m = mock_iommu(IOASID_TEST_IOMMU_N);
	struct ioasid_info info;

	ASSERT_EQ(0, info_poisoned(fd, child, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED |
		  (bound ? IOASID_INFO_BOUND : 0), info.out_flags);
	EXPECT_EQ(0, info.out_nesting);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(parent, info.out_parent);
	EXPECT_EQ(0, info.out_children);
	EXPECT_EQ(routes, info.out_routes);
	EXPECT_EQ(0, info.out_missing);
	EXPECT_EQ(m->addr_width, info.out_addr_width);
	EXPECT_EQ(m->pgsize_bitmap, info.out_pgsize_bitmap);
}

/*
 * A class A device (PASID width 4) bound to @fd, its default route attached
 * to a new IOASID of @fd, and a child of software nesting on it: 0 with
 * *@dev, *@parent and *@child set, or -errno (*@dev, -1 or the device,
 * for the caller to close).
 */
static long sw_child(int testif, int fd, int *dev, long *parent, long *child)
{
	long ret = testif_attached_device(testif, fd, 4, dev, parent);

	if (ret)
		return ret;
	*child = ioasid_nest(fd, *parent);
	return *child < 0 ? *child : 0;
}

/*
 * The parent behind class N offers hardware nesting in the test format;
 * its child reports that format too, is not managed with IOASID_MAP_DMA,
 * and says whether a table is bound, whatever its routes.  Every output
 * is written whatever the caller left in it.  Behind class A, neither
 * the parent nor its child reports a format.
 */
TEST_F(hw, info_reports_hardware_nesting_and_the_binding)
{
	const struct mock_iommu *m = mock_iommu(IOASID_TEST_IOMMU_N);
	struct ioasid_info info;
	long second, a, sw;
	int dev = -1;

	REQ(REQ-INFO-NESTING, REQ-INFO-FORMATS, REQ-NEST-HW-CREATE,
	    REQ-NEST-CREATE, REQ-NEST-HW-BIND, REQ-NEST-HW-UNBIND);
	ASSERT_EQ(0, info_poisoned(self->fd, self->gpa, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(IOASID_NESTING_HW, info.out_nesting);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(0, info.out_parent);
	EXPECT_EQ(1, info.out_children);
	EXPECT_EQ(1, info.out_routes);
	EXPECT_EQ(m->addr_width, info.out_addr_width);
	EXPECT_EQ(m->pgsize_bitmap, info.out_pgsize_bitmap);
	/* unbound, bound, with a route, unbound with it, bound again */
	expect_hw_child_info(_metadata, self->fd, self->child, self->gpa, 0,
			     false);
	ASSERT_EQ(0, bind_child());
	expect_hw_child_info(_metadata, self->fd, self->child, self->gpa, 0,
			     true);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	expect_hw_child_info(_metadata, self->fd, self->child, self->gpa, 1,
			     true);
	ASSERT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	expect_hw_child_info(_metadata, self->fd, self->child, self->gpa, 1,
			     false);
	ASSERT_EQ(0, bind_child());
	expect_hw_child_info(_metadata, self->fd, self->child, self->gpa, 1,
			     true);
	/* a second child is a child of the same kind, without a table */
	second = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, second);
	expect_hw_child_info(_metadata, self->fd, second, self->gpa, 0, false);
	/* the parent's outputs are the same, with two children */
	ASSERT_EQ(0, info_poisoned(self->fd, self->gpa, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(IOASID_NESTING_HW, info.out_nesting);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(2, info.out_children);
	EXPECT_EQ(1, info.out_routes);
	/* behind class A: software nesting, and no format */
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	ASSERT_EQ(0, info_poisoned(self->fd, a, &info));
	EXPECT_EQ(IOASID_NESTING_SW, info.out_nesting);
	EXPECT_EQ(0, info.out_formats);
	ASSERT_EQ(0, info_poisoned(self->fd, sw, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA |
		  IOASID_INFO_NESTED, info.out_flags);
	EXPECT_EQ(0, info.out_formats);
	close(dev);
}

/*
 * A hardware child's translations are its table's: IOASID_MAP_DMA, of user
 * memory or of parent IOVAs, and IOASID_UNMAP_DMA, of a range or of
 * everything, fail with EINVAL, bound or not, and pin, map and remove
 * nothing, in the child, in its table or in the parent.
 */
TEST_F(hw, map_and_unmap_on_a_hardware_child_fail)
{
	uint8_t *mem = test_memory(2 * PG, PG, 0x5a);
	long pinned = ioasid_pinned_kb();
	int bound, i;

	REQ(REQ-NEST-HW-MAP, REQ-ARG-NOCHANGE, REQ-NEST-HW-STAGE);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (bound = 0; bound < 2; bound++) {
		if (bound)
			ASSERT_EQ(0, bind_child());
		EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->child, mem,
					      GIOVA(1), PG, IOASID_DMA_RW));
		EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->child, mem,
					      GIOVA(1), 2 * PG,
					      IOASID_DMA_READ));
		EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, self->child,
						     GPA(3), GIOVA(1), PG,
						     IOASID_DMA_RW));
		EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->child,
						GIOVA(0), PG));
		EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->child, 0,
						IOVA_TOP));
		EXPECT_EQ(-EINVAL, ioasid_unmap_all(self->fd, self->child));
		/* nothing was pinned */
		EXPECT_EQ(pinned, ioasid_pinned_kb());
		if (self->caps & IOASID_TEST_CAP_PINNED)
			EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem,
							    2, 0));
		/* the child translates what its table says, or nothing */
		if (bound) {
			EXPECT_EQ(2, PAGE_OF(self->dev1, P1, GIOVA(0)));
		} else {
			EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE,
				       STAGE1, 0);
		}
		EXPECT_BLOCKED(self->dev1, P1, GIOVA(1), 0, NO_XLATE, STAGE1,
			       0);
		expect_hw_child_info(_metadata, self->fd, self->child,
				     self->gpa, 1, bound);
	}
	/* the table and the parent's mappings are as they were */
	EXPECT_EQ(GPA(2) | S1_RW, *s1_entry(&self->t, GIOVA(0), 0));
	for (i = 0; i < RAM_RO; i++)
		EXPECT_EQ(i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
	munmap(mem, 2 * PG);
}

/*
 * 4 KiB leaves that take eight child pages to RAM pages in reverse order:
 * every byte of each is read from the page that the table names, through
 * dev2's default route moved to the child and through a PASID route of
 * dev1, and an access across two child pages reads both; the table's
 * holes are blocked at stage 1; a write lands in the page the table names
 * and nowhere else.  dev1's default route, on the parent, reaches GPAs
 * directly and not the child's IOVAs.
 */
TEST_F(hw, small_leaves_reach_the_pages_the_table_names)
{
	static uint8_t buf[8 * PG];
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[64];
	uint64_t fault;
	int i;

	REQ(REQ-NEST-HW-BIND, REQ-TESTIF-FORMAT, REQ-NEST-ATTACH-RID,
	    REQ-NEST-ATTACH, REQ-NEST-HW-STAGE);
	ASSERT_NE(NULL, snap);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, s1_map(&self->t, GIOVA(i), GPA(7 - i), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(7 - i, PAGE_OF(self->dev2, NO_PASID, GIOVA(i)));
		EXPECT_EQ(7 - i, PAGE_OF(self->dev1, P1, GIOVA(i)));
		EXPECT_EQ(i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
	}
	/* the eight pages in one read, and bytes at odd offsets */
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev2, NO_PASID, GIOVA(0),
						buf, sizeof(buf), 0));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, memcmp(buf + i * PG, RAM(7 - i), PG))
			TH_LOG("page %d", i);
	for (i = 0; i < 8; i++) {
		uint64_t off = 8 + (uint64_t)i * 509;
		uint8_t byte = 0;

		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  route_dma(self->dev1, P1, GIOVA(i) + off, &byte, 1,
				    0));
		EXPECT_EQ(RAM(7 - i)[off], byte) TH_LOG("page %d", i);
	}
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev2, NO_PASID,
						GIOVA(2) + PG - 8, data, 16,
						0));
	EXPECT_EQ(0, memcmp(data, RAM(5) + PG - 8, 8));
	EXPECT_EQ(0, memcmp(data + 8, RAM(4), 8));
	/* the table ends at GIOVA(8): a read into it is blocked there */
	EXPECT_EQ(NO_XLATE, testif_dma(self->dev2, 0, 0, GIOVA(6), buf,
				       4 * PG, &fault));
	EXPECT_EQ(GIOVA(8), fault);
	EXPECT_BLOCKED(self->dev2, NO_PASID, GIOVA(8) + 16, 0, NO_XLATE,
		       STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(8) + 16, 1, NO_XLATE, STAGE1, 0);
	/* the child's IOVAs mean nothing to the parent */
	EXPECT_BLOCKED(self->dev1, NO_PASID, GIOVA(0), 0, NO_XLATE, NO_STAGE,
		       0);
	/* writes land in the pages the table names, and only there */
	memcpy(snap, self->ram, RAM_PAGES * PG);
	memset(data, 0x3c, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1,
						GIOVA(3) + 100, data,
						sizeof(data), 1));
	memset(snap + 4 * PG + 100, 0x3c, sizeof(data));
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	/* the end of GIOVA(5), RAM page 2, and the start of GIOVA(6), page 1 */
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev2, NO_PASID,
						GIOVA(5) + PG - 4, data, 8,
						1));
	memset(snap + 3 * PG - 4, 0x3c, 4);
	memset(snap + PG, 0x3c, 4);
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	free(snap);
}

#define IOVA_2M		0x40200000ull	/* a 2 MiB leaf, GIOVA's L1 index 1 */
#define GPA_2M		0x600000ull	/* the 2 MiB of GPAs it names */

/*
 * A one-byte DMA read at @iova, in a page of a large leaf, by @dev through
 * route @pasid: whether it finds the byte of RAM page @want at the same
 * offset, or, when @want is -1, is blocked at stage 2 by the parent IOVA
 * @gpa, where the parent maps nothing.
 */
static bool leaf_page_ok(const uint8_t *ram, int dev, int pasid,
			 uint64_t iova, uint64_t gpa, int want)
{
	struct dma_fault f;
	uint8_t byte = 0;
	long st;

	st = route_dma_fault(dev, pasid, iova, &byte, 1, 0, &f);
	if (want >= 0)
		return st == IOASID_TEST_DMA_OK &&
		       byte == ram[want * PG + iova % PG];
	return st == NO_XLATE && f.stage == STAGE2 && f.parent_iova == gpa;
}

/* The RAM page that the parent maps at page @k of GPA_2M, or -1. */
static int ram_at_2m(int k)
{
	if (k == 0)
		return 8;
	if (k == 511)
		return 9;
	return k >= 100 && k < 108 ? k - 100 : -1;
}

/*
 * A 2 MiB leaf, whose address has bits below 2 MiB set that the format
 * ignores: each of its 512 pages reaches the page at the same offset of
 * the 2 MiB of GPAs where the parent maps one, and is blocked at stage 2
 * with that page's GPA where it does not; the pages around the leaf are
 * the table's holes.
 */
TEST_F(hw, a_2m_leaf_translates_each_of_its_pages_by_its_offset)
{
	static uint8_t buf[8 * PG];
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[64];
	int k, bad = 0;

	REQ(REQ-TESTIF-FORMAT, REQ-NEST-HW-BIND, REQ-NEST-HW-STAGE,
	    REQ-TESTIF-DMA-STAGE);
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(0), GPA_2M + 100 * PG,
				8 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(8), GPA_2M, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(9),
				GPA_2M + 511 * PG, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, s1_map(&self->t, IOVA_2M, GPA_2M | 0x1f5000, S1_RW, 1));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (k = 0; k < 512; k++) {
		uint64_t off = (uint64_t)k * 8 % PG;

		if (!leaf_page_ok(self->ram, self->dev1, P1,
				  IOVA_2M + k * PG + off, GPA_2M + k * PG,
				  ram_at_2m(k)) && bad++ < 4)
			TH_LOG("page %d of the leaf", k);
	}
	EXPECT_EQ(0, bad);
	/* whole pages, and the eight at once */
	EXPECT_EQ(8, PAGE_OF(self->dev1, P1, IOVA_2M));
	EXPECT_EQ(9, PAGE_OF(self->dev1, P1, IOVA_2M + 511 * PG));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1,
						IOVA_2M + 100 * PG, buf,
						sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, RAM(0), sizeof(buf)));
	/* around the leaf, the table has nothing */
	EXPECT_BLOCKED(self->dev1, P1, IOVA_2M - PG, 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, IOVA_2M + (2 << 20), 0, NO_XLATE,
		       STAGE1, 0);
	/* a write to the last page lands in RAM page 9 alone */
	memcpy(snap, self->ram, RAM_PAGES * PG);
	memset(data, 0x4d, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1,
						IOVA_2M + 511 * PG + 200, data,
						sizeof(data), 1));
	memset(snap + 9 * PG + 200, 0x4d, sizeof(data));
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	free(snap);
}

#define IOVA_1G		0x80c0000000ull	/* a 1 GiB leaf: root 1, L2 index 3 */
#define GPA_1G		0x40000000ull	/* the 1 GiB of GPAs it names */
#define PAGES_1G	(1 << 18)

/* The RAM page that the parent maps at page @k of GPA_1G, or -1. */
static int ram_at_1g(long k)
{
	if (k == 0)
		return 11;
	if (k == 0x12345)
		return 10;
	if (k == PAGES_1G - 1)
		return 12;
	return k >= 0x20000 && k < 0x20004 ? k - 0x20000 : -1;
}

/*
 * A 1 GiB leaf under the root's second entry, whose address has bits below
 * 1 GiB set that the format ignores: the pages the parent maps in the
 * 1 GiB of GPAs are reached at the same offsets, a sample of the others is
 * blocked at stage 2 with the GPA of the page, and the pages around the
 * leaf are the table's holes.
 */
TEST_F(hw, a_1g_leaf_translates_by_the_offset_in_its_page)
{
	static uint8_t buf[4 * PG];
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[64];
	int bad = 0;
	long k;

	REQ(REQ-TESTIF-FORMAT, REQ-NEST-HW-BIND, REQ-NEST-HW-STAGE,
	    REQ-TESTIF-DMA-STAGE);
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(11), GPA_1G, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(10),
				GPA_1G + 0x12345000, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(12),
				GPA_1G + (PAGES_1G - 1) * PG, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(0),
				GPA_1G + 0x20000000, 4 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, s1_map(&self->t, IOVA_1G, GPA_1G | 0x2aaaa000, S1_RW, 2));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	EXPECT_EQ(11, PAGE_OF(self->dev2, NO_PASID, IOVA_1G));
	EXPECT_EQ(10, PAGE_OF(self->dev2, NO_PASID, IOVA_1G + 0x12345000));
	EXPECT_EQ(12, PAGE_OF(self->dev2, NO_PASID,
			      IOVA_1G + (PAGES_1G - 1) * PG));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev2, NO_PASID,
						IOVA_1G + 0x20000000, buf,
						sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, RAM(0), sizeof(buf)));
	/* a sample of the pages, mapped in the parent or not */
	for (k = 1; k < PAGES_1G; k += 4093) {
		uint64_t off = (uint64_t)k % (PG - 1);

		if (!leaf_page_ok(self->ram, self->dev2, NO_PASID,
				  IOVA_1G + k * PG + off, GPA_1G + k * PG,
				  ram_at_1g(k)) && bad++ < 4)
			TH_LOG("page %ld of the leaf", k);
	}
	EXPECT_EQ(0, bad);
	EXPECT_BLOCKED(self->dev2, NO_PASID, IOVA_1G + 0x12346000, 0, NO_XLATE,
		       STAGE2, GPA_1G + 0x12346000);
	EXPECT_BLOCKED(self->dev2, NO_PASID, IOVA_1G - PG, 0, NO_XLATE, STAGE1,
		       0);
	EXPECT_BLOCKED(self->dev2, NO_PASID, IOVA_1G + (1 << 30), 0, NO_XLATE,
		       STAGE1, 0);
	/* a write lands in RAM page 10 alone */
	memcpy(snap, self->ram, RAM_PAGES * PG);
	memset(data, 0x5e, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev2, NO_PASID,
						IOVA_1G + 0x12345000 + 300,
						data, sizeof(data), 1));
	memset(snap + 10 * PG + 300, 0x5e, sizeof(data));
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	free(snap);
}

/*
 * The bits that the format ignores change nothing: bits 3-6, 8-11 and
 * 52-63 of every entry on the walk, and the large bit where no large
 * page can be, at level 3 and at level 0.
 */
TEST_F(hw, the_bits_the_format_ignores_change_nothing)
{
	const uint64_t junk = 0xfff0000000000f78ull;
	uint8_t data[4] = { 1, 2, 3, 4 };
	uint64_t *e;
	int level;

	REQ(REQ-TESTIF-FORMAT, REQ-NEST-HW-BIND);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(3),
			    S1_RW | S1_LARGE | junk, 0));
	for (level = 1; level < 4; level++) {
		e = s1_entry(&self->t, GIOVA(0), level);
		ASSERT_NE(NULL, e);
		*e |= junk | (level == 3 ? S1_LARGE : 0);
	}
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(3, PAGE_OF(self->dev1, P1, GIOVA(0)));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1, GIOVA(0) + 64,
						data, sizeof(data), 1));
	EXPECT_EQ(0, memcmp(RAM(3) + 64, data, sizeof(data)));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1), 0, NO_XLATE, STAGE1, 0);
}

#define ROOT1		(1ull << 39)	/* the first IOVA of root entry 1 */

/*
 * What stage 1 denies is blocked at stage 1, without a parent IOVA,
 * whether the walk or the IOTLB finds it: a leaf without the write bit,
 * without the read bit, or without both; an entry above the leaf without
 * one of them, at level 1 and at the root; and entries that are not
 * present, at the leaf and above it.  The parent maps every output page
 * read-write, and nothing but what the table allows is written.
 */
TEST_F(hw, what_stage_1_denies_is_blocked_at_stage_1)
{
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[4] = { 0x77, 0x77, 0x77, 0x77 };
	uint64_t *e;

	REQ(REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE, REQ-TESTIF-FORMAT,
	    REQ-MAP-PERM);
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(0), S1_RO, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(1), GPA(1),
			    S1_PRESENT | S1_WRITE, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(2), GPA(2), S1_PRESENT, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(3), GPA(3), S1_READ | S1_WRITE, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(512), GPA(4), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(1024), GPA(5), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, ROOT1, GPA(6), S1_RW, 0));
	e = s1_entry(&self->t, GIOVA(512), 1);
	ASSERT_NE(NULL, e);
	*e &= ~S1_WRITE;
	e = s1_entry(&self->t, GIOVA(1024), 1);
	ASSERT_NE(NULL, e);
	*e &= ~S1_READ;
	self->t.mem[1] &= ~S1_WRITE;
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	memcpy(snap, self->ram, RAM_PAGES * PG);
	/* a read-only leaf: by the walk, then by the IOTLB */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 1, NO_PERM, STAGE1, 0);
	EXPECT_EQ(0, PAGE_OF(self->dev1, P1, GIOVA(0)));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 1, NO_PERM, STAGE1, 0);
	/* a write-only leaf */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1) + 64, 0, NO_PERM, STAGE1, 0);
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1, GIOVA(1) + 64,
						data, sizeof(data), 1));
	memcpy(snap + PG + 64, data, sizeof(data));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1) + 64, 0, NO_PERM, STAGE1, 0);
	/* a leaf that allows nothing */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(2) + 64, 0, NO_PERM, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(2) + 64, 1, NO_PERM, STAGE1, 0);
	/* a leaf that is not present, with its address, or empty */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(3) + 64, 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(3) + 64, 1, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(4) + 64, 0, NO_XLATE, STAGE1, 0);
	/* under a level 1 entry without write, and one without read */
	EXPECT_EQ(4, PAGE_OF(self->dev1, P1, GIOVA(512)));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(512) + 64, 1, NO_PERM, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1024) + 64, 0, NO_PERM, STAGE1,
		       0);
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1,
						GIOVA(1024) + 64, data,
						sizeof(data), 1));
	memcpy(snap + 5 * PG + 64, data, sizeof(data));
	/* under the root's entry 1, without write */
	EXPECT_EQ(6, PAGE_OF(self->dev1, P1, ROOT1));
	EXPECT_BLOCKED(self->dev1, P1, ROOT1 + 64, 1, NO_PERM, STAGE1, 0);
	/* entries not present above the leaf: at level 1, 2 and 3 */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1536), 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, 0x80000000ull, 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, 2 * ROOT1, 1, NO_XLATE, STAGE1, 0);
	/* only the two writes the table allows landed */
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	free(snap);
}

/*
 * What the parent denies for the output page is blocked at stage 2, with
 * that page's GPA, whether the walk or the IOTLB finds it: a write to a
 * page the parent maps read-only, a read of one it maps write-only, any
 * access to a GPA it does not map.  Stage 1 allows everything here but
 * for one leaf that denies a write the parent denies too, which is stage
 * 1's failure; nothing but what the parent allows is written.
 */
TEST_F(hw, what_the_parent_denies_is_blocked_at_stage_2)
{
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[4] = { 0x66, 0x66, 0x66, 0x66 };

	REQ(REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE, REQ-NEST-HW-BIND,
	    REQ-MAP-PERM);
	ASSERT_NE(NULL, snap);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(RAM_RO), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(1), GPA(RAM_WO), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(2), HOLE, S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(3), HOLE + 5 * PG, S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(4), GPA(RAM_RO), S1_RO, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	memcpy(snap, self->ram, RAM_PAGES * PG);
	/* both stages deny a write: stage 1's, whose walk comes first */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(4), 1, NO_PERM, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(4), 1, NO_PERM, STAGE1, 0);
	/* read-only in the parent: by the walk, then by the IOTLB */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 1, NO_PERM, STAGE2,
		       GPA(RAM_RO));
	EXPECT_EQ(RAM_RO, PAGE_OF(self->dev1, P1, GIOVA(0)));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 1, NO_PERM, STAGE2,
		       GPA(RAM_RO));
	/* write-only in the parent */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1) + 64, 0, NO_PERM, STAGE2,
		       GPA(RAM_WO));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P1, GIOVA(1) + 64,
						data, sizeof(data), 1));
	memcpy(snap + RAM_WO * PG + 64, data, sizeof(data));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1) + 64, 0, NO_PERM, STAGE2,
		       GPA(RAM_WO));
	/* not mapped in the parent: the page's GPA, whatever the offset */
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(2), 0, NO_XLATE, STAGE2, HOLE);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(2) + 64, 1, NO_XLATE, STAGE2,
		       HOLE);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(3) + 300, 0, NO_XLATE, STAGE2,
		       HOLE + 5 * PG);
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	free(snap);
}

/*
 * Every table of the walk is read through the parent.  When the parent
 * does not map the page of a table, or maps it without read permission,
 * the walk is blocked at stage 2 with the GPA of the entry it had to read:
 * from the leaf's table up to the root, each is the first the walk cannot
 * read in turn, and from the root down again, once the parent maps the
 * tables again, the walk goes on.  So it does for an entry that points at
 * a GPA the parent never mapped.  No invalidation is issued.
 */
TEST_F(hw, a_table_the_parent_cannot_read_blocks_at_stage_2)
{
	const uint64_t iova = GIOVA(5) + 300;
	uint64_t gpa[4], page;
	uint64_t *e;
	int level, i;

	REQ(REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE, REQ-NEST-HW-UNMAP-PARENT,
	    REQ-TESTIF-FORMAT);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(5), GPA(5), S1_RW, 0));
	for (level = 0; level < 4; level++)
		gpa[level] = s1_entry_gpa(&self->t, GIOVA(5), level);
	/* the root, then one table of the pool per level, in that order */
	ASSERT_EQ(TABLES, gpa[3]);
	ASSERT_EQ(TABLES + PG + 8, gpa[2]);
	ASSERT_EQ(TABLES + 2 * PG, gpa[1]);
	ASSERT_EQ(TABLES + 3 * PG + 5 * 8, gpa[0]);
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(5, PAGE_OF(self->dev1, P1, iova));
	for (level = 0; level < 4; level++) {
		page = gpa[level] & ~(uint64_t)(PG - 1);
		EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, page, PG));
		EXPECT_BLOCKED(self->dev1, P1, iova, 0, NO_XLATE, STAGE2,
			       gpa[level]);
		EXPECT_BLOCKED(self->dev1, P1, iova, 1, NO_XLATE, STAGE2,
			       gpa[level]);
	}
	for (level = 3; level >= 0; level--) {
		page = gpa[level] & ~(uint64_t)(PG - 1);
		i = (page - TABLES) / PG;
		/* write-only: the walk cannot read it either */
		ASSERT_EQ(0, map_table(i, IOASID_DMA_WRITE));
		EXPECT_BLOCKED(self->dev1, P1, iova, 0, NO_PERM, STAGE2,
			       gpa[level]);
		EXPECT_BLOCKED(self->dev1, P1, iova, 1, NO_PERM, STAGE2,
			       gpa[level]);
		EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, page, PG));
		ASSERT_EQ(0, map_table(i, IOASID_DMA_READ));
		if (level)
			EXPECT_BLOCKED(self->dev1, P1, iova, 0, NO_XLATE,
				       STAGE2, gpa[level - 1]);
	}
	EXPECT_EQ(5, PAGE_OF(self->dev1, P1, iova));
	/* a level 1 entry that points at a GPA the parent never mapped */
	e = s1_entry(&self->t, GIOVA(2048), 1);
	ASSERT_NE(NULL, e);
	*e = HOLE | S1_RW;
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(2048 + 3), 0, NO_XLATE, STAGE2,
		       HOLE + 3 * 8);
	EXPECT_EQ(5, PAGE_OF(self->dev1, P1, iova));
}

/*
 * A DMA that translates through one table reports no stage and no parent
 * IOVA: through the parent, through a child of software nesting, and
 * through a route that is not attached, or no longer attached to the
 * hardware child.
 */
TEST_F(hw, a_dma_through_one_table_reports_no_stage)
{
	long a, sw;
	int dev = -1;

	REQ(REQ-TESTIF-DMA-STAGE, REQ-TESTIF-DMA, REQ-MAP-PERM, REQ-DETACH);
	EXPECT_BLOCKED(self->dev1, NO_PASID, HOLE, 0, NO_XLATE, NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev1, NO_PASID, GPA(RAM_RO) + 64, 1, NO_PERM,
		       NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev1, NO_PASID, GPA(RAM_WO) + 64, 0, NO_PERM,
		       NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev1, P2, GPA(0), 0, NO_XLATE, NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev2, NO_PASID, GPA(0), 0, NO_XLATE, NO_STAGE, 0);
	/* a child of software nesting, behind class A */
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	ASSERT_EQ(0, ioasid_map(self->fd, a, RAM(0), GPA(0), PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, sw, GPA(0), GIOVA(0), PG,
				       IOASID_DMA_READ));
	ASSERT_EQ(0, device_attach_pasid(dev, sw, P1));
	EXPECT_EQ(0, PAGE_OF(dev, P1, GIOVA(0)));
	EXPECT_BLOCKED(dev, P1, GIOVA(0) + 64, 1, NO_PERM, NO_STAGE, 0);
	EXPECT_BLOCKED(dev, P1, GIOVA(1), 0, NO_XLATE, NO_STAGE, 0);
	/* the hardware child's route, detached after a cached translation */
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(0), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(0, PAGE_OF(self->dev1, P1, GIOVA(0)));
	ASSERT_EQ(0, device_detach_pasid(self->dev1, self->child, P1));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE, NO_STAGE, 0);
	close(dev);
}

/*
 * Until a table is bound, the child translates nothing, whatever the pool
 * holds: every DMA through its routes, the default route moved to it and
 * a PASID route, is blocked at stage 1; once the table is bound, the same
 * DMA reaches the page.
 */
TEST_F(hw, a_child_without_a_table_blocks_at_stage_1)
{
	static const uint64_t iovas[] = {
		0, GIOVA(0), GPA(1), TABLES, IOVA_TOP - PG,
	};
	unsigned int i;

	REQ(REQ-NEST-HW-CREATE, REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE,
	    REQ-NEST-HW-BIND);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(1), S1_RW, 0));
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (i = 0; i < ARRAY_SIZE(iovas); i++) {
		EXPECT_BLOCKED(self->dev2, NO_PASID, iovas[i], 0, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev2, NO_PASID, iovas[i], 1, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev1, P1, iovas[i], 0, NO_XLATE, STAGE1,
			       0);
	}
	ASSERT_EQ(0, bind_child());
	EXPECT_EQ(1, PAGE_OF(self->dev2, NO_PASID, GIOVA(0)));
	EXPECT_EQ(1, PAGE_OF(self->dev1, P1, GIOVA(0)));
}

/*
 * The table translates 48-bit IOVAs: an IOVA with a bit above them set is
 * blocked at stage 1, even when its low 48 bits are translated, while the
 * last page below 2^48 is translated like any other; an access that
 * crosses 2^48 is blocked there.
 */
TEST_F(hw, iovas_beyond_48_bits_are_blocked_at_stage_1)
{
	static const int bits[] = { 48, 49, 52, 63 };
	uint8_t buf[16];
	unsigned int i;

	REQ(REQ-TESTIF-FORMAT, REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(1), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, IOVA_TOP - PG, GPA(2), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(1, PAGE_OF(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(2, PAGE_OF(self->dev1, P1, IOVA_TOP - PG));
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		uint64_t high = 1ull << bits[i];

		EXPECT_BLOCKED(self->dev1, P1, high | GIOVA(0), 0, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev1, P1, high | GIOVA(0), 1, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev1, P1, high | (IOVA_TOP - PG), 0,
			       NO_XLATE, STAGE1, 0);
	}
	{
		struct ioasid_test_dma arg = {
			.argsz = sizeof(arg),
			.flags = IOASID_TEST_DMA_PASID,
			.pasid = P1,
			.iova = IOVA_TOP - 8,
			.length = sizeof(buf),
			.buffer = (uintptr_t)buf,
		};

		ASSERT_EQ(0, ioasid_ioctl(self->dev1, IOASID_TEST_DMA, &arg));
		EXPECT_EQ(NO_XLATE, arg.out_status);
		EXPECT_EQ(IOVA_TOP, arg.out_fault_iova);
		EXPECT_EQ(STAGE1, arg.out_fault_stage);
		EXPECT_EQ(0, arg.out_fault_parent_iova);
	}
}

#define X	GIOVA(4)	/* its leaf changes in the tests below */
#define Y	GIOVA(9)	/* and so does this one's */

/* An entry of IOASID_INVALIDATE_CACHE, and whether it selects X of a route. */
struct inv_case {
	int pasid;		/* the route: NO_PASID or P1 */
	uint32_t flags;
	uint32_t sel;		/* the entry's pasid */
	uint64_t addr, length;
	bool drops;
};

static const struct inv_case inv_cases[] = {
	{ NO_PASID, 0, 0, 0, 0, true },
	{ NO_PASID, IOASID_INV_RANGE, 0, X, PG, true },
	{ NO_PASID, IOASID_INV_RANGE, 0, X - PG, 3 * PG, true },
	{ NO_PASID, IOASID_INV_RANGE, 0, 0, IOVA_TOP, true },
	{ NO_PASID, IOASID_INV_RANGE, 0, X + PG, PG, false },
	{ NO_PASID, IOASID_INV_RANGE, 0, X - 4 * PG, 4 * PG, false },
	{ NO_PASID, IOASID_INV_PASID, P1, 0, 0, false },
	{ NO_PASID, IOASID_INV_PASID, 0, 0, 0, false },
	{ NO_PASID, IOASID_INV_PASID | IOASID_INV_RANGE, P1, X, PG, false },
	{ P1, 0, 0, 0, 0, true },
	{ P1, IOASID_INV_RANGE, 0, X, PG, true },
	{ P1, IOASID_INV_PASID, P1, 0, 0, true },
	{ P1, IOASID_INV_PASID | IOASID_INV_RANGE, P1, X, PG, true },
	{ P1, IOASID_INV_PASID | IOASID_INV_RANGE, P1, X - PG, 2 * PG, true },
	{ P1, IOASID_INV_PASID, P2, 0, 0, false },
	{ P1, IOASID_INV_PASID, 0, 0, 0, false },
	{ P1, IOASID_INV_PASID | IOASID_INV_RANGE, P2, X, PG, false },
	{ P1, IOASID_INV_PASID | IOASID_INV_RANGE, P1, X + PG, PG, false },
	{ P1, IOASID_INV_RANGE, 0, X + PG, 8 * PG, false },
};

/*
 * After X's leaf changes, the IOTLB still gives X the old page, until an
 * invalidation that selects X for the route: after every entry that does
 * (everything, a range that covers X, the route's PASID, both), the next
 * DMA walks the table and finds the new page; after every entry that
 * does not (another range, another PASID, a PASID for the default route),
 * the IOTLB still gives the old one.  (dev2 caches one translation per
 * case before the stale read.)
 */
TEST_F(hw, a_changed_leaf_is_used_until_an_invalidation_selects_it)
{
	uint64_t *leaf;
	unsigned int i;

	REQ(REQ-NEST-INV, REQ-TESTIF-FORMAT, REQ-TESTIF-IOTLB,
	    REQ-NEST-HW-BIND);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, s1_map(&self->t, X, GPA(1), S1_RW, 0));
	leaf = s1_entry(&self->t, X, 0);
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->child, P1));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->child, P2));
	for (i = 0; i < ARRAY_SIZE(inv_cases); i++) {
		const struct inv_case *c = &inv_cases[i];
		int old = 1 + i % 2, fresh = 2 - i % 2;

		s1_set(leaf, GPA(old) | S1_RW);
		ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
		ASSERT_EQ(old, WALKED_PAGE(self->dev2, c->pasid, X))
			TH_LOG("case %u", i);
		s1_set(leaf, GPA(fresh) | S1_RW);
		EXPECT_EQ(old, CACHED_PAGE(self->dev2, c->pasid, X))
			TH_LOG("case %u", i);
		ASSERT_EQ(0, ioasid_inv(self->fd, self->child, c->flags,
					c->sel, c->addr, c->length))
			TH_LOG("case %u", i);
		if (c->drops) {
			EXPECT_EQ(fresh, WALKED_PAGE(self->dev2, c->pasid, X))
				TH_LOG("case %u", i);
		} else {
			EXPECT_EQ(old, CACHED_PAGE(self->dev2, c->pasid, X))
				TH_LOG("case %u", i);
		}
	}
}

/*
 * An invalidation drops no more than it selects.  With X and Y cached for
 * the default route and PASID 1, X for PASID 2, and both leaves changed:
 * a PASID selector drops that PASID's translations alone, a range the
 * range's pages of every route, a PASID and a range the translations of
 * both; what none selected still gives the old page.  (dev2 makes eleven
 * translations here in all.)
 */
TEST_F(hw, an_invalidation_drops_no_more_than_it_selects)
{
	uint64_t *lx, *ly;

	REQ(REQ-NEST-INV, REQ-TESTIF-FORMAT, REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, s1_map(&self->t, X, GPA(1), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, Y, GPA(3), S1_RW, 0));
	lx = s1_entry(&self->t, X, 0);
	ly = s1_entry(&self->t, Y, 0);
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->child, P1));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->child, P2));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
	EXPECT_EQ(0, tlb_entries(self->dev2));
	EXPECT_EQ(1, WALKED_PAGE(self->dev2, NO_PASID, X));
	EXPECT_EQ(3, WALKED_PAGE(self->dev2, NO_PASID, Y));
	EXPECT_EQ(1, WALKED_PAGE(self->dev2, P1, X));
	EXPECT_EQ(3, WALKED_PAGE(self->dev2, P1, Y));
	EXPECT_EQ(1, WALKED_PAGE(self->dev2, P2, X));
	EXPECT_EQ(5, tlb_entries(self->dev2));
	s1_set(lx, GPA(2) | S1_RW);
	s1_set(ly, GPA(4) | S1_RW);
	/* PASID 1: both of its translations, nothing else */
	ASSERT_EQ(0, ioasid_inv_pasid(self->fd, self->child, P1));
	EXPECT_EQ(3, tlb_entries(self->dev2));
	EXPECT_EQ(2, WALKED_PAGE(self->dev2, P1, X));
	EXPECT_EQ(4, WALKED_PAGE(self->dev2, P1, Y));
	EXPECT_EQ(1, CACHED_PAGE(self->dev2, NO_PASID, X));
	EXPECT_EQ(3, CACHED_PAGE(self->dev2, NO_PASID, Y));
	EXPECT_EQ(1, CACHED_PAGE(self->dev2, P2, X));
	/* X: on every route, Y on none */
	ASSERT_EQ(0, ioasid_inv_range(self->fd, self->child, X, PG));
	EXPECT_EQ(2, tlb_entries(self->dev2));
	EXPECT_EQ(2, WALKED_PAGE(self->dev2, NO_PASID, X));
	EXPECT_EQ(2, WALKED_PAGE(self->dev2, P2, X));
	EXPECT_EQ(3, CACHED_PAGE(self->dev2, NO_PASID, Y));
	EXPECT_EQ(4, CACHED_PAGE(self->dev2, P1, Y));
	/* Y for PASID 2, which has nothing cached there */
	ASSERT_EQ(0, ioasid_inv(self->fd, self->child,
				IOASID_INV_PASID | IOASID_INV_RANGE, P2, Y,
				PG));
	EXPECT_EQ(4, tlb_entries(self->dev2));
	EXPECT_EQ(3, CACHED_PAGE(self->dev2, NO_PASID, Y));
	/* Y for PASID 1: the default route's Y stays */
	ASSERT_EQ(0, ioasid_inv(self->fd, self->child,
				IOASID_INV_PASID | IOASID_INV_RANGE, P1, Y,
				PG));
	EXPECT_EQ(3, tlb_entries(self->dev2));
	EXPECT_EQ(4, WALKED_PAGE(self->dev2, P1, Y));
	EXPECT_EQ(3, CACHED_PAGE(self->dev2, NO_PASID, Y));
	/* everything */
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
	EXPECT_EQ(0, tlb_entries(self->dev2));
	EXPECT_EQ(4, WALKED_PAGE(self->dev2, NO_PASID, Y));
}

/*
 * The parent's unmap of the page that cached nested translations lead to
 * is not refused because of the child; when it returns, the child's DMA
 * there is blocked at stage 2 with that GPA, without any invalidation,
 * and so is the parent's own route; the page the parent maps there next
 * is what the child reaches.  Unmapping everything blocks the walk at
 * the root.
 */
TEST_F(hw, unmapping_an_output_page_needs_no_invalidation)
{
	REQ(REQ-NEST-HW-UNMAP-PARENT, REQ-UNMAP-BLOCKS, REQ-NEST-HW-STAGE,
	    REQ-TESTIF-FORMAT);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(3), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(1), GPA(4), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	EXPECT_EQ(3, WALKED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(3, CACHED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(3, WALKED_PAGE(self->dev2, NO_PASID, GIOVA(0)));
	EXPECT_EQ(3, CACHED_PAGE(self->dev2, NO_PASID, GIOVA(0)));
	EXPECT_EQ(3, WALKED_PAGE(self->dev1, NO_PASID, GPA(3)));
	EXPECT_EQ(4, WALKED_PAGE(self->dev1, P1, GIOVA(1)));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, GPA(3), PG));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 0, NO_XLATE, STAGE2,
		       GPA(3));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 1, NO_XLATE, STAGE2,
		       GPA(3));
	EXPECT_BLOCKED(self->dev2, NO_PASID, GIOVA(0) + 64, 0, NO_XLATE,
		       STAGE2, GPA(3));
	EXPECT_BLOCKED(self->dev1, NO_PASID, GPA(3) + 64, 0, NO_XLATE,
		       NO_STAGE, 0);
	EXPECT_EQ(4, PAGE_OF(self->dev1, P1, GIOVA(1)));
	/* RAM page 5 at GPA(3): the child reaches it through the table */
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, RAM(5), GPA(3), PG,
				IOASID_DMA_RW));
	EXPECT_EQ(5, PAGE_OF(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(5, PAGE_OF(self->dev2, NO_PASID, GIOVA(0)));
	EXPECT_EQ(5, PAGE_OF(self->dev1, NO_PASID, GPA(3)));
	/* nothing mapped: the walk cannot read the root */
	EXPECT_EQ((RAM_PAGES + S1_PAGES) * PG,
		  ioasid_unmap_all(self->fd, self->gpa));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(1) + 64, 0, NO_XLATE, STAGE2,
		       s1_entry_gpa(&self->t, GIOVA(1), 3));
	EXPECT_BLOCKED(self->dev2, NO_PASID, GIOVA(0) + 64, 0, NO_XLATE,
		       STAGE2, s1_entry_gpa(&self->t, GIOVA(0), 3));
}

/*
 * The same for a table of the walk: unmapping the page of the leaf's
 * table blocks the cached translation at stage 2, with the GPA of the
 * entry, and the page the parent maps there next, another leaf table, is
 * the one the IOMMU walks.
 */
TEST_F(hw, unmapping_a_table_page_needs_no_invalidation)
{
	uint64_t *alt = (uint64_t *)test_memory(PG, PG, 0);
	uint64_t e0, page;

	REQ(REQ-NEST-HW-UNMAP-PARENT, REQ-NEST-HW-STAGE, REQ-TESTIF-FORMAT);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_NE(MAP_FAILED, (void *)alt);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(3), S1_RW, 0));
	e0 = s1_entry_gpa(&self->t, GIOVA(0), 0);
	page = e0 & ~(uint64_t)(PG - 1);
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(3, WALKED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(3, CACHED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, page, PG));
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0) + 64, 0, NO_XLATE, STAGE2, e0);
	alt[(e0 - page) / sizeof(*alt)] = GPA(6) | S1_RW;
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, alt, page, PG,
				IOASID_DMA_READ));
	EXPECT_EQ(6, PAGE_OF(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, page, PG));
	munmap(alt, PG);
}

/*
 * Every malformed IOASID_BIND_PGTABLE fails as its table of errors says,
 * in that order, and binds nothing: the child stays without a table.
 * Roots the parent maps read-only or read-write bind, whatever they hold.
 */
TEST_F(hw, bind_bad_arguments_bind_nothing)
{
	struct ioasid_bind_pgtable valid = {
		.argsz = sizeof(valid),
		.ioasid = self->child,
		.format = IOASID_PGTABLE_FORMAT_TEST,
		.root = TABLES,
	};
	static const uint32_t formats[] = { 0, 2, 3, 63, 64, 0xffffffffu };
	static const uint64_t misaligned[] = {
		TABLES + 8, TABLES + 0x800, TABLES + PG - 1, HOLE + 8,
	};
	static const uint64_t unmapped[] = {
		0, HOLE, TABLES + S1_PAGES * PG, GPA(RAM_PAGES), IOVA_TOP,
		0xfffffffffffff000ull, GPA(RAM_WO),
	};
	long plain, a, sw, ids[4];
	int dev = -1;
	unsigned int i;

	REQ(REQ-NEST-HW-BIND-ARGS, REQ-NEST-HW-BIND, REQ-ARG-SIZE-MIN,
	    REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-FAULT,
	    REQ-ARG-NOCHANGE, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(24, sizeof(valid));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	check_bad_args(_metadata, self->fd, IOASID_BIND_PGTABLE, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	/* formats this interface does not assign, before the IOASID */
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		EXPECT_EQ(-EOPNOTSUPP, ioasid_bind_pgtable(self->fd,
							   self->child,
							   formats[i], TABLES))
			TH_LOG("format %u", formats[i]);
		EXPECT_EQ(-EOPNOTSUPP, ioasid_bind_pgtable(self->fd,
							   0xffffffffu,
							   formats[i], TABLES))
			TH_LOG("format %u", formats[i]);
	}
	/* IOASIDs that do not exist, before the root */
	ids[0] = 0;
	ids[1] = sw + 1;
	ids[2] = 0x7fffffff;
	ids[3] = 0xffffffff;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-ENOENT, ioasid_bind_test(self->fd, ids[i], TABLES));
		EXPECT_EQ(-ENOENT, ioasid_bind_test(self->fd, ids[i],
						    TABLES + 8));
	}
	/* IOASIDs that are no child of hardware nesting */
	ids[0] = self->gpa;
	ids[1] = plain;
	ids[2] = a;
	ids[3] = sw;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EINVAL, ioasid_bind_test(self->fd, ids[i], TABLES))
			TH_LOG("IOASID %ld", ids[i]);
	}
	/* roots the format does not allow, before whether they are mapped */
	for (i = 0; i < ARRAY_SIZE(misaligned); i++)
		EXPECT_EQ(-EINVAL, ioasid_bind_test(self->fd, self->child,
						    misaligned[i]))
			TH_LOG("root 0x%llx",
			       (unsigned long long)misaligned[i]);
	/* roots the parent does not map for reading */
	for (i = 0; i < ARRAY_SIZE(unmapped); i++)
		EXPECT_EQ(-EFAULT, ioasid_bind_test(self->fd, self->child,
						    unmapped[i]))
			TH_LOG("root 0x%llx", (unsigned long long)unmapped[i]);
	/* nothing was bound, to the child or to the IOASIDs refused */
	EXPECT_UNBOUND();
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, self->gpa));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA |
		  IOASID_INFO_NESTED, ioasid_info_flags(self->fd, sw));
	EXPECT_EQ(0, ioasid_info_flags(self->fd, plain));
	/* a read-only root binds, and so does a read-write one */
	ASSERT_EQ(0, bind_child());
	EXPECT_BINDING(2);
	ASSERT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	ASSERT_EQ(0, ioasid_bind_test(self->fd, self->child, GPA(3)));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED | IOASID_INFO_BOUND,
		  ioasid_info_flags(self->fd, self->child));
	close(dev);
}

/*
 * A child with a table keeps it: a second IOASID_BIND_PGTABLE fails with
 * EBUSY, before any check of its root (though not before the format's),
 * and the DMA goes on through the first table; after an unbind, the
 * second table binds.
 */
TEST_F(hw, a_second_bind_is_refused_and_keeps_the_first_table)
{
	static const uint64_t roots[] = {
		TABLES2, TABLES, TABLES2 + 8, HOLE, GPA(RAM_WO),
	};
	struct s1_tables t2;
	unsigned int i;

	REQ(REQ-NEST-HW-BIND-ARGS, REQ-NEST-HW-BIND, REQ-NEST-HW-UNBIND,
	    REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, s1_init(&t2, 4, TABLES2));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, t2.mem, TABLES2, 4 * PG,
				IOASID_DMA_READ));
	ASSERT_EQ(0, s1_map(&t2, GIOVA(0), GPA(5), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	ASSERT_EQ(0, bind_child());
	EXPECT_BINDING(2);
	for (i = 0; i < ARRAY_SIZE(roots); i++)
		EXPECT_EQ(-EBUSY, ioasid_bind_test(self->fd, self->child,
						   roots[i]))
			TH_LOG("root 0x%llx", (unsigned long long)roots[i]);
	EXPECT_EQ(-EOPNOTSUPP, ioasid_bind_pgtable(self->fd, self->child, 2,
						   TABLES2));
	/* the first table, walked again */
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
	EXPECT_BINDING(2);
	ASSERT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	ASSERT_EQ(0, ioasid_bind_test(self->fd, self->child, TABLES2));
	EXPECT_BINDING(5);
	s1_release(&t2);
}

/*
 * IOASID numbers are the descriptor's own: a hardware child of another
 * descriptor, whatever its number, cannot be bound, unbound or
 * invalidated through this one, and binding through the other descriptor
 * binds only its own child.
 */
TEST_F(hw, a_child_of_another_descriptor_names_nothing)
{
	int other = ioasid_open(), dev = hw_device(self->testif), i;
	long parent, child;

	REQ(REQ-IOASID-LOCAL, REQ-IOASID-UNKNOWN, REQ-NEST-HW-BIND-ARGS,
	    REQ-NEST-HW-UNBIND, REQ-NEST-INV-ARGS);
	ASSERT_LE(0, other);
	ASSERT_LE(0, dev);
	/* other has plain IOASIDs 1 to 3, the parent 4 and the child 5 */
	for (i = 0; i < 3; i++)
		ASSERT_LE(1, ioasid_alloc_one(other));
	ASSERT_LE(1, device_bind(dev, other));
	parent = ioasid_alloc_one(other);
	ASSERT_EQ(0, device_attach(dev, parent));
	ASSERT_EQ(0, ioasid_map(other, parent, self->t.mem, TABLES, PG,
				IOASID_DMA_READ));
	child = ioasid_nest(other, parent);
	ASSERT_EQ(5, child);
	EXPECT_EQ(-ENOENT, ioasid_bind_test(self->fd, child, TABLES));
	EXPECT_EQ(-ENOENT, ioasid_unbind_pgtable(self->fd, child));
	EXPECT_EQ(-ENOENT, ioasid_inv_all(self->fd, child));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED,
		  ioasid_info_flags(other, child));
	/* the fixture's child number is a plain IOASID of other */
	EXPECT_EQ(-EINVAL, ioasid_bind_test(other, self->child, TABLES));
	EXPECT_EQ(0, ioasid_bind_test(other, child, TABLES));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED | IOASID_INFO_BOUND,
		  ioasid_info_flags(other, child));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED,
		  ioasid_info_flags(self->fd, self->child));
	close(dev);
	close(other);
}

/*
 * When the IOMMU cannot bind the table, IOASID_BIND_PGTABLE fails with
 * ENOMEM, after every other check, and binds nothing; the same command
 * then binds.
 */
TEST_F(hw, a_bind_the_iommu_fails_binds_nothing)
{
	REQ(REQ-ERR-RESOURCE, REQ-NEST-HW-BIND-ARGS, REQ-ARG-NOCHANGE,
	    REQ-TESTIF-FAIL);
	NEED_CAPS(IOASID_TEST_CAP_FAIL, "FAIL");
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	ASSERT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_BIND, 1));
	/* binds that fail a check do not reach the IOMMU */
	EXPECT_EQ(-EFAULT, ioasid_bind_test(self->fd, self->child, HOLE));
	EXPECT_EQ(-EINVAL, ioasid_bind_test(self->fd, self->gpa, TABLES));
	EXPECT_EQ(-ENOMEM, bind_child());
	testif_fail_none(self->testif);
	EXPECT_UNBOUND();
	EXPECT_EQ(0, bind_child());
	EXPECT_BINDING(2);
	EXPECT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	EXPECT_UNBOUND();
}

/*
 * Every malformed IOASID_UNBIND_PGTABLE fails as its table of errors says,
 * in that order, and leaves the table bound; unbinding a child without a
 * table, or an IOASID that is no hardware child, fails with EINVAL.
 */
TEST_F(hw, unbind_bad_arguments_keep_the_table)
{
	struct ioasid_unbind_pgtable valid = {
		.argsz = sizeof(valid),
		.ioasid = self->child,
	};
	struct ioasid_unbind_pgtable arg;
	long plain, a, sw, second, ids[4];
	int dev = -1;
	unsigned int i;

	REQ(REQ-NEST-HW-UNBIND, REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX,
	    REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED, REQ-ARG-FAULT,
	    REQ-ARG-NOCHANGE, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(16, sizeof(valid));
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	ASSERT_EQ(0, bind_child());
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	second = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, second);
	check_bad_args(_metadata, self->fd, IOASID_UNBIND_PGTABLE, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_unbind_pgtable, __reserved));
	/* flags and __reserved before the IOASID */
	arg = valid;
	arg.ioasid = 0xffffffff;
	arg.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_UNBIND_PGTABLE,
					    &arg));
	arg.flags = 0;
	arg.__reserved = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UNBIND_PGTABLE, &arg));
	ids[0] = 0;
	ids[1] = second + 1;
	ids[2] = 0x7fffffff;
	ids[3] = 0xffffffff;
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-ENOENT, ioasid_unbind_pgtable(self->fd, ids[i]));
	ids[0] = self->gpa;
	ids[1] = plain;
	ids[2] = a;
	ids[3] = sw;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EINVAL, ioasid_unbind_pgtable(self->fd, ids[i]))
			TH_LOG("IOASID %ld", ids[i]);
	}
	EXPECT_EQ(-EINVAL, ioasid_unbind_pgtable(self->fd, second));
	/* the table is bound still, and walked */
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
	EXPECT_BINDING(2);
	EXPECT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	EXPECT_UNBOUND();
	EXPECT_EQ(-EINVAL, ioasid_unbind_pgtable(self->fd, self->child));
	close(dev);
}

/*
 * IOASID_UNBIND_PGTABLE while routes are attached and translations of the
 * table are cached: when it returns, every route of the child is blocked
 * at stage 1 and nothing the IOTLB held of the table is used, while the
 * parent's route keeps its translations; another table can then be bound,
 * and the routes translate through it.  (dev2 caches eight translations
 * of the first table, then four of the second.)
 */
TEST_F(hw, unbinding_blocks_the_routes_at_once)
{
	struct s1_tables t2;
	long hits;
	int i;

	REQ(REQ-NEST-HW-UNBIND, REQ-NEST-HW-STAGE, REQ-NEST-HW-BIND,
	    REQ-TESTIF-IOTLB, REQ-TESTIF-FORMAT);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, s1_init(&t2, 4, TABLES2));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, t2.mem, TABLES2, 4 * PG,
				IOASID_DMA_READ));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, s1_map(&self->t, GIOVA(i), GPA(i), S1_RW, 0));
		ASSERT_EQ(0, s1_map(&t2, GIOVA(i), GPA(8 + i), S1_RW, 0));
	}
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->child, P2));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(i, WALKED_PAGE(self->dev2, NO_PASID, GIOVA(i)));
		EXPECT_EQ(i, CACHED_PAGE(self->dev2, NO_PASID, GIOVA(i)));
		EXPECT_EQ(i, WALKED_PAGE(self->dev2, P2, GIOVA(i)));
		EXPECT_EQ(i, WALKED_PAGE(self->dev1, P1, GIOVA(i)));
	}
	EXPECT_EQ(0, PAGE_OF(self->dev1, NO_PASID, GPA(0)));
	EXPECT_EQ(8, tlb_entries(self->dev2));
	hits = tlb_hits(self->dev2);
	ASSERT_EQ(0, ioasid_unbind_pgtable(self->fd, self->child));
	EXPECT_EQ(0, tlb_entries(self->dev2));
	for (i = 0; i < 4; i++) {
		EXPECT_BLOCKED(self->dev2, NO_PASID, GIOVA(i) + 64, 0,
			       NO_XLATE, STAGE1, 0);
		EXPECT_BLOCKED(self->dev2, P2, GIOVA(i) + 64, 1, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev1, P1, GIOVA(i) + 64, 0, NO_XLATE,
			       STAGE1, 0);
	}
	EXPECT_EQ(hits, tlb_hits(self->dev2));
	EXPECT_EQ(0, CACHED_PAGE(self->dev1, NO_PASID, GPA(0)));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED,
		  ioasid_info_flags(self->fd, self->child));
	ASSERT_EQ(0, ioasid_bind_test(self->fd, self->child, TABLES2));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(8 + i, WALKED_PAGE(self->dev2, NO_PASID, GIOVA(i)));
		EXPECT_EQ(8 + i, PAGE_OF(self->dev1, P1, GIOVA(i)));
	}
	s1_release(&t2);
}

/*
 * IOASID_INVALIDATE_CACHE with a malformed argument fails as its table of
 * errors says, in that order, handles nothing and writes nothing back;
 * the sizes and the count at their limits, and a count of 0, work.
 */
TEST_F(hw, invalidate_bad_arguments_handle_nothing)
{
	struct ioasid_cache_inv e[3] = {
		{ .type = IOASID_CACHE_IOTLB },
		{ .type = IOASID_CACHE_IOTLB },
		{ .type = IOASID_CACHE_IOTLB },
	};
	struct ioasid_invalidate_cache valid = {
		.argsz = sizeof(valid),
		.ioasid = self->child,
		.entry_len = sizeof(e[0]),
		.entry_num = 1,
		.entries = (uintptr_t)e,
	};
	struct ioasid_invalidate_cache arg, *ro;
	static uint8_t big[4096];
	long plain, a, sw, ids[4];
	struct ioasid_cache_inv *many;
	uint32_t handled;
	int dev = -1;
	unsigned int i;

	REQ(REQ-NEST-INV-ARGS, REQ-NEST-INV-BATCH, REQ-ARG-SIZE-MIN,
	    REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED,
	    REQ-ARG-FAULT, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(32, sizeof(valid));
	ASSERT_EQ(32, sizeof(e[0]));
	check_bad_args(_metadata, self->fd, IOASID_INVALIDATE_CACHE, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_invalidate_cache, __reserved));
	/* entry sizes and counts out of bounds, before the IOASID */
	arg = valid;
	arg.entry_num = 3;
	arg.entry_len = 0;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	EXPECT_EQ(3, arg.entry_num);
	arg.entry_len = 31;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	EXPECT_EQ(3, arg.entry_num);
	arg.entry_len = 4097;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
				       &arg));
	EXPECT_EQ(3, arg.entry_num);
	arg.entry_num = 4097;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	EXPECT_EQ(4097, arg.entry_num);
	arg.entry_len = 32;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	arg = valid;
	arg.ioasid = 0xffffffff;
	arg.__reserved = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	arg.__reserved = 0;
	arg.entry_len = 31;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					&arg));
	arg.entry_len = 4097;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
				       &arg));
	/* IOASIDs that do not exist, and IOASIDs that are no hardware child */
	ids[0] = 0;
	ids[1] = self->child + 1;
	ids[2] = 0x7fffffff;
	ids[3] = 0xffffffff;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-ENOENT, ioasid_invalidate(self->fd, ids[i], e, 3,
						     &handled));
		EXPECT_EQ(3, handled);
	}
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	ids[0] = self->gpa;
	ids[1] = plain;
	ids[2] = a;
	ids[3] = sw;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EINVAL, ioasid_invalidate(self->fd, ids[i], e, 3,
						     &handled))
			TH_LOG("IOASID %ld", ids[i]);
		EXPECT_EQ(3, handled);
	}
	/* a child without a table is a hardware child all the same */
	EXPECT_EQ(0, ioasid_invalidate(self->fd, self->child, e, 3, &handled));
	EXPECT_EQ(3, handled);
	/* no entry: nothing read, whatever entries is */
	arg = valid;
	arg.entry_num = 0;
	arg.entries = 0;
	EXPECT_EQ(0, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE, &arg));
	EXPECT_EQ(0, arg.entry_num);
	/* the largest entry, with zeros beyond the 32 bytes known */
	memcpy(big, &e[0], sizeof(e[0]));
	arg = valid;
	arg.entry_len = sizeof(big);
	arg.entries = (uintptr_t)big;
	EXPECT_EQ(0, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE, &arg));
	EXPECT_EQ(1, arg.entry_num);
	big[sizeof(big) - 1] = 1;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
				       &arg));
	EXPECT_EQ(0, arg.entry_num);
	/* the most entries, each selecting everything */
	many = calloc(IOASID_INV_MAX_ENTRIES, sizeof(*many));
	ASSERT_NE(NULL, many);
	EXPECT_EQ(0, ioasid_invalidate(self->fd, self->child, many,
				       IOASID_INV_MAX_ENTRIES, &handled));
	EXPECT_EQ(IOASID_INV_MAX_ENTRIES, handled);
	free(many);
	/* a count that cannot be written back */
	ro = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = valid;
	ASSERT_EQ(0, mprotect(ro, PG, PROT_READ));
	EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					ro));
	munmap(ro, PG);
	close(dev);
}

/* An entry of IOASID_INVALIDATE_CACHE alone, and what the command returns. */
static const struct {
	struct ioasid_cache_inv e;
	long ret;
} entry_cases[] = {
	{ { .type = 2 }, -EOPNOTSUPP },
	{ { .type = 0xffffffffu }, -EOPNOTSUPP },
	/* the cache of PASID-table entries, which this child has none of */
	{ { .type = IOASID_CACHE_PASID }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
	    .pasid = P1 }, -EINVAL },
	{ { .__reserved = 1 }, -EINVAL },
	{ { .__reserved = 0x80000000u }, -EINVAL },
	{ { .flags = IOASID_INV_PASID, .pasid = 1u << 20 }, -EINVAL },
	{ { .flags = IOASID_INV_PASID, .pasid = 0xffffffffu }, -EINVAL },
	{ { .flags = IOASID_INV_PASID, .pasid = (1u << 20) - 1 }, 0 },
	{ { .flags = IOASID_INV_PASID, .pasid = 0 }, 0 },
	{ { .pasid = 1 }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = X }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = X + 0x800, .length = PG },
	  -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = X, .length = PG + 0x800 },
	  -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = X, .length = 1 }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = 0xfffffffffffff000ull,
	    .length = 2 * PG }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = 0xfffffffffffff000ull,
	    .length = PG }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = IOVA_TOP - PG,
	    .length = 2 * PG }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = IOVA_TOP, .length = PG },
	  -EINVAL },
	{ { .flags = IOASID_INV_RANGE, .addr = IOVA_TOP - PG, .length = PG },
	  0 },
	{ { .flags = IOASID_INV_RANGE, .addr = 0, .length = IOVA_TOP }, 0 },
	{ { .flags = IOASID_INV_RANGE | IOASID_INV_PASID, .pasid = 1u << 20,
	    .addr = X, .length = PG }, -EINVAL },
	{ { .flags = IOASID_INV_RANGE | IOASID_INV_PASID, .pasid = P1,
	    .addr = X, .length = PG }, 0 },
	{ { .addr = X }, -EINVAL },
	{ { .length = PG }, -EINVAL },
	{ { .flags = IOASID_INV_PASID, .pasid = P1, .addr = X, .length = PG },
	  -EINVAL },
	/* the order of the checks */
	{ { .flags = 1 << 2, .__reserved = 1 }, -EOPNOTSUPP },
	{ { .type = 2, .pasid = 1, .addr = 1 }, -EOPNOTSUPP },
	{ { .type = IOASID_CACHE_PASID, .pasid = 1 }, -EINVAL },
};

/*
 * Each entry is checked before it is handled: an entry that breaks a rule
 * fails the command with its errno, as the table of errors says, having
 * handled nothing, and entries at the edges of the rules are handled.  An
 * entry that cannot be read fails with EFAULT.
 */
TEST_F(hw, invalidate_entries_are_checked)
{
	struct ioasid_cache_inv e = { .type = IOASID_CACHE_IOTLB };
	struct ioasid_cache_inv *none;
	uint32_t handled;
	unsigned int i;

	REQ(REQ-NEST-INV-ARGS, REQ-NEST-INV-BATCH, REQ-NEST-PT-INV, REQ-ERR-RESOURCE);
	for (i = 0; i < ARRAY_SIZE(entry_cases); i++) {
		handled = 0xdead;
		EXPECT_EQ(entry_cases[i].ret,
			  ioasid_invalidate(self->fd, self->child,
					    &entry_cases[i].e, 1, &handled))
			TH_LOG("case %u", i);
		EXPECT_EQ(entry_cases[i].ret ? 0 : 1, handled)
			TH_LOG("case %u", i);
	}
	for (i = 2; i < 32; i++) {
		e.flags = 1u << i;
		handled = 0xdead;
		EXPECT_EQ(-EOPNOTSUPP, ioasid_invalidate(self->fd, self->child,
							 &e, 1, &handled))
			TH_LOG("flag bit %u", i);
		EXPECT_EQ(0, handled);
	}
	EXPECT_EQ(-EFAULT, ioasid_invalidate(self->fd, self->child, NULL, 1,
					     &handled));
	EXPECT_EQ(0, handled);
	none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-EFAULT, ioasid_invalidate(self->fd, self->child, none, 2,
					     &handled));
	EXPECT_EQ(0, handled);
	munmap(none, PG);
	/* an array at the very top: its first entry would wrap around */
	{
		struct ioasid_invalidate_cache arg = {
			.argsz = sizeof(arg),
			.ioasid = self->child,
			.entry_len = 40,
			.entry_num = 2,
			.entries = ~0ull - 16,
		};

		EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd,
						IOASID_INVALIDATE_CACHE, &arg));
		EXPECT_EQ(0, arg.entry_num);
		/* and at NULL, longer than the kernel's entry */
		arg.entries = 0;
		arg.entry_num = 1;
		EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd,
						IOASID_INVALIDATE_CACHE, &arg));
		EXPECT_EQ(0, arg.entry_num);
	}
}

/* What entry 3 of the batch has in each round of the test below. */
enum {
	BATCH_GOOD, BATCH_FLAG, BATCH_TYPE, BATCH_RESERVED, BATCH_LENGTH,
	BATCH_PASID, BATCH_GOOD_48, BATCH_TAIL_48, BATCH_UNREADABLE,
	BATCH_ROUNDS,
};

static const long batch_ret[BATCH_ROUNDS] = {
	[BATCH_FLAG] = -EOPNOTSUPP,
	[BATCH_TYPE] = -EOPNOTSUPP,
	[BATCH_RESERVED] = -EINVAL,
	[BATCH_LENGTH] = -EINVAL,
	[BATCH_PASID] = -EINVAL,
	[BATCH_TAIL_48] = -E2BIG,
	[BATCH_UNREADABLE] = -EFAULT,
};

/*
 * A batch of five entries, each selecting GIOVA(k) by range, is handled in
 * order up to its first bad entry, entry 3 here: the command fails with
 * that entry's errno and writes back 3; the entries before it took effect
 * (their pages are walked again and give the new page), and neither the
 * bad entry nor the one after it did (their pages still give the old
 * page).  The same with entries of 48 bytes, whose tails must be zero,
 * and with an entry that cannot be read.  A good batch handles all five.
 * (dev2 caches at most ten translations per round.)
 */
TEST_F(hw, a_batch_stops_at_its_first_bad_entry)
{
	uint64_t *leaf[5];
	uint8_t *mem;
	int round, k;

	REQ(REQ-NEST-INV-BATCH, REQ-NEST-INV, REQ-NEST-INV-ARGS,
	    REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	mem = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	for (k = 0; k < 5; k++) {
		ASSERT_EQ(0, s1_map(&self->t, GIOVA(k), GPA(k), S1_RW, 0));
		leaf[k] = s1_entry(&self->t, GIOVA(k), 0);
	}
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	for (round = 0; round < BATCH_ROUNDS; round++) {
		uint32_t len = round == BATCH_GOOD_48 ||
			       round == BATCH_TAIL_48 ? 48 : 32;
		/* entries 0 to 2 end the first page, 3 and 4 begin the next */
		uint8_t *base = mem + PG - 3 * len;
		struct ioasid_cache_inv *bad;
		struct ioasid_invalidate_cache arg = {
			.argsz = sizeof(arg),
			.ioasid = self->child,
			.entry_len = len,
			.entry_num = 5,
			.entries = (uintptr_t)base,
		};
		long ret = batch_ret[round];

		memset(mem, 0, 2 * PG);
		for (k = 0; k < 5; k++) {
			struct ioasid_cache_inv e = {
				.flags = IOASID_INV_RANGE,
				.type = IOASID_CACHE_IOTLB,
				.addr = GIOVA(k),
				.length = PG,
			};

			memcpy(base + k * len, &e, sizeof(e));
		}
		bad = (struct ioasid_cache_inv *)(base + 3 * len);
		switch (round) {
		case BATCH_FLAG:
			bad->flags |= 1 << 4;
			break;
		case BATCH_TYPE:
			bad->type = 2;
			break;
		case BATCH_RESERVED:
			bad->__reserved = 1;
			break;
		case BATCH_LENGTH:
			bad->length = 0;
			break;
		case BATCH_PASID:
			bad->flags |= IOASID_INV_PASID;
			bad->pasid = 1u << 20;
			break;
		case BATCH_TAIL_48:
			base[3 * len + 40] = 1;
			break;
		}
		/* the old pages cached, then the new ones in the table */
		for (k = 0; k < 5; k++)
			s1_set(leaf[k], GPA(k) | S1_RW);
		ASSERT_EQ(0, ioasid_inv_all(self->fd, self->child));
		for (k = 0; k < 5; k++)
			ASSERT_EQ(k, WALKED_PAGE(self->dev2, NO_PASID,
						 GIOVA(k)));
		for (k = 0; k < 5; k++)
			s1_set(leaf[k], GPA(8 + k) | S1_RW);
		if (round == BATCH_UNREADABLE)
			ASSERT_EQ(0, mprotect(mem + PG, PG, PROT_NONE));
		EXPECT_EQ(ret, ioasid_ioctl(self->fd, IOASID_INVALIDATE_CACHE,
					    &arg)) TH_LOG("round %d", round);
		EXPECT_EQ(ret ? 3 : 5, arg.entry_num) TH_LOG("round %d", round);
		if (round == BATCH_UNREADABLE)
			ASSERT_EQ(0, mprotect(mem + PG, PG,
					      PROT_READ | PROT_WRITE));
		for (k = 0; k < 5; k++) {
			if (!ret || k < 3) {
				EXPECT_EQ(8 + k, WALKED_PAGE(self->dev2,
							     NO_PASID,
							     GIOVA(k)))
					TH_LOG("round %d, entry %d", round, k);
			} else {
				EXPECT_EQ(k, CACHED_PAGE(self->dev2, NO_PASID,
							 GIOVA(k)))
					TH_LOG("round %d, entry %d", round, k);
			}
		}
	}
	munmap(mem, 2 * PG);
}

/*
 * A hardware child, bound or not, keeps its parent: the parent's
 * IOASID_FREE fails with EBUSY while the child exists.  The child is busy
 * while a route is attached to it, and otherwise is freed with its table
 * bound, without an unbind; the parent can then be freed once its own
 * route is gone, and its mappings, the tables' among them, are its own.
 */
TEST_F(hw, a_bound_child_is_freed_before_its_parent)
{
	REQ(REQ-NEST-FREE-PARENT, REQ-FREE-ATTACHED, REQ-IOASID-FREE,
	    REQ-NEST-HW-UNBIND, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, s1_map(&self->t, GIOVA(0), GPA(2), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->child));
	EXPECT_BINDING(2);
	EXPECT_EQ(1, children_of(self->fd, self->gpa));
	ASSERT_EQ(0, device_detach_pasid(self->dev1, self->child, P1));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->child));
	EXPECT_EQ(-ENOENT, ioasid_info_flags(self->fd, self->child));
	EXPECT_EQ(-ENOENT, ioasid_unbind_pgtable(self->fd, self->child));
	EXPECT_EQ(-ENOENT, ioasid_inv_all(self->fd, self->child));
	EXPECT_EQ(0, children_of(self->fd, self->gpa));
	/* dev1's route keeps the parent busy, not the child any more */
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
	EXPECT_EQ(2, PAGE_OF(self->dev1, NO_PASID, GPA(2)));
	EXPECT_EQ((RAM_PAGES + S1_PAGES) * PG,
		  ioasid_unmap_all(self->fd, self->gpa));
	ASSERT_EQ(0, device_detach(self->dev1, self->gpa));
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->gpa));
}

/*
 * Closing releases everything hardware nesting holds: a bound child with
 * the default route moved to it, a PASID route and cached translations,
 * on a parent with guest RAM and tables mapped.  Whichever goes first,
 * the descriptor or the device's binding, nothing stays pinned once both
 * are gone, and the device binds to a new descriptor.
 */
TEST_F(hw, closing_releases_a_bound_child_with_routes)
{
	int order;

	REQ(REQ-IOASID-CLOSE, REQ-DEV-CLOSE-CTX, REQ-DEV-CLOSED-CTX-CMDS,
	    REQ-UNBIND-DETACHES, REQ-UNMAP-UNPIN, REQ-DEV-BIND);
	NEED_CAPS(IOASID_TEST_CAP_PINNED, "PINNED");
	for (order = 0; order < 2; order++) {
		uint8_t *mem = test_memory(4 * PG, PG, 0);
		int fd = ioasid_open(), dev = hw_device(self->testif), i;
		struct s1_tables t;
		long gpa, child;

		ASSERT_NE(MAP_FAILED, mem);
		ASSERT_LE(0, fd);
		ASSERT_LE(0, dev);
		ASSERT_EQ(0, s1_init(&t, 4, TABLES));
		fill_pages(mem, 4, RAM_TAG + 1);
		ASSERT_LE(1, device_bind(dev, fd));
		gpa = ioasid_alloc_one(fd);
		ASSERT_EQ(0, device_attach(dev, gpa));
		ASSERT_EQ(0, ioasid_map(fd, gpa, mem, GPA(0), 4 * PG,
					IOASID_DMA_RW));
		ASSERT_EQ(0, ioasid_map(fd, gpa, t.mem, TABLES, 4 * PG,
					IOASID_DMA_READ));
		for (i = 0; i < 4; i++)
			ASSERT_EQ(0, s1_map(&t, GIOVA(i), GPA(i), S1_RW, 0));
		child = ioasid_nest(fd, gpa);
		ASSERT_LE(1, child);
		ASSERT_EQ(0, ioasid_bind_test(fd, child, TABLES));
		ASSERT_EQ(0, device_attach(dev, child));
		ASSERT_EQ(0, device_attach_pasid(dev, child, P2));
		EXPECT_EQ(-1, first_wrong_page(dev, NO_PASID, GIOVA(0), mem,
					       4));
		EXPECT_EQ(-1, first_wrong_page(dev, P2, GIOVA(0), mem, 4));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem, 4, 1));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    (uint8_t *)t.mem, 4, 1));
		if (!order) {
			/* the context lives on with the binding */
			close(fd);
			EXPECT_EQ(-1, first_wrong_page(dev, P2, GIOVA(0), mem,
						       4));
			EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem,
							    4, 1));
			EXPECT_EQ(0, device_unbind(dev));
		} else {
			EXPECT_EQ(0, device_unbind(dev));
			EXPECT_EQ(-1, first_reachable_page(dev, P2, GIOVA(0),
							   4));
			EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem,
							    4, 1));
			close(fd);
		}
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, mem, 4, 0));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    (uint8_t *)t.mem, 4, 0));
		EXPECT_EQ(-1, first_reachable_page(dev, NO_PASID, GIOVA(0), 4));
		/* the device is free for a new descriptor */
		fd = ioasid_open();
		ASSERT_LE(0, fd);
		ASSERT_LE(1, device_bind(dev, fd));
		gpa = ioasid_alloc_one(fd);
		EXPECT_EQ(0, device_attach(dev, gpa));
		close(dev);
		close(fd);
		s1_release(&t);
		munmap(mem, 4 * PG);
	}
}

/*
 * The default route moved to a bound child: translated by the user's
 * table while it is attached there (GPA(i), as child IOVAs, to GPA(7 -
 * i)), by the parent alone before and after, with nothing of the child's
 * translations left in the IOTLB after the detach, though they cached the
 * very IOVAs the parent translates.
 */
TEST_F(hw, the_default_route_moves_to_a_bound_child_and_back)
{
	long second = ioasid_nest(self->fd, self->gpa);
	struct ioasid_info info;
	int round, i;

	REQ(REQ-NEST-ATTACH-RID, REQ-NEST-DETACH-PARENT, REQ-ATTACH-ONCE,
	    REQ-DETACH-BLOCKS, REQ-NEST-HW-BIND);
	ASSERT_LE(1, second);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, s1_map(&self->t, GPA(i), GPA(7 - i), S1_RW, 0));
	ASSERT_EQ(0, bind_child());
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 8; i++)
			EXPECT_EQ(i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
		ASSERT_EQ(0, device_attach(self->dev1, self->child));
		EXPECT_EQ(-EBUSY, device_attach(self->dev1, second));
		EXPECT_EQ(-EBUSY, device_attach(self->dev1, self->child));
		for (i = 0; i < 4; i++)
			EXPECT_EQ(7 - i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
		EXPECT_BLOCKED(self->dev1, NO_PASID, GPA(4), 0, NO_XLATE,
			       STAGE1, 0);
		ASSERT_EQ(0, ioasid_get_info(self->fd, self->child, &info));
		EXPECT_EQ(1, info.out_routes);
		ASSERT_EQ(0, ioasid_get_info(self->fd, self->gpa, &info));
		EXPECT_EQ(1, info.out_routes);
		EXPECT_EQ(-EBUSY, device_detach(self->dev1, self->gpa));
		for (i = 0; i < 4; i++)
			EXPECT_EQ(7 - i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
		ASSERT_EQ(0, device_detach(self->dev1, self->child));
		EXPECT_EQ(-ENOENT, device_detach(self->dev1, self->child));
		ASSERT_EQ(0, ioasid_get_info(self->fd, self->child, &info));
		EXPECT_EQ(0, info.out_routes);
	}
	for (i = 0; i < 8; i++)
		EXPECT_EQ(i, PAGE_OF(self->dev1, NO_PASID, GPA(i)));
}

#define RACE_ROUNDS	200
#define RX		GIOVA(0)	/* leaf alternates, GPA(0) or GPA(1) */
#define RY		GIOVA(1)	/* to GPA(2), which the parent unmaps */

/* The threads of the race below, and what each saw that it must not. */
struct hw_race {
	int fd, dev1, dev2;
	long gpa, child;
	uint8_t *ram;
	uint64_t *leaf;		/* RX's */
	int stop;
	int wrong[3];
	long rounds[3];
};

/*
 * Change RX's leaf, invalidate it, and read it: the read issued after the
 * invalidation returned finds the new page, through both routes.
 */
static void *race_editor(void *arg)
{
	struct hw_race *r = arg;
	int i, page;

	for (i = 0; i < RACE_ROUNDS; i++) {
		page = (i + 1) % 2;
		s1_set(r->leaf, GPA(page) | S1_RW);
		if (ioasid_inv_range(r->fd, r->child, RX, PG))
			r->wrong[0]++;
		if (page_of(r->ram, r->dev1, P1, RX) != page ||
		    page_of(r->ram, r->dev2, NO_PASID, RX) != page)
			r->wrong[0]++;
		r->rounds[0]++;
	}
	return NULL;
}

/*
 * Unmap GPA(2) from the parent and read RY: the read issued after the unmap
 * returned is blocked at stage 2; map it again and read: RAM page 2.
 */
static void *race_unmapper(void *arg)
{
	struct hw_race *r = arg;
	struct dma_fault f;
	uint8_t byte;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		if (ioasid_unmap(r->fd, r->gpa, GPA(2), PG) != PG)
			r->wrong[1]++;
		if (route_dma_fault(r->dev1, P1, RY, &byte, 1, 0, &f) !=
			    NO_XLATE ||
		    f.stage != STAGE2 || f.parent_iova != GPA(2))
			r->wrong[1]++;
		if (route_dma_fault(r->dev2, NO_PASID, RY, &byte, 1, 0, &f) !=
			    NO_XLATE ||
		    f.stage != STAGE2 || f.parent_iova != GPA(2))
			r->wrong[1]++;
		if (ioasid_map(r->fd, r->gpa, r->ram + 2 * PG, GPA(2), PG,
			       IOASID_DMA_RW) ||
		    page_of(r->ram, r->dev1, P1, RY) != 2 ||
		    page_of(r->ram, r->dev2, NO_PASID, RY) != 2)
			r->wrong[1]++;
		r->rounds[1]++;
	}
	return NULL;
}

/*
 * Read RX and RY meanwhile, through the routes the other threads check:
 * either page of RX; RY's page, or blocked.
 */
static void *race_dma(void *arg)
{
	struct hw_race *r = arg;
	int x, y, dev;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (dev = 0; dev < 2; dev++) {
			x = page_of(r->ram, dev ? r->dev2 : r->dev1,
				    dev ? NO_PASID : P1, RX);
			y = page_of(r->ram, dev ? r->dev2 : r->dev1,
				    dev ? NO_PASID : P1, RY);
			if ((x != 0 && x != 1) ||
			    (y != 2 && y != PAGE_BLOCKED(NO_XLATE)))
				r->wrong[2]++;
		}
		r->rounds[2]++;
	}
	return NULL;
}

/*
 * Edits of a leaf, each followed by a range invalidation, and unmaps and
 * maps of the parent, race with DMA through the child on both devices.
 * A DMA that the editing thread issues after its invalidation returned
 * always finds the new page, one that the unmapping thread issues after
 * its unmap returned is always blocked at stage 2, and every other DMA
 * finds one of the pages the two levels may give it at that time.
 */
TEST_F(hw, leaf_edits_and_parent_unmaps_race_with_dma)
{
	void *(*const fns[3])(void *) = {
		race_editor, race_unmapper, race_dma,
	};
	struct hw_race r = {
		.fd = self->fd, .dev1 = self->dev1, .dev2 = self->dev2,
		.gpa = self->gpa, .child = self->child, .ram = self->ram,
	};
	pthread_t threads[3];
	int i;

	REQ(REQ-NEST-INV, REQ-NEST-HW-UNMAP-PARENT, REQ-UNMAP-BLOCKS,
	    REQ-TESTIF-FORMAT, REQ-NEST-HW-STAGE);
	ASSERT_EQ(0, s1_map(&self->t, RX, GPA(0), S1_RW, 0));
	ASSERT_EQ(0, s1_map(&self->t, RY, GPA(2), S1_RW, 0));
	r.leaf = s1_entry(&self->t, RX, 0);
	ASSERT_EQ(0, bind_child());
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->child));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, self->child, P1));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, fns[i], &r));
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(threads[2], NULL);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, r.wrong[i]) TH_LOG("thread %d, %ld rounds", i,
						r.rounds[i]);
		EXPECT_LT(0, r.rounds[i]);
	}
	EXPECT_EQ(RACE_ROUNDS, r.rounds[0]);
	EXPECT_EQ(0, PAGE_OF(self->dev1, P1, RX));
	EXPECT_EQ(2, PAGE_OF(self->dev2, NO_PASID, RY));
}

TEST_HARNESS_MAIN
