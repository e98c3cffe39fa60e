// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for user PASID tables (the RFC's flow 5.7): a child of
 * hardware nesting that holds the device's PASID table, bound with
 * IOASID_BIND_PASID_TABLE, from which the IOMMU takes the stage-1 table of
 * every DMA of a device whose default route is attached to the child; the
 * cache of the table's entries and its invalidation (IOASID_CACHE_PASID);
 * which IOASID owns a PASID for IOTLB invalidation; and
 * IOASID_UNBIND_PASID_TABLE.
 *
 * The "pt" fixture needs test devices behind the mock IOMMU of class N
 * (conformance test interface, capabilities DEVICE, DMA and HW_NESTING),
 * and is skipped without them.  Tests that look into the IOTLB, at pinned
 * pages, or make the IOMMU fail need the IOTLB, PINNED or FAIL capability
 * as well, and are skipped without it.  The tables are in the formats of
 * the test interface's annex: the PASID table in IOASID_PASID_FORMAT_TEST,
 * the stage-1 tables it names in IOASID_PGTABLE_FORMAT_TEST, built with
 * the s1_* helpers.  The walk of a stage-1 table is nesting_hw_test.c's.
 *
 * The IOTLB of a test device holds 16 translations and its cache of
 * PASID-table entries 8, both replaced round robin: a test that relies on
 * a translation or an entry staying cached makes fewer new ones of that
 * device between caching it and using it, as the comments count.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "ioasid_test.h"

#define PG		TEST_PAGE
#define NROOTS		6		/* stage-1 tables of the fixture */
#define NJ		4		/* child pages each of them maps */
#define RAM_PAGES	(NROOTS * NJ)
#define RAM_TAG		0x70617369u	/* fill_pages() tag of the guest RAM */
#define GPA(i)		(0x100000ull + (uint64_t)(i) * PG)
#define HOLE		0x180000ull	/* a GPA the parent never maps */
#define ROOT(r)		(0x200000ull + (uint64_t)(r) * 0x10000)
#define S1_PAGES	4		/* per stage-1 table: one per level */
#define PTAB		0x300000ull	/* GPA of the PASID table */
#define PT_PAGES	2		/* its memory; the parent maps page 0 */
#define PT_BITS		4		/* the width most tests bind */
#define GIOVA(j)	(0x40000000ull + (uint64_t)(j) * PG)
#define ROOT1		(1ull << 39)	/* the first IOVA of root entry 1 */
#define X		GIOVA(0)	/* its leaves change in some tests */
#define DEV1_BITS	8		/* PASID widths of dev1 and dev2 */
#define DEV2_BITS	4
#define P1		1		/* PASIDs the tests give entries */
#define P5		5
#define P15		15		/* the table's last, 2^PT_BITS - 1 */
#define FORMATS		(1ull << IOASID_PGTABLE_FORMAT_TEST)
#define PFORMATS	(1ull << IOASID_PASID_FORMAT_TEST)
#define PT_VALID	1ull		/* bit 0 of an entry */
#define ENTRY(r)	(ROOT(r) | PT_VALID)

/* The RAM page that stage-1 table @r gives child page GIOVA(@j). */
#define ROOT_PAGE(r, j)	(NJ * (r) + (j))

#define PT_FLAGS	(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED)

#include "nesting_hw.h"

/*
 * What every "pt" test starts with: dev1 (class N, PASID width 8) and dev2
 * (PASID width 4) bound to fd, dev1's default route attached to the parent
 * "gpa"; guest RAM of RAM_PAGES distinct pages, page i mapped read-write
 * at GPA(i) by a mapping of its own; NROOTS stage-1 tables, table r in
 * S1_PAGES pages mapped read-only at ROOT(r) + i * PG, a mapping per
 * page, which map GIOVA(j) to RAM page ROOT_PAGE(r, j) for j < NJ; the
 * PASID table's PT_PAGES pages, all entries 0, the first mapped read-only
 * at PTAB; and the child "ptab", nested on gpa, without a table, to which
 * dev1's default route is attached as well.
 */
FIXTURE(pt) {
	int testif;
	uint64_t caps;
	int fd;
	int dev1, dev2;
	long gpa, ptab;
	uint8_t *ram;
	uint64_t *ptbl;
	struct s1_tables t[NROOTS];
};

#define RAM(i)		(self->ram + (uint64_t)(i) * PG)
#define POOL(r, i)	((uint8_t *)self->t[r].mem + (uint64_t)(i) * PG)
#define bind_ptab(bits)	pasid_table_bind(self->fd, self->ptab, PTAB, bits)

/* A test device behind class N: its descriptor, or -errno. */
static int pt_device(int testif, uint32_t pasid_bits)
{
	return testif_create_device_ex(testif, 0, pasid_bits,
				       IOASID_TEST_IOMMU_N, 0);
}

/* IOASID_BIND_PASID_TABLE with any @format; 0 or -errno. */
static long bind_format(int fd, uint32_t ioasid, uint32_t format,
			uint64_t base, uint32_t pasid_bits)
{
	struct ioasid_bind_pasid_table arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
		.format = format,
		.base = base,
		.pasid_bits = pasid_bits,
	};

	return ioasid_ioctl(fd, IOASID_BIND_PASID_TABLE, &arg);
}

/*
 * IOASID_INVALIDATE_CACHE of @ioasid with one entry of type
 * IOASID_CACHE_PASID: @flags IOASID_INV_*, and the PASID; 0 or -errno.
 */
static long inv_pasid_cache(int fd, uint32_t ioasid, uint32_t flags,
			    uint32_t pasid)
{
	struct ioasid_cache_inv e = {
		.flags = flags,
		.type = IOASID_CACHE_PASID,
		.pasid = pasid,
	};

	return ioasid_invalidate(fd, ioasid, &e, 1, NULL);
}

#define inv_pc_all(fd, ioasid)	inv_pasid_cache(fd, ioasid, 0, 0)
#define inv_pc_pasid(fd, ioasid, pasid) \
	inv_pasid_cache(fd, ioasid, IOASID_INV_PASID, pasid)

#define pt_set(pasid, value)	s1_set(&self->ptbl[pasid], value)

FIXTURE_SETUP(pt)
{
	const char *why = NULL;
	int r, i, j;

	self->fd = -1;
	self->dev1 = -1;
	self->dev2 = -1;
	self->ram = MAP_FAILED;
	self->ptbl = MAP_FAILED;
	for (r = 0; r < NROOTS; r++)
		self->t[r].mem = NULL;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE |
				   IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_HW_NESTING, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev1 = pt_device(self->testif, DEV1_BITS);
	ASSERT_LE(0, self->dev1);
	self->dev2 = pt_device(self->testif, DEV2_BITS);
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
					PG, IOASID_DMA_RW));
	for (r = 0; r < NROOTS; r++) {
		ASSERT_EQ(0, s1_init(&self->t[r], S1_PAGES, ROOT(r)));
		for (j = 0; j < NJ; j++)
			ASSERT_EQ(0, s1_map(&self->t[r], GIOVA(j),
					    GPA(ROOT_PAGE(r, j)), S1_RW, 0));
		for (i = 0; i < S1_PAGES; i++)
			ASSERT_EQ(0, ioasid_map(self->fd, self->gpa,
						POOL(r, i), ROOT(r) + i * PG,
						PG, IOASID_DMA_READ));
	}
	self->ptbl = (uint64_t *)test_memory(PT_PAGES * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, (void *)self->ptbl);
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, self->ptbl, PTAB, PG,
				IOASID_DMA_READ));
	self->ptab = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, self->ptab);
	ASSERT_EQ(0, device_attach(self->dev1, self->ptab));
}

FIXTURE_TEARDOWN(pt)
{
	int r;

	if (self->dev2 >= 0)
		close(self->dev2);
	if (self->dev1 >= 0)
		close(self->dev1);
	if (self->fd >= 0)
		close(self->fd);
	if (self->ram != MAP_FAILED)
		munmap(self->ram, RAM_PAGES * PG);
	if ((void *)self->ptbl != MAP_FAILED)
		munmap(self->ptbl, PT_PAGES * PG);
	for (r = 0; r < NROOTS; r++)
		s1_release(&self->t[r]);
	if (self->testif >= 0)
		close(self->testif);
}

/*
 * The first of GIOVA(0) to GIOVA(NJ - 1) that a read by @dev through
 * route @pasid does not find in the RAM page that stage-1 table @r gives
 * it; -1 when every one is.
 */
static int wrong_giova(const uint8_t *ram, int dev, int pasid, int r)
{
	int j;

	for (j = 0; j < NJ; j++)
		if (page_of(ram, dev, pasid, GIOVA(j)) != ROOT_PAGE(r, j))
			return j;
	return -1;
}

/* @dev's DMA through route @pasid is translated by stage-1 table @r. */
static void expect_root(struct __test_metadata *_metadata, int line,
			const uint8_t *ram, int dev, int pasid, int r)
{
	EXPECT_EQ(-1, wrong_giova(ram, dev, pasid, r))
		TH_LOG("line %d: PASID %d, table %d", line, pasid, r);
}

#define EXPECT_ROOT(dev, pasid, r) \
	expect_root(_metadata, __LINE__, self->ram, dev, pasid, r)

/*
 * What GET_INFO and dev1's DMA without a PASID say of the fixture's ptab:
 * with @r -1, no table, and the DMA blocked at stage 1; else a PASID table
 * whose entry 0 names stage-1 table @r.  Both caches are invalidated first,
 * so that the DMA shows the binding, not what was cached.
 */
static void expect_ptab(struct __test_metadata *_metadata, int line,
			int fd, long ptab, int dev, const uint8_t *ram, int r)
{
	EXPECT_EQ(PT_FLAGS | (r >= 0 ? IOASID_INFO_PASID_TABLE : 0),
		  ioasid_info_flags(fd, ptab)) TH_LOG("line %d", line);
	EXPECT_EQ(0, ioasid_inv_all(fd, ptab)) TH_LOG("line %d", line);
	if (r < 0) {
		EXPECT_EQ(-EINVAL, inv_pc_all(fd, ptab))
			TH_LOG("line %d", line);
		expect_blocked(_metadata, line, dev, NO_PASID, GIOVA(0), 0,
			       NO_XLATE, STAGE1, 0);
		return;
	}
	EXPECT_EQ(0, inv_pc_all(fd, ptab)) TH_LOG("line %d", line);
	EXPECT_EQ(-1, wrong_giova(ram, dev, NO_PASID, r))
		TH_LOG("line %d", line);
}

#define EXPECT_PTAB(r) \
	expect_ptab(_metadata, __LINE__, self->fd, self->ptab, self->dev1, \
		    self->ram, r)
#define EXPECT_NO_PTAB()	EXPECT_PTAB(-1)

/*
 * A child of gpa with stage-1 table @r bound to it as its page table: its
 * number, or -errno.
 */
static long pgtable_child(int fd, long gpa, int r)
{
	long child = ioasid_nest(fd, gpa);
	long ret;

	if (child < 0)
		return child;
	ret = ioasid_bind_test(fd, child, ROOT(r));
	return ret ? ret : child;
}

/* out_pasid_formats of @ioasid, read with every output poisoned; or ~0. */
static uint64_t pasid_formats_of(int fd, long ioasid)
{
	struct ioasid_info info;

	return info_poisoned(fd, ioasid, &info) ? ~0ull :
						  info.out_pasid_formats;
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
 * The parent behind class N and every child of it report the PASID-table
 * format of the test interface in out_pasid_formats, whatever the caller
 * left there; a child sets IOASID_INFO_PASID_TABLE exactly while a PASID
 * table is bound to it, and IOASID_INFO_BOUND exactly while a page table
 * is, never both.  Behind class A, and for an IOASID without a page
 * table, out_pasid_formats is 0.
 */
TEST_F(pt, info_reports_pasid_formats_and_the_binding)
{
	struct ioasid_info info;
	long gva, plain, a, sw;
	int dev = -1;

	REQ(REQ-INFO-FORMATS, REQ-INFO-NESTING, REQ-NEST-PT-BIND,
	    REQ-NEST-PT-UNBIND, REQ-NEST-PT-BIND-ARGS);
	ASSERT_EQ(0, info_poisoned(self->fd, self->gpa, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(IOASID_NESTING_HW, info.out_nesting);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(PFORMATS, info.out_pasid_formats);
	ASSERT_EQ(0, info_poisoned(self->fd, self->ptab, &info));
	EXPECT_EQ(PT_FLAGS, info.out_flags);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(PFORMATS, info.out_pasid_formats);
	EXPECT_EQ(self->gpa, info.out_parent);
	EXPECT_EQ(1, info.out_routes);
	/* bound, unbound, bound again */
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	ASSERT_EQ(0, info_poisoned(self->fd, self->ptab, &info));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE, info.out_flags);
	EXPECT_EQ(FORMATS, info.out_formats);
	EXPECT_EQ(PFORMATS, info.out_pasid_formats);
	EXPECT_EQ(-EBUSY, ioasid_bind_test(self->fd, self->ptab, ROOT(1)));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(self->fd, self->ptab));
	ASSERT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(PT_FLAGS, ioasid_info_flags(self->fd, self->ptab));
	EXPECT_EQ(PFORMATS, pasid_formats_of(self->fd, self->ptab));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(self->fd, self->ptab));
	/* a child with a page table: IOASID_INFO_BOUND alone */
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, info_poisoned(self->fd, gva, &info));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_BOUND, info.out_flags);
	EXPECT_EQ(PFORMATS, info.out_pasid_formats);
	/* the parent is unchanged by its children's tables */
	EXPECT_EQ(PFORMATS, pasid_formats_of(self->fd, self->gpa));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, self->gpa));
	/* no page table yet, and behind class A: no format */
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	EXPECT_EQ(0, pasid_formats_of(self->fd, plain));
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	ASSERT_EQ(0, info_poisoned(self->fd, a, &info));
	EXPECT_EQ(IOASID_NESTING_SW, info.out_nesting);
	EXPECT_EQ(0, info.out_formats);
	EXPECT_EQ(0, info.out_pasid_formats);
	ASSERT_EQ(0, info_poisoned(self->fd, sw, &info));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(0, info.out_formats);
	EXPECT_EQ(0, info.out_pasid_formats);
	close(dev);
}

/*
 * A caller of IOASID_GET_INFO whose argsz is 80 receives out_parent and
 * out_children but not out_pasid_formats, and one whose argsz is 72
 * neither: the bytes beyond the caller's structure are not written.  One
 * whose argsz is the whole structure receives all three.
 */
TEST_F(pt, a_short_caller_gets_no_pasid_formats)
{
	static const uint32_t sizes[] = { 72, 80, sizeof(struct ioasid_info) };
	union {
		struct ioasid_info info;
		uint8_t b[sizeof(struct ioasid_info) + 16];
	} u;
	unsigned int i, k, bad;

	REQ(REQ-INFO-NESTING, REQ-INFO-FORMATS, REQ-ARG-SIZE-MIN);
	ASSERT_EQ(88, sizeof(struct ioasid_info));
	ASSERT_EQ(80, offsetof(struct ioasid_info, out_pasid_formats));
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&u, 0xa5, sizeof(u));
		u.info.argsz = sizes[i];
		u.info.flags = 0;
		u.info.ioasid = self->ptab;
		u.info.num_ranges = 0;
		u.info.num_reserved = 0;
		u.info.ranges = 0;
		u.info.reserved = 0;
		ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_GET_INFO, &u.info))
			TH_LOG("argsz %u", sizes[i]);
		EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
			  u.info.out_flags) TH_LOG("argsz %u", sizes[i]);
		EXPECT_EQ(FORMATS, u.info.out_formats);
		if (sizes[i] > 72) {
			EXPECT_EQ(self->gpa, u.info.out_parent);
			EXPECT_EQ(0, u.info.out_children);
		}
		if (sizes[i] > 80)
			EXPECT_EQ(PFORMATS, u.info.out_pasid_formats);
		for (k = sizes[i], bad = 0; k < sizeof(u); k++)
			bad += u.b[k] != 0xa5;
		EXPECT_EQ(0, bad) TH_LOG("argsz %u", sizes[i]);
	}
}

/*
 * Once the table is bound, each PASID of dev1 takes its stage-1 table from
 * its own entry: PASIDs 0, 1, 5 and 15, the table's last, name four
 * different tables, and every page of each is the page that PASID's table
 * names; DMA without a PASID takes entry 0; the bits of an entry other
 * than bit 0 and the root's address are ignored; a write lands in the
 * page the PASID's table names and nowhere else.  A PASID route of
 * another device attached to the child is translated by the same table.
 */
TEST_F(pt, each_pasid_takes_its_table_from_its_entry)
{
	static uint8_t buf[2 * PG];
	uint8_t *snap = malloc(RAM_PAGES * PG);
	uint8_t data[64];

	REQ(REQ-NEST-PT-BIND, REQ-TESTIF-FORMAT, REQ-NEST-HW-BIND,
	    REQ-NEST-ATTACH-RID);
	ASSERT_NE(NULL, snap);
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	pt_set(P15, ENTRY(3));
	pt_set(7, ENTRY(4) | 0xfff0000000000ffeull);
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_ROOT(self->dev1, NO_PASID, 0);
	EXPECT_ROOT(self->dev1, 0, 0);
	EXPECT_ROOT(self->dev1, P1, 1);
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_ROOT(self->dev1, P15, 3);
	EXPECT_ROOT(self->dev1, 7, 4);
	/* two pages in one read, through PASID 15 */
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P15, GIOVA(1), buf,
						sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, RAM(ROOT_PAGE(3, 1)), PG));
	EXPECT_EQ(0, memcmp(buf + PG, RAM(ROOT_PAGE(3, 2)), PG));
	/* a write through PASID 5 */
	memcpy(snap, self->ram, RAM_PAGES * PG);
	memset(data, 0x3c, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK, route_dma(self->dev1, P5,
						GIOVA(1) + 100, data,
						sizeof(data), 1));
	memset(snap + ROOT_PAGE(2, 1) * PG + 100, 0x3c, sizeof(data));
	EXPECT_EQ(0, memcmp(self->ram, snap, RAM_PAGES * PG));
	/* dev2's PASID 1 on the child, its default route on the parent */
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->ptab, P1));
	EXPECT_ROOT(self->dev2, P1, 1);
	EXPECT_EQ(3, PAGE_OF(self->dev2, NO_PASID, GPA(3)));
	EXPECT_BLOCKED(self->dev2, NO_PASID, GIOVA(0), 0, NO_XLATE, NO_STAGE,
		       0);
	EXPECT_BLOCKED(self->dev2, P5, GIOVA(0), 0, NO_XLATE, NO_STAGE, 0);
	free(snap);
}

/*
 * A DMA whose entry is not valid is blocked at stage 1, without a parent
 * IOVA, whatever the rest of the entry holds; so is one whose PASID lies
 * beyond the table, though dev1 supports it and the memory after the
 * table holds valid entries; a table of 2^8 entries then takes them.  An
 * invalid entry 0 blocks DMA without a PASID; once it is valid and the
 * cache of entries invalidated, the DMA goes through.
 */
TEST_F(pt, invalid_entries_and_pasids_beyond_the_table_fail_at_stage_1)
{
	static const int beyond[] = { 16, 17, 100, 255 };
	unsigned int i;

	REQ(REQ-NEST-PT-BIND, REQ-TESTIF-FORMAT, REQ-TESTIF-DMA-STAGE,
	    REQ-NEST-PT-INV);
	pt_set(2, ROOT(1));
	pt_set(3, ROOT(2) | 0xffe);
	pt_set(P15, ENTRY(3));
	for (i = 0; i < ARRAY_SIZE(beyond); i++)
		pt_set(beyond[i], ENTRY(5));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_BLOCKED(self->dev1, NO_PASID, GIOVA(0), 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, 0, GIOVA(0), 1, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, 2, GIOVA(1), 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, 2, GIOVA(1), 1, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, 3, GIOVA(2), 0, NO_XLATE, STAGE1, 0);
	for (i = 0; i < ARRAY_SIZE(beyond); i++) {
		EXPECT_BLOCKED(self->dev1, beyond[i], GIOVA(0), 0, NO_XLATE,
			       STAGE1, 0);
		EXPECT_BLOCKED(self->dev1, beyond[i], GIOVA(0), 1, NO_XLATE,
			       STAGE1, 0);
	}
	EXPECT_ROOT(self->dev1, P15, 3);
	/* entry 0 made valid */
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, 0));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_ROOT(self->dev1, NO_PASID, 0);
	EXPECT_ROOT(self->dev1, 0, 0);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE, STAGE1, 0);
	/* 2^8 entries: the PASIDs beyond 15 are the table's */
	ASSERT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	ASSERT_EQ(0, bind_ptab(8));
	for (i = 0; i < ARRAY_SIZE(beyond); i++)
		EXPECT_ROOT(self->dev1, beyond[i], 5);
	EXPECT_ROOT(self->dev1, P15, 3);
	EXPECT_BLOCKED(self->dev1, 2, GIOVA(1), 0, NO_XLATE, STAGE1, 0);
}

/*
 * Every read of the walk goes through the parent, the PASID table's too.
 * An entry whose root the parent never mapped is blocked at stage 2 with
 * the GPA of the root's entry; one whose leaf table the parent unmapped,
 * with the GPA of the leaf.  The parent's unmap of the PASID table's page
 * is not refused, and when it returns, with entries and translations
 * cached before, every DMA whose entry the table holds is blocked at
 * stage 2 with the GPA of the entry (PTAB + 8 * PASID), a PASID beyond the
 * table still at stage 1; mapped write-only, the same for want of
 * permission; mapped readable again, the entries are read again.
 */
TEST_F(pt, an_entry_the_parent_cannot_read_fails_at_stage_2)
{
	static const int pasids[] = { NO_PASID, 0, P1, 3, P5, P15 };
	uint64_t leaf = ROOT(2) + 3 * PG;
	unsigned int i;

	REQ(REQ-NEST-PT-BIND, REQ-NEST-HW-STAGE, REQ-TESTIF-DMA-STAGE,
	    REQ-NEST-HW-UNMAP-PARENT, REQ-TESTIF-FORMAT);
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(3, HOLE | PT_VALID);
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	/* the root is not mapped: the walk's first read fails */
	EXPECT_BLOCKED(self->dev1, 3, GIOVA(0), 0, NO_XLATE, STAGE2, HOLE);
	EXPECT_BLOCKED(self->dev1, 3, ROOT1 | GIOVA(0), 1, NO_XLATE, STAGE2,
		       HOLE + 8);
	/* the leaf table of PASID 5's table unmapped */
	ASSERT_EQ(leaf + 8, s1_entry_gpa(&self->t[2], GIOVA(1), 0));
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, leaf, PG));
	EXPECT_BLOCKED(self->dev1, P5, GIOVA(1), 0, NO_XLATE, STAGE2,
		       leaf + 8);
	EXPECT_ROOT(self->dev1, P1, 1);
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, POOL(2, 3), leaf, PG,
				IOASID_DMA_READ));
	EXPECT_ROOT(self->dev1, P5, 2);
	/* the PASID table's page, with entries and translations cached */
	EXPECT_ROOT(self->dev1, NO_PASID, 0);
	EXPECT_ROOT(self->dev1, P1, 1);
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, PTAB, PG));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(self->fd, self->ptab));
	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		uint64_t e = PTAB + 8 * (pasids[i] == NO_PASID ? 0 : pasids[i]);

		EXPECT_BLOCKED(self->dev1, pasids[i], GIOVA(0), 0, NO_XLATE,
			       STAGE2, e);
		EXPECT_BLOCKED(self->dev1, pasids[i], GIOVA(1), 1, NO_XLATE,
			       STAGE2, e);
	}
	EXPECT_BLOCKED(self->dev1, 16, GIOVA(0), 0, NO_XLATE, STAGE1, 0);
	/* write-only: the IOMMU cannot read it either */
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, self->ptbl, PTAB, PG,
				IOASID_DMA_WRITE));
	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		uint64_t e = PTAB + 8 * (pasids[i] == NO_PASID ? 0 : pasids[i]);

		EXPECT_BLOCKED(self->dev1, pasids[i], GIOVA(2), 0, NO_PERM,
			       STAGE2, e);
	}
	/* readable again, with entry 1 changed meanwhile */
	pt_set(P1, ENTRY(5));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, PTAB, PG));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, self->ptbl, PTAB, PG,
				IOASID_DMA_READ));
	EXPECT_ROOT(self->dev1, NO_PASID, 0);
	EXPECT_ROOT(self->dev1, P1, 5);
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_BLOCKED(self->dev1, 3, GIOVA(0), 0, NO_XLATE, STAGE2, HOLE);
}

/*
 * While dev1's default route is attached to ptab, every DMA of dev1 is
 * translated through ptab's PASID table, whatever child its PASID route
 * is attached to: PASID 5 on gva, whose page table is stage-1 table 4,
 * and PASID 1 on a child without a table, take their entries' tables.
 * Once the default route is detached from ptab, with translations of the
 * table cached, PASID 5 is translated by gva's table, PASID 1 is blocked
 * at stage 1 by its child, another PASID has no route, and DMA without a
 * PASID reaches GPAs through the parent; attached again, the table
 * translates everything again.
 */
TEST_F(pt, the_table_of_the_default_route_takes_precedence)
{
	long gva, bare;
	int round;

	REQ(REQ-NEST-PT-BIND, REQ-NEST-ATTACH-RID, REQ-NEST-ATTACH,
	    REQ-DETACH-BLOCKS, REQ-NEST-HW-BIND);
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	bare = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, bare);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, gva, P5));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, bare, P1));
	for (round = 0; round < 2; round++) {
		EXPECT_ROOT(self->dev1, P5, 2);
		EXPECT_ROOT(self->dev1, P1, 1);
		EXPECT_ROOT(self->dev1, NO_PASID, 0);
		EXPECT_BLOCKED(self->dev1, 7, GIOVA(0), 0, NO_XLATE, STAGE1,
			       0);
		ASSERT_EQ(0, device_detach(self->dev1, self->ptab));
		EXPECT_ROOT(self->dev1, P5, 4);
		EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE, STAGE1,
			       0);
		EXPECT_BLOCKED(self->dev1, 7, GIOVA(0), 0, NO_XLATE, NO_STAGE,
			       0);
		EXPECT_BLOCKED(self->dev1, NO_PASID, GIOVA(0), 0, NO_XLATE,
			       NO_STAGE, 0);
		EXPECT_EQ(3, PAGE_OF(self->dev1, NO_PASID, GPA(3)));
		EXPECT_EQ(ROOT_PAGE(5, 0), PAGE_OF(self->dev1, NO_PASID,
						   GPA(ROOT_PAGE(5, 0))));
		ASSERT_EQ(0, device_attach(self->dev1, self->ptab));
	}
	EXPECT_ROOT(self->dev1, P5, 2);
}

/*
 * The IOMMU caches an entry apart from the translations made through it.
 * After PASID 1's entry changes from table 0 to table 1: the IOTLB still
 * serves the page it cached; an invalidation of the IOTLB alone makes the
 * next DMA walk, but with the cached entry, so that a page never read
 * before is still table 0's; an invalidation of the cache of entries alone
 * leaves what the IOTLB holds, and a page the IOTLB does not hold is then
 * table 1's; with the IOTLB invalidated as well, every page is table 1's.
 * (dev1's IOTLB holds at most 4 translations here, its cache 2 entries.)
 */
TEST_F(pt, a_changed_entry_is_used_until_both_caches_are_invalidated)
{
	int j;

	REQ(REQ-NEST-PT-INV, REQ-NEST-INV, REQ-TESTIF-FORMAT,
	    REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	pt_set(P1, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(ROOT_PAGE(0, 0), CACHED_PAGE(self->dev1, P1, GIOVA(0)));
	pt_set(P1, ENTRY(1));
	EXPECT_EQ(ROOT_PAGE(0, 0), CACHED_PAGE(self->dev1, P1, GIOVA(0)));
	/* the IOTLB alone, for the PASID, then everything */
	ASSERT_EQ(0, ioasid_inv_pasid(self->fd, self->ptab, P1));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, P1, GIOVA(0)));
	EXPECT_EQ(ROOT_PAGE(0, 1), WALKED_PAGE(self->dev1, P1, GIOVA(1)));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_EQ(ROOT_PAGE(0, 2), WALKED_PAGE(self->dev1, P1, GIOVA(2)));
	EXPECT_EQ(ROOT_PAGE(0, 2), CACHED_PAGE(self->dev1, P1, GIOVA(2)));
	/* the cache of entries alone */
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, P1));
	EXPECT_EQ(ROOT_PAGE(0, 2), CACHED_PAGE(self->dev1, P1, GIOVA(2)));
	EXPECT_EQ(ROOT_PAGE(1, 3), WALKED_PAGE(self->dev1, P1, GIOVA(3)));
	EXPECT_EQ(ROOT_PAGE(0, 2), CACHED_PAGE(self->dev1, P1, GIOVA(2)));
	/* and the IOTLB */
	ASSERT_EQ(0, ioasid_inv_pasid(self->fd, self->ptab, P1));
	for (j = 0; j < NJ; j++)
		EXPECT_EQ(ROOT_PAGE(1, j), WALKED_PAGE(self->dev1, P1,
						       GIOVA(j)))
			TH_LOG("GIOVA(%d)", j);
}

/*
 * An invalidation of the cache of entries drops no more than it selects.
 * With the entries of PASIDs 0 (serving DMA without a PASID), 1 and 5
 * cached, all three changed, and the IOTLB invalidated whole after each
 * step: PASID 1's selector drops PASID 1's entry alone; PASID 0's drops
 * the entry that DMA without a PASID and with PASID 0 use, and not PASID
 * 5's; one for a PASID nothing cached drops nothing; one without a
 * selector drops every entry.  (dev1 caches 5 entries before PASID 5's
 * stale one is last read, and at most 4 translations between IOTLB
 * invalidations.)
 */
TEST_F(pt, a_pasid_cache_invalidation_drops_no_more_than_it_selects)
{
	REQ(REQ-NEST-PT-INV, REQ-NEST-INV, REQ-TESTIF-FORMAT,
	    REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, NO_PASID, X));
	EXPECT_EQ(ROOT_PAGE(1, 0), WALKED_PAGE(self->dev1, P1, X));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	pt_set(0, ENTRY(3));
	pt_set(P1, ENTRY(4));
	pt_set(P5, ENTRY(5));
	/* PASID 1 */
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, P1));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_EQ(ROOT_PAGE(4, 0), WALKED_PAGE(self->dev1, P1, X));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, NO_PASID, X));
	EXPECT_EQ(ROOT_PAGE(0, 1), WALKED_PAGE(self->dev1, 0, GIOVA(1)));
	/* PASID 0: DMA without a PASID too */
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, 0));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_EQ(ROOT_PAGE(3, 0), WALKED_PAGE(self->dev1, NO_PASID, X));
	EXPECT_EQ(ROOT_PAGE(3, 1), WALKED_PAGE(self->dev1, 0, GIOVA(1)));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	/* a PASID without a cached entry, and one beyond the table */
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, 9));
	ASSERT_EQ(0, inv_pc_pasid(self->fd, self->ptab, 200));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	/* everything */
	pt_set(0, ENTRY(1));
	pt_set(P1, ENTRY(0));
	ASSERT_EQ(0, inv_pc_all(self->fd, self->ptab));
	ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
	EXPECT_EQ(ROOT_PAGE(5, 0), WALKED_PAGE(self->dev1, P5, X));
	EXPECT_EQ(ROOT_PAGE(1, 0), WALKED_PAGE(self->dev1, NO_PASID, X));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, P1, X));
}

/* The routes of dev1 whose translation of X the test below caches. */
static const int own_pasid[] = { NO_PASID, 0, P1, P5 };
static const int own_table[] = { 0, 0, 1, 2 };	/* their entries' tables */

#define OWN_RID		1		/* bits of owner_case.drops */
#define OWN_0		2
#define OWN_1		4
#define OWN_5		8
#define OWN_ALL		0xf

/* An IOTLB entry for gva or for ptab, and the routes whose X it drops. */
struct owner_case {
	bool gva;
	uint32_t flags;
	uint32_t sel;		/* the entry's pasid */
	uint64_t addr, length;
	unsigned int drops;
};

static const struct owner_case owner_cases[] = {
	{ true, 0, 0, 0, 0, OWN_5 },
	{ true, IOASID_INV_PASID, P5, 0, 0, OWN_5 },
	{ true, IOASID_INV_RANGE, 0, X, PG, OWN_5 },
	{ true, IOASID_INV_PASID | IOASID_INV_RANGE, P5, X, PG, OWN_5 },
	{ true, IOASID_INV_RANGE, 0, X + PG, PG, 0 },
	{ true, IOASID_INV_PASID, P1, 0, 0, 0 },
	{ true, IOASID_INV_PASID, 0, 0, 0, 0 },
	{ false, 0, 0, 0, 0, OWN_ALL },
	{ false, IOASID_INV_RANGE, 0, X, PG, OWN_ALL },
	{ false, IOASID_INV_RANGE, 0, X + PG, 3 * PG, 0 },
	{ false, IOASID_INV_PASID, P5, 0, 0, OWN_5 },
	{ false, IOASID_INV_PASID, P1, 0, 0, OWN_1 },
	{ false, IOASID_INV_PASID, 0, 0, 0, OWN_RID | OWN_0 },
	{ false, IOASID_INV_PASID, 7, 0, 0, 0 },
	{ false, IOASID_INV_PASID | IOASID_INV_RANGE, P5, X, PG, OWN_5 },
	{ false, IOASID_INV_PASID | IOASID_INV_RANGE, 0, X, PG,
	  OWN_RID | OWN_0 },
	{ false, IOASID_INV_PASID | IOASID_INV_RANGE, P1, X + PG, PG, 0 },
};

/*
 * Which IOASID owns a PASID for IOTLB invalidation.  With dev1's default
 * route on ptab and its PASID 5 route on gva, X cached through the routes
 * without a PASID and with PASIDs 0, 1 and 5, and the leaves of X changed
 * in the three tables the entries name: an invalidation of gva drops what
 * it selects of PASID 5's translations, and nothing of the others; one of
 * ptab drops what it selects of all of dev1's translations, PASID 0's
 * selector those of DMA without a PASID as well.  What a case drops is
 * walked again and finds the new page; what it does not still gives the
 * old one.  (dev1 caches at most 8 translations per case.)
 */
TEST_F(pt, invalidations_reach_the_translations_of_the_pasids_owned)
{
	uint64_t *leaf[3];
	unsigned int i, k, r;
	long gva;

	REQ(REQ-NEST-PT-OWNER, REQ-NEST-INV, REQ-TESTIF-IOTLB,
	    REQ-NEST-PT-BIND);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	for (r = 0; r < 3; r++) {
		leaf[r] = s1_entry(&self->t[r], X, 0);
		ASSERT_NE(NULL, leaf[r]);
	}
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, gva, P5));
	for (i = 0; i < ARRAY_SIZE(owner_cases); i++) {
		const struct owner_case *c = &owner_cases[i];

		for (r = 0; r < 3; r++)
			s1_set(leaf[r], GPA(ROOT_PAGE(r, 0)) | S1_RW);
		ASSERT_EQ(0, ioasid_inv_all(self->fd, self->ptab));
		for (k = 0; k < ARRAY_SIZE(own_pasid); k++)
			ASSERT_EQ(ROOT_PAGE(own_table[k], 0),
				  WALKED_PAGE(self->dev1, own_pasid[k], X))
				TH_LOG("case %u, PASID %d", i, own_pasid[k]);
		for (r = 0; r < 3; r++)
			s1_set(leaf[r], GPA(ROOT_PAGE(r, 2)) | S1_RW);
		ASSERT_EQ(0, ioasid_inv(self->fd, c->gva ? gva : self->ptab,
					c->flags, c->sel, c->addr, c->length))
			TH_LOG("case %u", i);
		for (k = 0; k < ARRAY_SIZE(own_pasid); k++) {
			int t = own_table[k];

			if (c->drops & (1u << k)) {
				EXPECT_EQ(ROOT_PAGE(t, 2),
					  WALKED_PAGE(self->dev1, own_pasid[k],
						      X))
					TH_LOG("case %u, PASID %d", i,
					       own_pasid[k]);
			} else {
				EXPECT_EQ(ROOT_PAGE(t, 0),
					  CACHED_PAGE(self->dev1, own_pasid[k],
						      X))
					TH_LOG("case %u, PASID %d", i,
					       own_pasid[k]);
			}
		}
	}
}

/*
 * Every malformed IOASID_BIND_PASID_TABLE fails as its table of errors
 * says, in that order, and binds nothing: ptab stays without a table, and
 * gva keeps its page table.  A table the parent maps only in part, or
 * write-only, fails with EFAULT; a table of 2^9 entries, the whole of the
 * mapped page, binds, and one of 2^10 once the parent maps the second page
 * for reading.
 */
TEST_F(pt, bind_bad_arguments_bind_nothing)
{
	struct ioasid_bind_pasid_table valid = {
		.argsz = sizeof(valid),
		.ioasid = self->ptab,
		.format = IOASID_PASID_FORMAT_TEST,
		.base = PTAB,
		.pasid_bits = PT_BITS,
	};
	struct ioasid_bind_pasid_table arg;
	static const uint32_t formats[] = { 0, 2, 3, 63, 64, 0xffffffffu };
	static const uint64_t misaligned[] = {
		PTAB + 8, PTAB + 0x800, PTAB + PG - 1, HOLE + 8,
	};
	static const uint32_t bad_bits[] = { 0, 21, 32, 64, 0xffffffffu };
	static const struct {
		uint64_t base;
		uint32_t bits;
	} unreadable[] = {
		{ PTAB, 10 }, { PTAB, 20 }, { PTAB + PG, 1 }, { HOLE, 1 },
		{ 0, 1 }, { GPA(RAM_PAGES), 4 }, { 0xfffffffffffff000ull, 1 },
		{ 0xfffffffffffff000ull, 20 }, { 0xffffffffff800000ull, 20 },
	};
	long plain, a, sw, gva, ids[4];
	int dev = -1, wide;
	unsigned int i;

	REQ(REQ-NEST-PT-BIND-ARGS, REQ-NEST-PT-BIND, REQ-ARG-SIZE-MIN,
	    REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(32, sizeof(valid));
	pt_set(0, ENTRY(0));
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, gva, P1));
	check_bad_args(_metadata, self->fd, IOASID_BIND_PASID_TABLE, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_bind_pasid_table, __reserved));
	/* flags, formats and __reserved before the IOASID */
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		EXPECT_EQ(-EOPNOTSUPP, bind_format(self->fd, self->ptab,
						   formats[i], PTAB, PT_BITS))
			TH_LOG("format %u", formats[i]);
		EXPECT_EQ(-EOPNOTSUPP, bind_format(self->fd, 0xffffffffu,
						   formats[i], PTAB + 8, 0))
			TH_LOG("format %u", formats[i]);
	}
	arg = valid;
	arg.ioasid = 0xffffffffu;
	arg.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_BIND_PASID_TABLE,
					    &arg));
	arg.flags = 0;
	arg.__reserved = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_BIND_PASID_TABLE,
					&arg));
	/* IOASIDs that do not exist, before the base and the width */
	ids[0] = 0;
	ids[1] = gva + 1;
	ids[2] = 0x7fffffff;
	ids[3] = 0xffffffff;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-ENOENT, pasid_table_bind(self->fd, ids[i], PTAB,
						    PT_BITS));
		EXPECT_EQ(-ENOENT, pasid_table_bind(self->fd, ids[i],
						    PTAB + 8, 0));
	}
	/* IOASIDs that are no child of hardware nesting */
	ids[0] = self->gpa;
	ids[1] = plain;
	ids[2] = a;
	ids[3] = sw;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, ids[i], PTAB,
						    PT_BITS))
			TH_LOG("IOASID %ld", ids[i]);
	}
	/* a child with a page table, before the base and the width */
	EXPECT_EQ(-EBUSY, pasid_table_bind(self->fd, gva, PTAB, PT_BITS));
	EXPECT_EQ(-EBUSY, pasid_table_bind(self->fd, gva, PTAB + 8, 0));
	EXPECT_EQ(-EBUSY, pasid_table_bind(self->fd, gva, HOLE, 21));
	/* bases and widths the format does not allow, before the mapping */
	for (i = 0; i < ARRAY_SIZE(misaligned); i++)
		EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, self->ptab,
						    misaligned[i], PT_BITS))
			TH_LOG("base 0x%llx",
			       (unsigned long long)misaligned[i]);
	for (i = 0; i < ARRAY_SIZE(bad_bits); i++) {
		EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, self->ptab, PTAB,
						    bad_bits[i]))
			TH_LOG("pasid_bits %u", bad_bits[i]);
		EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, self->ptab, HOLE,
						    bad_bits[i]))
			TH_LOG("pasid_bits %u", bad_bits[i]);
	}
	/* tables the parent does not map whole for reading */
	for (i = 0; i < ARRAY_SIZE(unreadable); i++)
		EXPECT_EQ(-EFAULT, pasid_table_bind(self->fd, self->ptab,
						    unreadable[i].base,
						    unreadable[i].bits))
			TH_LOG("base 0x%llx, pasid_bits %u",
			       (unsigned long long)unreadable[i].base,
			       unreadable[i].bits);
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, self->ptbl + 512,
				PTAB + PG, PG, IOASID_DMA_WRITE));
	EXPECT_EQ(-EFAULT, pasid_table_bind(self->fd, self->ptab, PTAB, 10));
	EXPECT_EQ(-EFAULT, pasid_table_bind(self->fd, self->ptab, PTAB + PG,
					    1));
	/* nothing was bound, to ptab or to the IOASIDs refused */
	EXPECT_NO_PTAB();
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_BOUND,
		  ioasid_info_flags(self->fd, gva));
	EXPECT_ROOT(self->dev2, P1, 4);
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, self->gpa));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, sw));
	EXPECT_EQ(0, ioasid_info_flags(self->fd, plain));
	/* the whole of the first page binds, both pages once readable */
	ASSERT_EQ(0, bind_ptab(9));
	EXPECT_PTAB(0);
	ASSERT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->gpa, PTAB + PG, PG));
	ASSERT_EQ(0, ioasid_map(self->fd, self->gpa, self->ptbl + 512,
				PTAB + PG, PG, IOASID_DMA_READ));
	self->ptbl[512 + 3] = ENTRY(5);
	ASSERT_EQ(0, bind_ptab(10));
	EXPECT_PTAB(0);
	/* entry 515, in the second page, for a device of PASID width 10 */
	wide = pt_device(self->testif, 10);
	ASSERT_LE(0, wide);
	ASSERT_LE(1, device_bind(wide, self->fd));
	ASSERT_EQ(0, device_attach(wide, self->gpa));
	ASSERT_EQ(0, device_attach(wide, self->ptab));
	EXPECT_ROOT(wide, 512 + 3, 5);
	EXPECT_ROOT(wide, NO_PASID, 0);
	close(wide);
	close(dev);
}

/*
 * A child with a PASID table keeps it: a second IOASID_BIND_PASID_TABLE
 * fails with EBUSY before any check of its base or width (though not
 * before the format's), IOASID_BIND_PGTABLE fails with EBUSY before any
 * check of its root, and IOASID_UNBIND_PGTABLE with EINVAL; the DMA goes
 * on through the first table.  After the unbind, a page table binds, and
 * then a PASID table is refused with EBUSY until it is unbound.
 */
TEST_F(pt, a_child_with_a_table_refuses_another)
{
	static const struct {
		uint64_t base;
		uint32_t bits;
	} tables[] = {
		{ PTAB, PT_BITS }, { PTAB, 8 }, { PTAB + 8, PT_BITS },
		{ PTAB, 0 }, { PTAB, 21 }, { HOLE, 1 }, { PTAB + PG, 10 },
	};
	static const uint64_t roots[] = { ROOT(1), ROOT(1) + 8, HOLE, PTAB };
	unsigned int i;

	REQ(REQ-NEST-PT-BIND-ARGS, REQ-NEST-PT-BIND, REQ-NEST-PT-UNBIND,
	    REQ-NEST-HW-BIND-ARGS, REQ-NEST-HW-UNBIND, REQ-ARG-NOCHANGE,
	    REQ-INFO-FORMATS);
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_PTAB(0);
	for (i = 0; i < ARRAY_SIZE(tables); i++)
		EXPECT_EQ(-EBUSY, pasid_table_bind(self->fd, self->ptab,
						   tables[i].base,
						   tables[i].bits))
			TH_LOG("table %u", i);
	EXPECT_EQ(-EOPNOTSUPP, bind_format(self->fd, self->ptab, 2, PTAB,
					   PT_BITS));
	for (i = 0; i < ARRAY_SIZE(roots); i++)
		EXPECT_EQ(-EBUSY, ioasid_bind_test(self->fd, self->ptab,
						   roots[i]))
			TH_LOG("root 0x%llx", (unsigned long long)roots[i]);
	EXPECT_EQ(-EINVAL, ioasid_unbind_pgtable(self->fd, self->ptab));
	EXPECT_PTAB(0);
	/* a page table, after the unbind: stage-1 table 1 for the RID */
	ASSERT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	ASSERT_EQ(0, ioasid_bind_test(self->fd, self->ptab, ROOT(1)));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_BOUND,
		  ioasid_info_flags(self->fd, self->ptab));
	EXPECT_ROOT(self->dev1, NO_PASID, 1);
	EXPECT_BLOCKED(self->dev1, P1, GIOVA(0), 0, NO_XLATE, NO_STAGE, 0);
	EXPECT_EQ(-EBUSY, bind_ptab(PT_BITS));
	EXPECT_EQ(-EBUSY, pasid_table_bind(self->fd, self->ptab, PTAB + 8, 0));
	EXPECT_EQ(-EINVAL, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(-EINVAL, inv_pc_all(self->fd, self->ptab));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_BOUND,
		  ioasid_info_flags(self->fd, self->ptab));
	EXPECT_ROOT(self->dev1, NO_PASID, 1);
	ASSERT_EQ(0, ioasid_unbind_pgtable(self->fd, self->ptab));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_PTAB(0);
}

/*
 * IOASID numbers are the descriptor's own: a child of another descriptor,
 * whatever its number, cannot have a PASID table bound, unbound or
 * invalidated through this one, and binding through the other descriptor
 * binds only its own child.
 */
TEST_F(pt, a_child_of_another_descriptor_names_nothing)
{
	int other = ioasid_open(), dev = pt_device(self->testif, DEV2_BITS);
	long parent, child;
	int i;

	REQ(REQ-IOASID-LOCAL, REQ-IOASID-UNKNOWN, REQ-NEST-PT-BIND-ARGS,
	    REQ-NEST-PT-UNBIND, REQ-NEST-INV-ARGS);
	ASSERT_LE(0, other);
	ASSERT_LE(0, dev);
	/* other has plain IOASIDs 1 to 4, the parent 5 and the child 6 */
	for (i = 0; i < 4; i++)
		ASSERT_LE(1, ioasid_alloc_one(other));
	ASSERT_LE(1, device_bind(dev, other));
	parent = ioasid_alloc_one(other);
	ASSERT_EQ(0, device_attach(dev, parent));
	ASSERT_EQ(0, ioasid_map(other, parent, self->ptbl, PTAB, PG,
				IOASID_DMA_READ));
	child = ioasid_nest(other, parent);
	ASSERT_EQ(6, child);
	ASSERT_EQ(-ENOENT, ioasid_info_flags(self->fd, child));
	EXPECT_EQ(-ENOENT, pasid_table_bind(self->fd, child, PTAB, PT_BITS));
	EXPECT_EQ(-ENOENT, pasid_table_unbind(self->fd, child));
	EXPECT_EQ(-ENOENT, inv_pc_all(self->fd, child));
	EXPECT_EQ(PT_FLAGS, ioasid_info_flags(other, child));
	/* the fixture's ptab number is a plain IOASID of other */
	EXPECT_EQ(-EINVAL, pasid_table_bind(other, self->ptab, PTAB, PT_BITS));
	EXPECT_EQ(0, pasid_table_bind(other, child, PTAB, PT_BITS));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(other, child));
	EXPECT_EQ(PT_FLAGS, ioasid_info_flags(self->fd, self->ptab));
	EXPECT_EQ(-EINVAL, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(-ENOENT, pasid_table_unbind(self->fd, child));
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(other, child));
	close(dev);
	close(other);
}

/*
 * When the IOMMU cannot bind the table, IOASID_BIND_PASID_TABLE fails with
 * ENOMEM, after every other check, and binds nothing: no flag, no cache
 * of entries to invalidate, nothing to unbind, the DMA blocked; the same
 * command then binds.
 */
TEST_F(pt, a_bind_the_iommu_fails_binds_nothing)
{
	REQ(REQ-ERR-RESOURCE, REQ-NEST-PT-BIND-ARGS, REQ-ARG-NOCHANGE,
	    REQ-TESTIF-FAIL, REQ-NEST-PT-BIND);
	NEED_CAPS(IOASID_TEST_CAP_FAIL, "FAIL");
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_BIND, 1));
	/* binds that fail a check do not reach the IOMMU */
	EXPECT_EQ(-EFAULT, pasid_table_bind(self->fd, self->ptab, HOLE, 1));
	EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, self->gpa, PTAB, 1));
	EXPECT_EQ(-EINVAL, bind_ptab(0));
	EXPECT_EQ(-ENOMEM, bind_ptab(PT_BITS));
	testif_fail_none(self->testif);
	EXPECT_NO_PTAB();
	EXPECT_EQ(-EINVAL, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_PTAB(0);
	EXPECT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_NO_PTAB();
}

/*
 * Every malformed IOASID_UNBIND_PASID_TABLE fails as its table of errors
 * says, in that order, and leaves the table bound; unbinding an IOASID
 * without a PASID table fails with EINVAL and leaves a page table bound
 * to it as it was.
 */
TEST_F(pt, unbind_bad_arguments_keep_the_table)
{
	struct ioasid_unbind_pasid_table valid = {
		.argsz = sizeof(valid),
		.ioasid = self->ptab,
	};
	struct ioasid_unbind_pasid_table arg;
	long plain, a, sw, bare, gva, ids[6];
	int dev = -1;
	unsigned int i;

	REQ(REQ-NEST-PT-UNBIND, REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX,
	    REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED, REQ-ARG-FAULT,
	    REQ-ARG-NOCHANGE, REQ-IOASID-UNKNOWN);
	ASSERT_EQ(16, sizeof(valid));
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	plain = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, plain);
	ASSERT_EQ(0, sw_child(self->testif, self->fd, &dev, &a, &sw));
	bare = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, bare);
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	check_bad_args(_metadata, self->fd, IOASID_UNBIND_PASID_TABLE, &valid,
		       sizeof(valid), 0,
		       offsetof(struct ioasid_unbind_pasid_table, __reserved));
	/* flags and __reserved before the IOASID */
	arg = valid;
	arg.ioasid = 0xffffffff;
	arg.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd,
					    IOASID_UNBIND_PASID_TABLE, &arg));
	arg.flags = 0;
	arg.__reserved = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UNBIND_PASID_TABLE,
					&arg));
	ids[0] = 0;
	ids[1] = gva + 1;
	ids[2] = 0x7fffffff;
	ids[3] = 0xffffffff;
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-ENOENT, pasid_table_unbind(self->fd, ids[i]));
	ids[0] = self->gpa;
	ids[1] = plain;
	ids[2] = a;
	ids[3] = sw;
	ids[4] = bare;
	ids[5] = gva;
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(-EINVAL, pasid_table_unbind(self->fd, ids[i]))
			TH_LOG("IOASID %ld", ids[i]);
	}
	EXPECT_EQ(PT_FLAGS | IOASID_INFO_BOUND,
		  ioasid_info_flags(self->fd, gva));
	EXPECT_EQ(PT_FLAGS, ioasid_info_flags(self->fd, bare));
	/* the table is bound still, and walked */
	EXPECT_PTAB(0);
	EXPECT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_NO_PTAB();
	EXPECT_EQ(-EINVAL, pasid_table_unbind(self->fd, self->ptab));
	close(dev);
}

/*
 * IOASID_UNBIND_PASID_TABLE while dev1's default route is attached and
 * entries and translations of the table are cached, for DMA without a
 * PASID and with PASIDs 0, 1, 5 and 15: when it returns, DMA without a
 * PASID is blocked at stage 1 by ptab, which has no table now; PASID 5 is
 * translated by gva, to which its route is attached; the PASIDs without a
 * route have no translation; nothing that the IOTLB or the cache of
 * entries held is used.  With entries changed meanwhile, a new bind
 * translates through what the table holds now.  (dev1 caches 5
 * translations and 4 entries of the table.)
 */
TEST_F(pt, unbinding_drops_what_the_table_gave_at_once)
{
	static const int pasids[] = { NO_PASID, 0, P1, P5, P15 };
	static const int tables[] = { 0, 0, 1, 2, 3 };
	unsigned int i;
	long gva;

	REQ(REQ-NEST-PT-UNBIND, REQ-NEST-PT-BIND, REQ-TESTIF-IOTLB,
	    REQ-TESTIF-DMA-STAGE, REQ-NEST-HW-BIND);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	pt_set(P15, ENTRY(3));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, gva, P5));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		EXPECT_EQ(ROOT_PAGE(tables[i], 0),
			  WALKED_PAGE(self->dev1, pasids[i], X));
		EXPECT_EQ(ROOT_PAGE(tables[i], 0),
			  CACHED_PAGE(self->dev1, pasids[i], X));
	}
	ASSERT_EQ(0, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(PT_FLAGS, ioasid_info_flags(self->fd, self->ptab));
	EXPECT_BLOCKED(self->dev1, NO_PASID, X, 0, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, NO_PASID, X, 1, NO_XLATE, STAGE1, 0);
	EXPECT_BLOCKED(self->dev1, 0, X, 0, NO_XLATE, NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev1, P1, X, 0, NO_XLATE, NO_STAGE, 0);
	EXPECT_BLOCKED(self->dev1, P15, X, 1, NO_XLATE, NO_STAGE, 0);
	EXPECT_ROOT(self->dev1, P5, 4);
	EXPECT_EQ(-EINVAL, inv_pc_all(self->fd, self->ptab));
	/* bound again, with entries changed while it was not */
	pt_set(0, ENTRY(1));
	pt_set(P1, ENTRY(3));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_ROOT(self->dev1, NO_PASID, 1);
	EXPECT_ROOT(self->dev1, 0, 1);
	EXPECT_ROOT(self->dev1, P1, 3);
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_ROOT(self->dev1, P15, 3);
}

/* An entry of type IOASID_CACHE_PASID, and what the command returns. */
static const struct {
	struct ioasid_cache_inv e;
	long ret;
} pc_cases[] = {
	{ { .type = IOASID_CACHE_PASID }, 0 },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID }, 0 },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
	    .pasid = P5 }, 0 },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
	    .pasid = (1u << 20) - 1 }, 0 },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
	    .pasid = 1u << 20 }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
	    .pasid = 0xffffffffu }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .pasid = P5 }, -EINVAL },
	/* a range means nothing to the cache of entries */
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_RANGE,
	    .addr = X, .length = PG }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .flags = IOASID_INV_RANGE,
	    .addr = 0, .length = 1ull << 48 }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID,
	    .flags = IOASID_INV_RANGE | IOASID_INV_PASID, .pasid = P5,
	    .addr = X, .length = PG }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .addr = X }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .length = PG }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .__reserved = 1 }, -EINVAL },
	{ { .type = IOASID_CACHE_PASID, .flags = 1 << 2 }, -EOPNOTSUPP },
	{ { .type = 2 }, -EOPNOTSUPP },
	{ { .type = 0xffffffffu, .flags = IOASID_INV_PASID, .pasid = P5 },
	  -EOPNOTSUPP },
};

/*
 * An entry of type IOASID_CACHE_PASID is checked as any entry is, except
 * that IOASID_INV_RANGE is EINVAL for it, and that it is EINVAL on a child
 * without a PASID table: ptab before its bind, a child with a page table,
 * a child without a table; an IOTLB entry is accepted on each.  A failing
 * entry alone is not handled.
 */
TEST_F(pt, pasid_cache_entries_are_checked)
{
	struct ioasid_cache_inv e = { .type = IOASID_CACHE_PASID };
	long gva, bare, ids[3];
	uint32_t handled;
	unsigned int i;

	REQ(REQ-NEST-PT-INV, REQ-NEST-INV-ARGS, REQ-NEST-INV-BATCH);
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	bare = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, bare);
	ids[0] = self->ptab;
	ids[1] = gva;
	ids[2] = bare;
	for (i = 0; i < 3; i++) {
		handled = 0xdead;
		EXPECT_EQ(-EINVAL, ioasid_invalidate(self->fd, ids[i], &e, 1,
						     &handled))
			TH_LOG("IOASID %ld", ids[i]);
		EXPECT_EQ(0, handled);
		EXPECT_EQ(-EINVAL, inv_pc_pasid(self->fd, ids[i], P5));
		EXPECT_EQ(0, ioasid_inv_all(self->fd, ids[i]));
		EXPECT_EQ(0, ioasid_inv_pasid(self->fd, ids[i], P5));
	}
	EXPECT_EQ(-EINVAL, inv_pc_all(self->fd, self->gpa));
	pt_set(0, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	for (i = 0; i < ARRAY_SIZE(pc_cases); i++) {
		handled = 0xdead;
		EXPECT_EQ(pc_cases[i].ret,
			  ioasid_invalidate(self->fd, self->ptab,
					    &pc_cases[i].e, 1, &handled))
			TH_LOG("case %u", i);
		EXPECT_EQ(pc_cases[i].ret ? 0 : 1, handled)
			TH_LOG("case %u", i);
	}
	/* other children have no PASID table still */
	EXPECT_EQ(-EINVAL, inv_pc_all(self->fd, gva));
	EXPECT_EQ(-EINVAL, inv_pc_all(self->fd, bare));
	EXPECT_PTAB(0);
}

/*
 * A batch is handled in order up to its first bad entry, whatever the
 * types.  With PASID 1's and PASID 5's entries cached and changed, a batch
 * of an IOTLB entry for everything, a PASID-cache entry for PASID 1, a
 * PASID-cache entry with a range, and one for PASID 5 fails with EINVAL
 * and handles 2: PASID 1 takes its new table, PASID 5 its cached entry's
 * old one; the last entry, sent alone, then takes effect.  On a child
 * without a PASID table, a batch of an IOTLB entry and a PASID-cache
 * entry handles 1; an entry of a type no version has stops a batch too.
 */
TEST_F(pt, a_batch_stops_at_a_bad_pasid_cache_entry)
{
	const struct ioasid_cache_inv e[4] = {
		{ .type = IOASID_CACHE_IOTLB },
		{ .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
		  .pasid = P1 },
		{ .type = IOASID_CACHE_PASID, .flags = IOASID_INV_RANGE,
		  .addr = X, .length = PG },
		{ .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
		  .pasid = P5 },
	};
	struct ioasid_cache_inv odd[2] = {
		{ .type = IOASID_CACHE_IOTLB },
		{ .type = 7 },
	};
	uint32_t handled;
	long gva;

	REQ(REQ-NEST-INV-BATCH, REQ-NEST-PT-INV, REQ-NEST-INV-ARGS,
	    REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	pt_set(P1, ENTRY(0));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	EXPECT_EQ(ROOT_PAGE(0, 0), WALKED_PAGE(self->dev1, P1, X));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(3));
	handled = 0xdead;
	EXPECT_EQ(-EINVAL, ioasid_invalidate(self->fd, self->ptab, e, 4,
					     &handled));
	EXPECT_EQ(2, handled);
	EXPECT_EQ(ROOT_PAGE(1, 0), WALKED_PAGE(self->dev1, P1, X));
	EXPECT_EQ(ROOT_PAGE(2, 0), WALKED_PAGE(self->dev1, P5, X));
	EXPECT_EQ(0, ioasid_invalidate(self->fd, self->ptab, e + 3, 1,
				       &handled));
	EXPECT_EQ(1, handled);
	EXPECT_EQ(ROOT_PAGE(2, 0), CACHED_PAGE(self->dev1, P5, X));
	EXPECT_EQ(0, ioasid_invalidate(self->fd, self->ptab, e, 1, &handled));
	EXPECT_EQ(ROOT_PAGE(3, 0), WALKED_PAGE(self->dev1, P5, X));
	/* a child without a PASID table */
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	EXPECT_EQ(-EINVAL, ioasid_invalidate(self->fd, gva, e, 2, &handled));
	EXPECT_EQ(1, handled);
	EXPECT_EQ(-EOPNOTSUPP, ioasid_invalidate(self->fd, self->ptab, odd, 2,
						 &handled));
	EXPECT_EQ(1, handled);
}

/*
 * A child to which the default route is attached is busy, PASID table or
 * not: IOASID_FREE fails with EBUSY, of it and of its parent, and changes
 * nothing.  Once the route is detached, DMA without a PASID reaches GPAs
 * through the parent, and the child is freed with its table bound,
 * without an unbind; the parent's mappings, the PASID table's among them,
 * are its own, and go with an unmap of everything.
 */
TEST_F(pt, a_child_with_a_pasid_table_is_freed_bound)
{
	long gva;

	REQ(REQ-FREE-ATTACHED, REQ-NEST-FREE-PARENT, REQ-IOASID-FREE,
	    REQ-NEST-PT-UNBIND, REQ-ARG-NOCHANGE, REQ-NEST-ATTACH-RID);
	pt_set(0, ENTRY(0));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, gva, P5));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->ptab));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
	EXPECT_PTAB(0);
	EXPECT_ROOT(self->dev1, P5, 2);
	ASSERT_EQ(0, device_detach(self->dev1, self->ptab));
	EXPECT_EQ(3, PAGE_OF(self->dev1, NO_PASID, GPA(3)));
	EXPECT_ROOT(self->dev1, P5, 4);
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->ptab));
	EXPECT_EQ(-ENOENT, ioasid_info_flags(self->fd, self->ptab));
	EXPECT_EQ(-ENOENT, pasid_table_unbind(self->fd, self->ptab));
	EXPECT_EQ(-ENOENT, inv_pc_all(self->fd, self->ptab));
	EXPECT_EQ(-ENOENT, bind_ptab(PT_BITS));
	EXPECT_EQ(3, PAGE_OF(self->dev1, NO_PASID, GPA(3)));
	EXPECT_ROOT(self->dev1, P5, 4);
	ASSERT_EQ(0, device_detach_pasid(self->dev1, gva, P5));
	EXPECT_EQ(0, ioasid_free_one(self->fd, gva));
	EXPECT_EQ((RAM_PAGES + NROOTS * S1_PAGES + 1) * PG,
		  ioasid_unmap_all(self->fd, self->gpa));
	EXPECT_BLOCKED(self->dev1, NO_PASID, GPA(3), 0, NO_XLATE, NO_STAGE, 0);
}

/*
 * Closing releases everything a PASID table holds: with dev1's and dev2's
 * default routes on ptab, a PASID route of dev1 on gva, entries and
 * translations cached, the table and the stage-1 tables mapped in the
 * parent.  The context lives on while the devices are bound, and the
 * table with it; once both are unbound nothing stays pinned, their DMA is
 * blocked, and they bind to a new descriptor.
 */
TEST_F(pt, closing_releases_a_bound_pasid_table)
{
	long gva, fresh;
	int r;

	REQ(REQ-IOASID-CLOSE, REQ-DEV-CLOSE-CTX, REQ-UNBIND-DETACHES,
	    REQ-UNMAP-UNPIN, REQ-DEV-BIND, REQ-NEST-PT-BIND);
	NEED_CAPS(IOASID_TEST_CAP_PINNED, "PINNED");
	pt_set(0, ENTRY(0));
	pt_set(P1, ENTRY(1));
	pt_set(P5, ENTRY(2));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	gva = pgtable_child(self->fd, self->gpa, 4);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, gva, P5));
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach(self->dev2, self->ptab));
	EXPECT_ROOT(self->dev1, NO_PASID, 0);
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_ROOT(self->dev2, P1, 1);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->ram,
					    RAM_PAGES, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
					    (uint8_t *)self->ptbl, 1, 1));
	for (r = 0; r < NROOTS; r++)
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, POOL(r, 0),
						    S1_PAGES, 1));
	close(self->fd);
	self->fd = -1;
	/* the context lives on with the bindings */
	EXPECT_ROOT(self->dev1, P5, 2);
	EXPECT_ROOT(self->dev2, NO_PASID, 0);
	EXPECT_EQ(0, device_unbind(self->dev1));
	EXPECT_ROOT(self->dev2, P1, 1);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
					    (uint8_t *)self->ptbl, 1, 1));
	EXPECT_EQ(0, device_unbind(self->dev2));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->ram,
					    RAM_PAGES, 0));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
					    (uint8_t *)self->ptbl, 1, 0));
	for (r = 0; r < NROOTS; r++)
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, POOL(r, 0),
						    S1_PAGES, 0));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID, GIOVA(0),
					   NJ));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, P5, GIOVA(0), NJ));
	EXPECT_EQ(-1, first_reachable_page(self->dev2, P1, GIOVA(0), NJ));
	/* the devices are free for a new descriptor */
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(1, device_bind(self->dev1, self->fd));
	ASSERT_LE(1, device_bind(self->dev2, self->fd));
	fresh = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, fresh);
	EXPECT_EQ(0, device_attach(self->dev1, fresh));
	EXPECT_EQ(0, device_attach(self->dev2, fresh));
}

#define RACE_ROUNDS	300
#define RP		3	/* its entry alternates, table 0 or table 1 */

/* The threads of the race below, and what each saw that it must not. */
struct pt_race {
	int fd, dev;
	long ptab;
	uint8_t *ram;
	uint64_t *entry;	/* RP's */
	int stop;
	int wrong[2];
	long rounds[2];
};

/*
 * Change RP's entry, invalidate the entry and RP's translations in one
 * batch, and read: the read issued after the invalidation returned finds
 * the new table's page.
 */
static void *race_editor(void *arg)
{
	struct pt_race *r = arg;
	struct ioasid_cache_inv e[2] = {
		{ .type = IOASID_CACHE_PASID, .flags = IOASID_INV_PASID,
		  .pasid = RP },
		{ .type = IOASID_CACHE_IOTLB, .flags = IOASID_INV_PASID,
		  .pasid = RP },
	};
	int i, t, j;

	for (i = 0; i < RACE_ROUNDS; i++) {
		t = (i + 1) % 2;
		j = i % NJ;
		s1_set(r->entry, ENTRY(t));
		if (ioasid_invalidate(r->fd, r->ptab, e, 2, NULL))
			r->wrong[0]++;
		if (page_of(r->ram, r->dev, RP, GIOVA(j)) != ROOT_PAGE(t, j))
			r->wrong[0]++;
		r->rounds[0]++;
	}
	return NULL;
}

/*
 * Read through the other PASIDs meanwhile, and through RP: each finds its
 * entry's table's page, RP either table's.
 */
static void *race_dma(void *arg)
{
	static const int pasids[] = { NO_PASID, P1, P15 };
	static const int tables[] = { 4, 2, 3 };
	struct pt_race *r = arg;
	unsigned int k;
	int j = 0, page;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		j = (j + 1) % NJ;
		for (k = 0; k < ARRAY_SIZE(pasids); k++)
			if (page_of(r->ram, r->dev, pasids[k], GIOVA(j)) !=
			    ROOT_PAGE(tables[k], j))
				r->wrong[1]++;
		page = page_of(r->ram, r->dev, RP, GIOVA(j));
		if (page != ROOT_PAGE(0, j) && page != ROOT_PAGE(1, j))
			r->wrong[1]++;
		r->rounds[1]++;
	}
	return NULL;
}

/*
 * Edits of one PASID's entry, each followed by an invalidation of the
 * entry and of the PASID's translations, race with dev1's DMA through
 * other PASIDs and through the edited one.  A DMA that the editing thread
 * issues after its invalidation returned always finds the new table's
 * page; the other PASIDs always find their own tables' pages, and the
 * edited one the page of one of its two tables.
 */
TEST_F(pt, entry_edits_race_with_dma_through_other_pasids)
{
	struct pt_race r = {
		.fd = self->fd, .dev = self->dev1, .ptab = self->ptab,
		.ram = self->ram, .entry = &self->ptbl[RP],
	};
	pthread_t editor, dma;
	int i;

	REQ(REQ-NEST-PT-INV, REQ-NEST-INV, REQ-NEST-PT-BIND,
	    REQ-TESTIF-FORMAT);
	pt_set(0, ENTRY(4));
	pt_set(P1, ENTRY(2));
	pt_set(P15, ENTRY(3));
	pt_set(RP, ENTRY(0));
	ASSERT_EQ(0, bind_ptab(PT_BITS));
	ASSERT_EQ(0, pthread_create(&dma, NULL, race_dma, &r));
	ASSERT_EQ(0, pthread_create(&editor, NULL, race_editor, &r));
	pthread_join(editor, NULL);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(dma, NULL);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, r.wrong[i]) TH_LOG("thread %d, %ld rounds", i,
						r.rounds[i]);
		EXPECT_LT(0, r.rounds[i]);
	}
	EXPECT_EQ(RACE_ROUNDS, r.rounds[0]);
	EXPECT_ROOT(self->dev1, RP, 0);
	EXPECT_ROOT(self->dev1, NO_PASID, 4);
}

TEST_HARNESS_MAIN
