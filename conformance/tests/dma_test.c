// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for DMA mapping: IOASID_MAP_DMA and IOASID_UNMAP_DMA,
 * what a device's DMA reaches through the mappings, the IOTLB, and the
 * pinning and locked-memory accounting of mapped memory.
 *
 * The devices and their DMA come from the conformance test interface
 * (capabilities DEVICE and DMA); without them every test here is skipped.
 * Tests that look into the IOTLB or at pinned pages need the IOTLB or
 * PINNED capability as well, and are skipped without it.
 *
 * Unless a test says otherwise, the devices sit behind a class A mock
 * IOMMU, whose granule is 4 KiB, the CPU's page size.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "ioasid_test.h"

#define PG	4096L			/* class A granule, CPU page */
#define NPG	16			/* pages of the fixture's buffer */
#define IOVA	0x100000ull		/* where tests map */

FIXTURE(dma) {
	int testif;
	uint64_t caps;
	int fd;
	int dev;	/* class A, PASID width 8, bound; RID attached to a */
	long a;
	uint8_t *buf;	/* NPG pages; page i filled with PAT(i) */
	long locked;	/* VmPin before the test, kB */
};

#define PAT(i)	((uint8_t)(0x10 + (i)))

FIXTURE_SETUP(dma)
{
	const char *why = NULL;
	unsigned int i;

	self->fd = self->dev = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA,
				   &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 8,
					    &self->dev, &self->a));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < NPG; i++)
		memset(self->buf + i * PG, PAT(i), PG);
	self->locked = ioasid_pinned_kb();
	ASSERT_LE(0, self->locked);
}

FIXTURE_TEARDOWN(dma)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
}

/* Pages charged to this process's locked memory since the setup. */
#define charged_pages() \
	((ioasid_pinned_kb() - self->locked) * 1024 / (long)PG)

static bool bytes_are(const uint8_t *p, uint8_t value, size_t length)
{
	size_t i;

	for (i = 0; i < length; i++)
		if (p[i] != value)
			return false;
	return true;
}

/* Page i of the fixture's buffer still holds only PAT(i), for every i. */
static bool buffer_untouched(const uint8_t *buf)
{
	unsigned int i;

	for (i = 0; i < NPG; i++)
		if (!bytes_are(buf + i * PG, PAT(i), PG))
			return false;
	return true;
}

TEST_F(dma, dma_reaches_exactly_the_mapped_pages)
{
	uint8_t data[64], big[65536];
	uint64_t fault;
	unsigned int k;

	REQ(REQ-MAP, REQ-TESTIF-DMA, REQ-ATTACH-PGTABLE);
	/* pages 2..5 of the buffer at IOVA */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG, IOVA,
				4 * PG, IOASID_DMA_RW));
	for (k = 0; k < 4; k++) {
		memset(data, 0, sizeof(data));
		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  dma_read(self->dev, IOVA + k * PG + 100, data, 32));
		ASSERT_TRUE(bytes_are(data, PAT(2 + k), 32)) TH_LOG("page %u", k);
	}
	/* an access across a page boundary reaches both pages */
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_read(self->dev, IOVA + PG - 8, data, 16));
	ASSERT_TRUE(bytes_are(data, PAT(2), 8));
	ASSERT_TRUE(bytes_are(data + 8, PAT(3), 8));
	/* a write lands on exactly the bytes at the IOVA's offset */
	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(self->dev, IOVA + 2 * PG + 100, data, 50));
	ASSERT_TRUE(bytes_are(self->buf + 4 * PG + 100, 0xee, 50));
	memset(self->buf + 4 * PG + 100, PAT(4), 50);
	ASSERT_TRUE(buffer_untouched(self->buf));
	/* just outside the mapping, on either side, nothing is mapped */
	ASSERT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, 0, 0, IOVA + 4 * PG, data, 1, &fault));
	ASSERT_EQ(IOVA + 4 * PG, fault);
	ASSERT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, 0, 0, IOVA - 1, data, 1, &fault));
	ASSERT_EQ(IOVA - 1, fault);
	/* the largest DMA, 64 KiB, through a mapping of the whole buffer */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, 1ull << 32,
				NPG * PG, IOASID_DMA_READ));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_read(self->dev, 1ull << 32, big, sizeof(big)));
	for (k = 0; k < NPG; k++) {
		ASSERT_TRUE(bytes_are(big + k * PG, PAT(k), PG)) TH_LOG("page %u", k);
	}
}

TEST_F(dma, a_mapping_keeps_the_pages_it_mapped)
{
	uint8_t *p = test_memory(PG, PG, 0x5a);
	uint8_t data[16];

	REQ(REQ-MAP);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, p, IOVA, PG, IOASID_DMA_RW));
	/* replace the process's page at that address by a new one */
	ASSERT_EQ(p, mmap(p, PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	memset(p, 0xa5, PG);
	/* the device still reaches the page that was there at map time */
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, IOVA + 8, data, 16));
	ASSERT_TRUE(bytes_are(data, 0x5a, 16));
	memset(data, 0x77, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_write(self->dev, IOVA, data, 16));
	ASSERT_TRUE(bytes_are(p, 0xa5, PG));
	ASSERT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA, PG));
	munmap(p, PG);
}

TEST_F(dma, dma_needs_the_permission_of_the_mapping)
{
	uint8_t data[32], sentinel[32];
	uint64_t fault;

	REQ(REQ-MAP-PERM, REQ-TESTIF-DMA);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_READ));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG, IOVA + PG,
				PG, IOASID_DMA_WRITE));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG,
				IOVA + 2 * PG, PG, IOASID_DMA_RW));
	memset(sentinel, 0xcc, sizeof(sentinel));

	/* read-only: reads pass, writes are blocked and change nothing */
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, IOVA, data, 16));
	ASSERT_TRUE(bytes_are(data, PAT(0), 16));
	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_PERMISSION,
		  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0, IOVA + 4,
			     data, 16, &fault));
	ASSERT_EQ(IOVA + 4, fault);

	/* write-only: writes pass, reads are blocked and transfer nothing */
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_write(self->dev, IOVA + PG, data, 16));
	ASSERT_TRUE(bytes_are(self->buf + PG, 0xee, 16));
	memset(self->buf + PG, PAT(1), 16);
	memcpy(data, sentinel, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_PERMISSION,
		  testif_dma(self->dev, 0, 0, IOVA + PG + 32, data, 16, &fault));
	ASSERT_EQ(IOVA + PG + 32, fault);
	ASSERT_EQ(0, memcmp(data, sentinel, sizeof(data)));

	/* a write that starts in the read-only page moves no byte at all */
	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_PERMISSION,
		  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0, IOVA + PG - 8,
			     data, 16, &fault));
	ASSERT_EQ(IOVA + PG - 8, fault);
	/* a read that runs from a readable page into a write-only one */
	memcpy(data, sentinel, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_PERMISSION,
		  testif_dma(self->dev, 0, 0, IOVA + PG - 8, data, 16, &fault));
	ASSERT_EQ(IOVA + PG, fault);
	ASSERT_EQ(0, memcmp(data, sentinel, sizeof(data)));
	/* and a write that runs from a mapped page into nothing */
	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0,
			     IOVA + 3 * PG - 8, data, 16, &fault));
	ASSERT_EQ(IOVA + 3 * PG, fault);
	ASSERT_TRUE(buffer_untouched(self->buf));
	/* both directions pass through the read-write page */
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(self->dev, IOVA + 2 * PG, data, 16));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_read(self->dev, IOVA + 2 * PG, sentinel, 16));
	ASSERT_TRUE(bytes_are(sentinel, 0xee, 16));
}

TEST_F(dma, map_invalid_arguments)
{
	const uint64_t kernel = 0xffff800000000000ull;
	uint8_t *b = self->buf;

	REQ(REQ-MAP-ARGS, REQ-ARG-NOCHANGE);
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA, PG, 0));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA, 0,
				      IOASID_DMA_RW));
	/* vaddr, iova and length must be multiples of the granule */
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b + 1, IOVA, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b + PG / 2, IOVA, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA + 1, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA + PG / 2, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA, PG + 1,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, IOVA, PG / 2,
				      IOASID_DMA_RW));
	/* an IOVA range that wraps around */
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, -2 * PG, 4 * PG,
				      IOASID_DMA_RW));
	/* one that ends at 2^64 does not wrap: it is only out of range */
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, b, -2 * PG, 2 * PG,
				      IOASID_DMA_RW));
	/* memory outside the user address space, or wrapping around */
	EXPECT_EQ(-EINVAL, ioasid_map_va(self->fd, self->a, kernel, IOVA, PG,
					 IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_va(self->fd, self->a, -PG, IOVA, 2 * PG,
					 IOASID_DMA_RW));
	/* nothing was mapped, pinned or charged */
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, 0, 1ull << 40));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b, IOVA, PG, IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(1, charged_pages());
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA, PG));
}

TEST_F(dma, map_outside_the_permitted_ranges)
{
	const uint64_t top = 1ull << 48;	/* class A: 48-bit IOVAs */
	const uint64_t ok[] = {
		0, MOCK_RESV_START - PG, MOCK_RESV_LAST + 1, top - PG,
	};
	unsigned int i;

	REQ(REQ-MAP-RANGE, REQ-ARG-NOCHANGE);
	/* the reserved window, in part or whole */
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_START, PG, IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_LAST + 1 - PG, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_START - PG, 2 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_LAST + 1 - PG, 2 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_START - 4 * PG, NPG * PG,
				      IOASID_DMA_RW));
	/* beyond the address width */
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf, top, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf, top - PG,
				      2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf, 1ull << 63,
				      PG, IOASID_DMA_RW));
	EXPECT_EQ(0, charged_pages());
	/* the edges of the permitted ranges are mapped and reached */
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(BLOCKED, dma_peek(self->dev, ok[i]));
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + i * PG,
					ok[i], PG, IOASID_DMA_RW))
			TH_LOG("iova %#llx", (unsigned long long)ok[i]);
		EXPECT_EQ(PAT(i), dma_peek(self->dev, ok[i] + PG - 1));
	}
	EXPECT_EQ(4, charged_pages());
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, overlapping_mappings)
{
	const uint64_t x = IOVA + 4 * PG;
	const uint8_t *b = self->buf;
	const struct { uint64_t iova, length; } bad[] = {
		{ x, 4 * PG }, { x + 2 * PG, 4 * PG }, { x - 2 * PG, 4 * PG },
		{ x + PG, PG }, { x - PG, 6 * PG }, { x + 3 * PG, PG },
		{ x - 3 * PG, 4 * PG },
	};
	unsigned int i;

	REQ(REQ-MAP-OVERLAP, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + 4 * PG, x, 4 * PG,
				IOASID_DMA_RW));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EEXIST, ioasid_map(self->fd, self->a, b + 8 * PG,
					      bad[i].iova, bad[i].length,
					      IOASID_DMA_RW))
			TH_LOG("case %u", i);
	}
	/* nothing more was charged, and the first mapping is intact */
	EXPECT_EQ(4, charged_pages());
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(PAT(4 + i), dma_peek(self->dev, x + i * PG));
	}
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x - PG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x + 4 * PG));
	/* adjacent mappings on both sides do not overlap */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b, x - PG, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + PG, x + 4 * PG, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, x - 1));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, x + 4 * PG));
	EXPECT_EQ(6, charged_pages());
	EXPECT_EQ(6 * PG, ioasid_unmap(self->fd, self->a, x - PG, 6 * PG));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, map_of_memory_that_is_not_there_or_read_only)
{
	uint8_t *hole, *ro;

	REQ(REQ-MAP-FAULT, REQ-MAP-PERM, REQ-ARG-NOCHANGE);
	/* a range whose second half is not mapped */
	hole = test_memory(4 * PG, PG, 0x31);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + 2 * PG, 2 * PG));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, hole, IOVA, 4 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, hole, IOVA, 4 * PG,
				      IOASID_DMA_READ));
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, hole, IOVA, 2 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(0x31, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(2, charged_pages());
	EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, IOVA, 2 * PG));

	/* read-only memory: mapped for reading only */
	ro = test_memory(2 * PG, PG, 0x3c);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, mprotect(ro, 2 * PG, PROT_READ));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, ro, IOVA, 2 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EFAULT, ioasid_map(self->fd, self->a, ro, IOVA, 2 * PG,
				      IOASID_DMA_WRITE));
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, ro, IOVA, 2 * PG,
				IOASID_DMA_READ));
	EXPECT_EQ(2, charged_pages());
	EXPECT_EQ(0x3c, dma_peek(self->dev, IOVA + PG + 5));
	{
		uint8_t data[8] = { 0 };

		EXPECT_EQ(IOASID_TEST_DMA_PERMISSION,
			  dma_write(self->dev, IOVA, data, sizeof(data)));
	}
	EXPECT_TRUE(bytes_are(ro, 0x3c, 2 * PG));
	EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, IOVA, 2 * PG));
	EXPECT_EQ(0, charged_pages());
	munmap(hole, 2 * PG);
	munmap(ro, 2 * PG);
}

TEST_F(dma, unmap_removes_the_mappings_inside_the_range)
{
	const uint64_t x = IOVA;

	REQ(REQ-UNMAP, REQ-UNMAP-BLOCKS);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, x, 2 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG,
				x + 2 * PG, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 3 * PG,
				x + 8 * PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(4, charged_pages());
	/* a range with no mapping in it removes nothing */
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, x + 4 * PG, 4 * PG));
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, 1ull << 40, PG));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, x));
	/* one range, two whole mappings */
	EXPECT_EQ(3 * PG, ioasid_unmap(self->fd, self->a, x, 3 * PG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x + PG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x + 2 * PG));
	EXPECT_EQ(PAT(3), dma_peek(self->dev, x + 8 * PG));
	EXPECT_EQ(1, charged_pages());
	/* a range larger than the mapping, with empty space around it */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, 0, 1ull << 40));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x + 8 * PG));
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, 0, 1ull << 40));
	/* the IOVAs can be mapped again */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 5 * PG, x,
				3 * PG, IOASID_DMA_RW));
	EXPECT_EQ(PAT(7), dma_peek(self->dev, x + 2 * PG));
}

/*
 * Small pages on both sides of a 2 MiB boundary of the IOVA space, where
 * an IOMMU's page table changes from one last-level table to the next:
 * removing the mappings on one side, or one mapping of a table that holds
 * others, leaves every other page translating.
 */
TEST_F(dma, unmap_around_a_2mib_boundary_removes_only_its_mappings)
{
	const uint64_t b = 0x400000ull;	/* 2 MiB aligned */
	const uint64_t x = b - 4 * PG;
	unsigned int i;

	REQ(REQ-MAP, REQ-UNMAP, REQ-UNMAP-BLOCKS);
	/* A: 4 pages below the boundary and 4 above; B, C: one page each */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, x, 8 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 8 * PG,
				x - PG, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 9 * PG,
				b + 4 * PG, PG, IOASID_DMA_RW));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(PAT(i), dma_peek(self->dev, x + i * PG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, b + 5 * PG));

	/*
	 * A goes; B and C, on either side of it, stay.  They are read for
	 * the first time here, so that no cached translation stands in for
	 * the page table.
	 */
	EXPECT_EQ(8 * PG, ioasid_unmap(self->fd, self->a, x, 8 * PG));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(BLOCKED, dma_peek(self->dev, x + i * PG));
	EXPECT_EQ(PAT(8), dma_peek(self->dev, x - PG));
	EXPECT_EQ(PAT(9), dma_peek(self->dev, b + 4 * PG));
	EXPECT_EQ(2, charged_pages());

	/* C goes, then B: each alone */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, b, 2 * 1024 * 1024));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, b + 4 * PG));
	EXPECT_EQ(PAT(8), dma_peek(self->dev, x - PG));
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, 0, b));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x - PG));
	EXPECT_EQ(0, charged_pages());

	/* the whole range maps again, the other way round */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 8 * PG, x,
				8 * PG, IOASID_DMA_RW));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(PAT(8 + i), dma_peek(self->dev, x + i * PG));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_TRUE(buffer_untouched(self->buf));
}

TEST_F(dma, unmap_cannot_split_a_mapping)
{
	const uint64_t x = IOVA;
	const struct { uint64_t iova, length; } split[] = {
		{ x, 2 * PG }, { x + PG, 3 * PG }, { x + PG, PG },
		{ x - PG, 2 * PG }, { x + 2 * PG, 3 * PG }, { x + 3 * PG, 2 * PG },
	};
	unsigned int i;

	REQ(REQ-UNMAP-ARGS, REQ-UNMAP, REQ-ARG-NOCHANGE);
	/* M: four pages at x; N: one page right after it */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, x, 4 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 4 * PG,
				x + 4 * PG, PG, IOASID_DMA_RW));
	for (i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a,
						split[i].iova, split[i].length))
			TH_LOG("case %u", i);
	}
	/* empty, wrapping, misaligned */
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x, 0));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, -2 * PG, 4 * PG));
	/* a range that ends at 2^64 does not wrap, and holds nothing */
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, -2 * PG, 2 * PG));
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, x + 5 * PG,
				  -(x + 5 * PG)));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x + 1, 5 * PG));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x, 5 * PG + 1));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x - PG / 2, 6 * PG));
	/* IOASID_UNMAP_ALL takes no range */
	EXPECT_EQ(-EINVAL, ioasid_unmap_flags(self->fd, self->a,
					      IOASID_UNMAP_ALL, x, 0));
	EXPECT_EQ(-EINVAL, ioasid_unmap_flags(self->fd, self->a,
					      IOASID_UNMAP_ALL, 0, 5 * PG));
	EXPECT_EQ(-EINVAL, ioasid_unmap_flags(self->fd, self->a,
					      IOASID_UNMAP_ALL, x, 5 * PG));
	/* both mappings are whole and reached, and still charged */
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(PAT(i), dma_peek(self->dev, x + i * PG));
	}
	EXPECT_EQ(5, charged_pages());
	EXPECT_EQ(5 * PG, ioasid_unmap(self->fd, self->a, x, 5 * PG));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, unmap_all_empties_the_address_space)
{
	const uint64_t iovas[] = { 0, IOVA, 1ull << 32, (1ull << 48) - PG };
	unsigned int i;

	REQ(REQ-UNMAP, REQ-UNMAP-BLOCKS, REQ-UNMAP-UNPIN);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + i * PG,
					iovas[i], PG, IOASID_DMA_RW));
	}
	EXPECT_EQ(4, charged_pages());
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(BLOCKED, dma_peek(self->dev, iovas[i]));
	}
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
}

TEST_F(dma, unmap_that_cannot_report_removes_nothing)
{
	struct ioasid_dma_unmap *arg;
	void *page;

	REQ(REQ-UNMAP-COPY, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	arg = page;
	arg->argsz = sizeof(*arg);
	arg->ioasid = self->a;
	arg->iova = IOVA;
	arg->length = PG;
	ASSERT_EQ(0, mprotect(page, PG, PROT_READ));
	EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_UNMAP_DMA, arg));
	munmap(page, PG);
	/* the mapping is still there */
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(1, charged_pages());
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA, PG));
}

TEST_F(dma, unmap_blocks_dma_through_cached_translations)
{
	int other = testif_create_device(self->testif);
	uint8_t data[16];
	uint64_t fault;

	REQ(REQ-UNMAP-BLOCKS, REQ-TESTIF-DMA);
	ASSERT_LE(0, other);
	ASSERT_LE(1, device_bind(other, self->fd));
	ASSERT_EQ(0, device_attach(other, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 2 * PG,
				IOASID_DMA_RW));
	/* both devices use the translations, more than once */
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA + 1));
	EXPECT_EQ(PAT(1), dma_peek(other, IOVA + PG));
	EXPECT_EQ(PAT(1), dma_peek(other, IOVA + PG + 1));
	EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, IOVA, 2 * PG));
	/* neither reaches the pages any more, in either direction */
	memset(data, 0xee, sizeof(data));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0, IOVA, data,
			     sizeof(data), &fault));
	EXPECT_EQ(IOVA, fault);
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(other, IOASID_TEST_DMA_WRITE, 0, IOVA + PG, data,
			     sizeof(data), &fault));
	EXPECT_EQ(IOVA + PG, fault);
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(BLOCKED, dma_peek(other, IOVA));
	EXPECT_TRUE(buffer_untouched(self->buf));
	close(other);
}

TEST_F(dma, unmap_blocks_every_route_of_a_device)
{
	uint8_t byte;

	REQ(REQ-UNMAP-BLOCKS, REQ-DETACH-BLOCKS, REQ-TESTIF-DMA);
	/* the RID and two PASIDs of one device, all on one IOASID */
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, 2));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, 7));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, IOVA));
	byte = 0;
	EXPECT_EQ(IOASID_TEST_DMA_OK,
		  dma_read_pasid(self->dev, 2, IOVA + 1, &byte, 1));
	EXPECT_EQ(PAT(1), byte);
	byte = 0;
	EXPECT_EQ(IOASID_TEST_DMA_OK,
		  dma_read_pasid(self->dev, 7, IOVA + 2, &byte, 1));
	EXPECT_EQ(PAT(1), byte);
	/* detaching one PASID route blocks that route only */
	ASSERT_EQ(0, device_detach_pasid(self->dev, self->a, 7));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_read_pasid(self->dev, 7, IOVA + 2, &byte, 1));
	EXPECT_EQ(IOASID_TEST_DMA_OK,
		  dma_read_pasid(self->dev, 2, IOVA + 2, &byte, 1));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, IOVA + 3));
	/* the unmap reaches every route's cached translation */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA, PG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	byte = 0xee;
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_write_pasid(self->dev, 2, IOVA + 1, &byte, 1));
	EXPECT_TRUE(buffer_untouched(self->buf));
}

TEST_F(dma, iotlb_caches_translations)
{
	struct ioasid_test_iotlb t0, t1;
	uint8_t data[16];

	REQ(REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 4 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_EQ(0, t0.out_entries);
	/* first access to a page: a miss, and the translation is cached */
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, IOVA + 10, data, 16));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t1));
	EXPECT_EQ(t0.out_hits, t1.out_hits);
	EXPECT_EQ(t0.out_misses + 1, t1.out_misses);
	EXPECT_LE(1, t1.out_entries);
	/* the same page again: a hit */
	ASSERT_EQ(IOASID_TEST_DMA_OK, dma_read(self->dev, IOVA + 100, data, 16));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_EQ(t1.out_hits + 1, t0.out_hits);
	EXPECT_EQ(t1.out_misses, t0.out_misses);
	/* across a page boundary: a hit on the cached page, a miss on the next */
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(self->dev, IOVA + PG - 8, data, 16));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t1));
	EXPECT_EQ(t0.out_hits + 1, t1.out_hits);
	EXPECT_EQ(t0.out_misses + 1, t1.out_misses);
	EXPECT_LE(2, t1.out_entries);
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_read(self->dev, IOVA + PG - 8, data, 16));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_EQ(t1.out_hits + 2, t0.out_hits);
	EXPECT_EQ(t1.out_misses, t0.out_misses);
	/* a blocked access is a miss */
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + 4 * PG));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t1));
	EXPECT_EQ(t0.out_hits, t1.out_hits);
	EXPECT_EQ(t0.out_misses + 1, t1.out_misses);
}

TEST_F(dma, unmap_flushes_the_iotlb_of_every_device)
{
	struct ioasid_test_iotlb before, after;
	int other = testif_create_device(self->testif);

	REQ(REQ-UNMAP-BLOCKS, REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_LE(0, other);
	ASSERT_LE(1, device_bind(other, self->fd));
	ASSERT_EQ(0, device_attach(other, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG, IOVA + PG,
				PG, IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(0), dma_peek(other, IOVA));
	ASSERT_EQ(0, testif_iotlb(other, &before));
	EXPECT_LE(1, before.out_entries);
	/* unmapping another mapping leaves this one working */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA + PG, PG));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	/* unmapping the cached one leaves no translation of either device */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->a, IOVA, PG));
	ASSERT_EQ(0, testif_iotlb(self->dev, &after));
	EXPECT_EQ(0, after.out_entries);
	ASSERT_EQ(0, testif_iotlb(other, &after));
	EXPECT_EQ(0, after.out_entries);
	/* and the next access is a blocked miss, not a stale hit */
	EXPECT_EQ(BLOCKED, dma_peek(other, IOVA));
	ASSERT_EQ(0, testif_iotlb(other, &before));
	EXPECT_EQ(after.out_hits, before.out_hits);
	EXPECT_EQ(after.out_misses + 1, before.out_misses);
	close(other);
}

TEST_F(dma, detach_blocks_dma_and_keeps_the_mappings)
{
	uint8_t data[16];
	uint64_t fault;

	REQ(REQ-DETACH-BLOCKS, REQ-IOASID-NOCMD, REQ-ATTACH-PGTABLE);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 2 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA + 1));
	ASSERT_EQ(0, device_detach(self->dev, self->a));
	memset(data, 0xee, sizeof(data));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  testif_dma(self->dev, IOASID_TEST_DMA_WRITE, 0, IOVA, data,
			     sizeof(data), &fault));
	EXPECT_EQ(IOVA, fault);
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + PG));
	EXPECT_TRUE(buffer_untouched(self->buf));
	/* with no device attached, the page table is still managed */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG,
				IOVA + 2 * PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(3, charged_pages());
	/* attached again, the device finds every mapping */
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(PAT(2), dma_peek(self->dev, IOVA + 2 * PG));
	EXPECT_EQ(3 * PG, ioasid_unmap_all(self->fd, self->a));
}

TEST_F(dma, detach_flushes_the_iotlb)
{
	struct ioasid_test_iotlb t0, t1;

	REQ(REQ-DETACH-BLOCKS, REQ-TESTIF-IOTLB);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB, "IOTLB");
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_LE(1, t0.out_entries);
	ASSERT_EQ(0, device_detach(self->dev, self->a));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_EQ(0, t0.out_entries);
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t1));
	EXPECT_EQ(t0.out_hits, t1.out_hits);
	EXPECT_EQ(t0.out_misses + 1, t1.out_misses);
	/* attached again: the first access walks the page table */
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, testif_iotlb(self->dev, &t0));
	EXPECT_EQ(t1.out_hits, t0.out_hits);
	EXPECT_EQ(t1.out_misses + 1, t0.out_misses);
}

TEST_F(dma, pasid_routes_translate_through_their_own_ioasid)
{
	long b = ioasid_alloc_one(self->fd);
	struct ioasid_info info;

	REQ(REQ-ATTACH-PGTABLE, REQ-MAP, REQ-DETACH-BLOCKS, REQ-TESTIF-DMA);
	ASSERT_LE(1, b);
	/* the first attach of b, through a PASID route, gives it a page table */
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 5));
	ASSERT_EQ(0, ioasid_get_info(self->fd, b, &info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	/* the same IOVA in both IOASIDs, over different pages */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf + PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	{
		uint8_t byte = 0;

		EXPECT_EQ(IOASID_TEST_DMA_OK,
			  dma_read_pasid(self->dev, 5, IOVA, &byte, 1));
		EXPECT_EQ(PAT(1), byte);
		/* a PASID with no route attached reaches nothing */
		EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
			  dma_read_pasid(self->dev, 6, IOVA, &byte, 1));
		EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
			  dma_write_pasid(self->dev, 0, IOVA, &byte, 1));
		/* detaching the PASID route blocks it, and only it */
		ASSERT_EQ(0, device_detach_pasid(self->dev, b, 5));
		EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
			  dma_read_pasid(self->dev, 5, IOVA, &byte, 1));
		byte = 0xee;
		EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
			  dma_write_pasid(self->dev, 5, IOVA, &byte, 1));
	}
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_TRUE(buffer_untouched(self->buf));
	/* b keeps its mapping without any route */
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, b));
}

TEST_F(dma, every_attached_device_sees_the_mappings)
{
	int late = testif_create_device(self->testif);
	int unbound = testif_create_device(self->testif);
	int bound = testif_create_device(self->testif);

	REQ(REQ-ATTACH-PGTABLE, REQ-MAP, REQ-TESTIF-DMA);
	ASSERT_LE(0, late);
	ASSERT_LE(0, unbound);
	ASSERT_LE(0, bound);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 3 * PG, IOVA,
				PG, IOASID_DMA_RW));
	ASSERT_LE(1, device_bind(late, self->fd));
	ASSERT_LE(1, device_bind(bound, self->fd));
	/* a route that is not attached reaches no memory */
	EXPECT_EQ(BLOCKED, dma_peek(late, IOVA));
	EXPECT_EQ(BLOCKED, dma_peek(bound, IOVA));
	EXPECT_EQ(BLOCKED, dma_peek(unbound, IOVA));
	/* a device attached after the mapping was made reaches it */
	ASSERT_EQ(0, device_attach(late, self->a));
	EXPECT_EQ(PAT(3), dma_peek(late, IOVA));
	EXPECT_EQ(PAT(3), dma_peek(self->dev, IOVA));
	EXPECT_EQ(BLOCKED, dma_peek(bound, IOVA));
	close(late);
	close(unbound);
	close(bound);
}

TEST_F(dma, each_mapping_pins_and_charges)
{
	long b = ioasid_alloc_one(self->fd);

	REQ(REQ-MAP-UNREGISTERED, REQ-UNMAP-UNPIN);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 4 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(4, charged_pages());
	/* the same pages in another IOASID, and again at another IOVA */
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf, IOVA, 4 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(8, charged_pages());
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, 2 * IOVA, 4 * PG,
				IOASID_DMA_READ));
	EXPECT_EQ(12, charged_pages());
	/* each unmap gives back exactly its own charge */
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->a, IOVA, 4 * PG));
	EXPECT_EQ(8, charged_pages());
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, b, IOVA, 4 * PG));
	EXPECT_EQ(4, charged_pages());
	/* freeing an IOASID removes its mappings */
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf + 4 * PG, IOVA, 2 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(6, charged_pages());
	ASSERT_EQ(0, device_detach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_free_one(self->fd, b));
	EXPECT_EQ(4, charged_pages());
	/* and so does the end of the context */
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	EXPECT_EQ(4, charged_pages());	/* the descriptor still holds it */
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, pages_stay_pinned_until_the_last_mapping_goes)
{
	long b = ioasid_alloc_one(self->fd);
	unsigned int i;

	REQ(REQ-UNMAP-UNPIN, REQ-MAP-UNREGISTERED, REQ-TESTIF-PINNED);
	NEED_CAPS(IOASID_TEST_CAP_PINNED, "PINNED");
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 1));
	for (i = 0; i < NPG; i++) {
		ASSERT_EQ(0, testif_pinned(self->testif, self->buf + i * PG));
	}
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG, IOVA,
				2 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf + 2 * PG, IOVA,
				2 * PG, IOASID_DMA_RW));
	/* pages 1..3 are pinned, their neighbours are not */
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + PG));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + 2 * PG + 100));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + 3 * PG));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf + 4 * PG));
	EXPECT_EQ(4, charged_pages());
	/* page 2 is in both; after the first unmap only pages 2 and 3 stay */
	EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, IOVA, 2 * PG));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf + PG));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + 2 * PG));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + 3 * PG));
	EXPECT_EQ(2, charged_pages());
	/* freeing b drops its mapping, the last one */
	ASSERT_EQ(0, device_detach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_free_one(self->fd, b));
	for (i = 0; i < NPG; i++) {
		EXPECT_EQ(0, testif_pinned(self->testif, self->buf + i * PG));
	}
	EXPECT_EQ(0, charged_pages());
	/* and closing the context unpins what is still mapped */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf));
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, pinned_reports_the_state_of_a_page)
{
	uint8_t *gone;

	REQ(REQ-TESTIF-PINNED, REQ-MEM-PIN, REQ-MEM-UNREGISTER-MM);
	NEED_CAPS(IOASID_TEST_CAP_PINNED, "PINNED");
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf + NPG * PG - 1));
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 2 * PG));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + 5));
	EXPECT_EQ(1, testif_pinned(self->testif, self->buf + PG));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf + 2 * PG));
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, 2 * PG));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf));
	/* no page at the address */
	gone = test_memory(PG, PG, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, PG));
	EXPECT_EQ(-EFAULT, testif_pinned(self->testif, gone));
	EXPECT_EQ(-EFAULT, testif_pinned(self->testif, NULL));
}

TEST_F(dma, mappings_respect_the_locked_memory_limit)
{
	struct rlimit limit;
	long b = ioasid_alloc_one(self->fd);

	REQ(REQ-MAP-UNREGISTERED, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_drop_ipc_lock());
	limit.rlim_cur = limit.rlim_max = self->locked * 1024 + 8 * PG;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	EXPECT_EQ(-ENOMEM, ioasid_map(self->fd, self->a, self->buf, IOVA,
				      NPG * PG, IOASID_DMA_RW));
	EXPECT_EQ(0, charged_pages());
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 8 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(8, charged_pages());
	/* the limit is reached: one more page, or the same pages again */
	EXPECT_EQ(-ENOMEM, ioasid_map(self->fd, self->a, self->buf + 8 * PG,
				      IOVA + 8 * PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(-ENOMEM, ioasid_map(self->fd, b, self->buf, IOVA, 8 * PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(8, charged_pages());
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + 8 * PG));
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, b));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(0, charged_pages());
	/* with the charge given back, the same mapping fits again */
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf, IOVA, 8 * PG,
				IOASID_DMA_RW));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, b));
}

TEST_F(dma, registered_memory_is_charged_once)
{
	struct rlimit limit;
	long b = ioasid_alloc_one(self->fd);

	REQ(REQ-MAP-REGISTERED-USE, REQ-MAP-UNREGISTERED, REQ-MEM-PIN);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_drop_ipc_lock());
	limit.rlim_cur = limit.rlim_max = self->locked * 1024 + 8 * PG;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 8 * PG));
	EXPECT_EQ(8, charged_pages());
	/* three mappings of the registered pages, within a full limit */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 8 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf, IOVA, 8 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG,
				2 * IOVA, 2 * PG, IOASID_DMA_READ));
	EXPECT_EQ(8, charged_pages());
	EXPECT_EQ(PAT(7), dma_peek(self->dev, IOVA + 7 * PG));
	EXPECT_EQ(PAT(3), dma_peek(self->dev, 2 * IOVA + PG));
	EXPECT_EQ(10 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, b));
	EXPECT_EQ(8, charged_pages());
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, 8 * PG));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, map_outside_the_registered_memory)
{
	uint8_t *b = self->buf;

	REQ(REQ-MAP-UNREGISTERED, REQ-MAP-REGISTERED-USE, REQ-UNMAP-UNPIN);
	/* two adjacent registrations: pages 0..3 and 4..7 */
	ASSERT_EQ(0, ioasid_register(self->fd, b, 4 * PG));
	ASSERT_EQ(0, ioasid_register(self->fd, b + 4 * PG, 4 * PG));
	EXPECT_EQ(8, charged_pages());
	/* outside every registration: pinned and charged for the mapping */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + 8 * PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(9, charged_pages());
	/* partly registered: the whole range is charged */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + 6 * PG, IOVA + PG,
				4 * PG, IOASID_DMA_RW));
	EXPECT_EQ(13, charged_pages());
	/* inside registered memory, but not inside one registration */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + 2 * PG, IOVA + 5 * PG,
				4 * PG, IOASID_DMA_RW));
	EXPECT_EQ(17, charged_pages());
	/* inside one registration: nothing more */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b + 4 * PG, IOVA + 9 * PG,
				4 * PG, IOASID_DMA_RW));
	EXPECT_EQ(17, charged_pages());
	EXPECT_EQ(PAT(8), dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(9), dma_peek(self->dev, IOVA + 4 * PG));
	EXPECT_EQ(PAT(5), dma_peek(self->dev, IOVA + 8 * PG));
	EXPECT_EQ(PAT(7), dma_peek(self->dev, IOVA + 12 * PG));
	/* each mapping gives back what it took */
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->a, IOVA + PG, 4 * PG));
	EXPECT_EQ(13, charged_pages());
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->a, IOVA + 9 * PG,
				       4 * PG));
	EXPECT_EQ(13, charged_pages());
	EXPECT_EQ(5 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(8, charged_pages());
	ASSERT_EQ(0, ioasid_unregister(self->fd, b, 4 * PG));
	ASSERT_EQ(0, ioasid_unregister(self->fd, b + 4 * PG, 4 * PG));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, memory_in_use_by_a_mapping_cannot_be_unregistered)
{
	long b = ioasid_alloc_one(self->fd);

	REQ(REQ-MEM-BUSY, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_attach_pasid(self->dev, b, 1));
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 4 * PG));
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf + 4 * PG, 4 * PG));
	/* one page of the first registration, mapped in b */
	ASSERT_EQ(0, ioasid_map(self->fd, b, self->buf + 3 * PG, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-EBUSY, ioasid_unregister(self->fd, self->buf, 4 * PG));
	/* still registered, charged and usable */
	EXPECT_EQ(8, charged_pages());
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, self->buf, PG));
	{
		uint8_t byte = 0;

		EXPECT_EQ(IOASID_TEST_DMA_OK,
			  dma_read_pasid(self->dev, 1, IOVA + 9, &byte, 1));
		EXPECT_EQ(PAT(3), byte);
	}
	/* the other registration is not in use */
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf + 4 * PG, 4 * PG));
	EXPECT_EQ(4, charged_pages());
	EXPECT_EQ(PG, ioasid_unmap(self->fd, b, IOVA, PG));
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf, 4 * PG));
	EXPECT_EQ(0, charged_pages());
}

TEST_F(dma, unknown_and_foreign_ioasids)
{
	int other = ioasid_open();
	long theirs, freed;
	struct ioasid_info info;
	unsigned int i;

	REQ(REQ-IOASID-UNKNOWN, REQ-IOASID-LOCAL, REQ-IOASID-NOCMD,
	    REQ-ARG-NOCHANGE);
	ASSERT_LE(0, other);
	freed = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, freed);
	ASSERT_EQ(0, ioasid_free_one(self->fd, freed));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-ENOENT, ioasid_map(self->fd, 0, self->buf, IOVA + PG, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ENOENT, ioasid_map(self->fd, freed, self->buf, IOVA + PG,
				      PG, IOASID_DMA_RW));
	EXPECT_EQ(-ENOENT, ioasid_map(self->fd, 0x7fffffff, self->buf,
				      IOVA + PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(-ENOENT, ioasid_unmap(self->fd, 0, IOVA, PG));
	EXPECT_EQ(-ENOENT, ioasid_unmap(self->fd, freed, IOVA, PG));
	EXPECT_EQ(-ENOENT, ioasid_unmap_all(self->fd, 0xffffffffu));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, freed, &info));
	/* the other descriptor's IOASIDs, whatever their numbers */
	for (i = 0; i < 3; i++) {
		theirs = ioasid_alloc_one(other);
		ASSERT_LE(1, theirs);
		if (theirs == self->a) {
			/* the same number: an IOASID without page table there */
			EXPECT_EQ(-ENXIO, ioasid_unmap_all(other, theirs));
			EXPECT_EQ(-ENXIO, ioasid_map(other, theirs, self->buf,
						     IOVA + PG, PG,
						     IOASID_DMA_RW));
			ASSERT_EQ(0, ioasid_get_info(other, theirs, &info));
			EXPECT_EQ(0, info.out_flags);
		} else {
			/* a number that names nothing here */
			EXPECT_EQ(-ENOENT, ioasid_map(self->fd, theirs,
						      self->buf, IOVA + PG, PG,
						      IOASID_DMA_RW));
			EXPECT_EQ(-ENOENT, ioasid_unmap_all(self->fd, theirs));
			EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, theirs,
							   &info));
		}
	}
	/* ours is untouched */
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA + PG));
	EXPECT_EQ(1, charged_pages());
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	close(other);
}

TEST_F(dma, a_larger_argument_with_a_zero_tail_works)
{
	struct {
		struct ioasid_dma_map map;
		uint64_t tail[2];
	} big = {
		.map = {
			.argsz = sizeof(big),
			.flags = IOASID_DMA_RW,
			.ioasid = self->a,
			.vaddr = (uintptr_t)self->buf,
			.iova = IOVA,
			.length = PG,
		},
	};
	struct {
		struct ioasid_dma_unmap unmap;
		uint64_t tail[2];
	} bigu = {
		.unmap = {
			.argsz = sizeof(bigu),
			.ioasid = self->a,
			.iova = IOVA,
			.length = PG,
		},
	};

	REQ(REQ-ARG-TAIL, REQ-MAP, REQ-UNMAP);
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_MAP_DMA, &big));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_UNMAP_DMA, &bigu));
	EXPECT_EQ(PG, bigu.unmap.out_unmapped);
	EXPECT_EQ(0, bigu.tail[0]);
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
}

TEST_F(dma, map_and_unmap_bad_arguments)
{
	struct ioasid_dma_map map = {
		.argsz = sizeof(map),
		.flags = IOASID_DMA_READ,
		.ioasid = self->a,
		.vaddr = (uintptr_t)self->buf,
		.iova = IOVA,
		.length = PG,
	};
	struct ioasid_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.ioasid = self->a,
		.iova = 2 * IOVA,
		.length = PG,
	};

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-RESERVED, REQ-ARG-FAULT, REQ-ARG-NOCHANGE,
	    REQ-NEST-SW-MAP-ARGS);
	ASSERT_EQ(40, sizeof(map));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG, 2 * IOVA,
				PG, IOASID_DMA_RW));
	check_bad_args(_metadata, self->fd, IOASID_MAP_DMA, &map, sizeof(map),
		       IOASID_DMA_RW | IOASID_DMA_PARENT_IOVA,
		       offsetof(struct ioasid_dma_map, __reserved));
	/* the one flag for children only is wrong here (REQ-NEST-SW-MAP-ARGS) */
	map.flags |= IOASID_DMA_PARENT_IOVA;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_MAP_DMA, &map));
	map.flags &= ~IOASID_DMA_PARENT_IOVA;
	check_bad_args(_metadata, self->fd, IOASID_UNMAP_DMA, &unmap,
		       sizeof(unmap), IOASID_UNMAP_ALL,
		       offsetof(struct ioasid_dma_unmap, __reserved));
	/* nothing was mapped, and nothing unmapped */
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, IOVA));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, 2 * IOVA));
	EXPECT_EQ(1, charged_pages());
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
}

TEST_F(dma, dma_bad_arguments)
{
	uint8_t data[16];
	struct ioasid_test_dma valid = {
		.argsz = sizeof(valid),
		.flags = IOASID_TEST_DMA_WRITE,
		.iova = IOVA,
		.length = sizeof(data),
		.buffer = (uintptr_t)data,
	};
	int plain = testif_create_device(self->testif);

	REQ(REQ-TESTIF-DMA, REQ-TESTIF-DMA-STAGE, REQ-ARG-SIZE-MIN,
	    REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-RESERVED, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT);
	ASSERT_LE(0, plain);
	ASSERT_EQ(72, sizeof(valid));
	memset(data, 0xee, sizeof(data));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	check_bad_args_min(_metadata, self->dev, IOASID_TEST_DMA, &valid,
			   sizeof(valid), 48,
			   IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID |
			   IOASID_TEST_DMA_ENQCMD,
			   offsetof(struct ioasid_test_dma, __reserved));
	/*
	 * A caller of the first version's 48 bytes gets no stage written,
	 * one of the second version's 64 bytes nothing of the wire: every
	 * byte beyond argsz keeps what the caller left there.
	 */
	{
		static const uint32_t sizes[] = { 48, 64 };
		unsigned int i, b;

		for (i = 0; i < 2; i++) {
			struct ioasid_test_dma old;
			const uint8_t *tail = (const uint8_t *)&old + sizes[i];

			memset(&old, 0x5a, sizeof(old));
			memcpy(&old, &valid, sizes[i]);
			old.argsz = sizes[i];
			old.flags = 0;
			old.iova = IOVA + PG;
			old.length = 1;
			EXPECT_EQ(0, ioasid_ioctl(self->dev, IOASID_TEST_DMA,
						  &old));
			EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
				  old.out_status);
			EXPECT_EQ(IOVA + PG, old.out_fault_iova);
			for (b = 0; b < sizeof(old) - sizes[i]; b++)
				EXPECT_EQ(0x5a, tail[b])
					TH_LOG("argsz %u, byte %u", sizes[i],
					       sizes[i] + b);
		}
	}
	EXPECT_EQ(-EINVAL, dma_write(self->dev, IOVA, data, 0));
	EXPECT_EQ(-EINVAL, dma_read(self->dev, IOVA, data, 65537));
	EXPECT_EQ(-EINVAL, dma_read(self->dev, IOVA, data, 1ull << 32));
	/* PASIDs beyond the width, or on a device without PASID support */
	EXPECT_EQ(-EINVAL, dma_write_pasid(self->dev, 256, IOVA, data, 1));
	EXPECT_EQ(-EINVAL, dma_read_pasid(plain, 0, IOVA, data, 1));
	/* none of them wrote anything */
	EXPECT_TRUE(buffer_untouched(self->buf));
	/* the largest length is valid */
	{
		static uint8_t big[65536];

		ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + PG,
					IOVA + PG, (NPG - 1) * PG,
					IOASID_DMA_RW));
		EXPECT_EQ(IOASID_TEST_DMA_OK,
			  dma_read(self->dev, IOVA, big, sizeof(big)));
		EXPECT_EQ(PAT(NPG - 1), big[sizeof(big) - 1]);
	}
	close(plain);
}

/*
 * A mapping reaches the pages that were at its addresses when it was made,
 * whatever the CPU's protection of them becomes: the device reads and
 * writes pages that the program made inaccessible or read-only, and the
 * program sees what the device wrote once it may read the pages again.
 */
TEST_F(dma, a_mapping_ignores_later_changes_of_the_cpu_protection)
{
	uint8_t v[2] = { 0xa5, 0x5a };

	REQ(REQ-MAP, REQ-MAP-PERM);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 3 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, mprotect(self->buf, PG, PROT_NONE));
	ASSERT_EQ(0, mprotect(self->buf + PG, PG, PROT_READ));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA + 100));
	EXPECT_EQ(PAT(1), dma_peek(self->dev, IOVA + PG + 100));
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_write(self->dev, IOVA + 8, v, 2));
	EXPECT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(self->dev, IOVA + PG + PG - 1, v, 2));
	/* the read-only page shows the write at once */
	EXPECT_EQ(0xa5, self->buf[2 * PG - 1]);
	EXPECT_EQ(0x5a, self->buf[2 * PG]);
	EXPECT_EQ(0xa5, dma_peek(self->dev, IOVA + 2 * PG - 1));
	EXPECT_EQ(0xa5, dma_peek(self->dev, IOVA + 8));
	ASSERT_EQ(0, mprotect(self->buf, 2 * PG, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0xa5, self->buf[8]);
	EXPECT_EQ(0x5a, self->buf[9]);
	EXPECT_EQ(PAT(0), self->buf[7]);
	EXPECT_EQ(PAT(0), self->buf[10]);
	EXPECT_EQ(PAT(1), self->buf[2 * PG - 2]);
	EXPECT_EQ(3 * PG, ioasid_unmap_all(self->fd, self->a));
}

TEST_F(dma, dma_with_an_unusable_buffer)
{
	uint8_t *gone = test_memory(PG, PG, 0);

	REQ(REQ-TESTIF-DMA, REQ-ERR-RESOURCE);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, PG));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-EFAULT, dma_write(self->dev, IOVA, gone, 16));
	EXPECT_EQ(-EFAULT, dma_read(self->dev, IOVA, gone, 16));
	EXPECT_TRUE(buffer_untouched(self->buf));
	EXPECT_EQ(PAT(0), dma_peek(self->dev, IOVA));
}

/* /proc/sys/vm/nr_hugepages, or -1; and setting it. */
static long nr_hugepages(long set)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", set < 0 ? "r" : "w");
	long n = -1;

	if (!f)
		return -1;
	if (set < 0 ? fscanf(f, "%ld", &n) != 1 : fprintf(f, "%ld\n", set) < 0)
		n = -1;
	else if (set >= 0)
		n = set;
	if (fclose(f))
		n = -1;
	return n;
}

/*
 * Memory backed by 2 MiB pages, mapped at an IOVA aligned like it, may be
 * entered into the page table as large pages; mapped at an IOVA that is
 * not, it cannot.  Either way every byte translates to its own place,
 * reads and writes, and nothing is reached after the unmap.
 */
TEST_F(dma, huge_page_backed_memory_translates_byte_for_byte)
{
	const size_t len = 4ul << 20, huge = 2ul << 20;
	const uint64_t iovas[] = { 1ull << 31, (1ull << 31) + 16 * PG };
	long saved = nr_hugepages(-1);
	uint8_t *mem, page[PG];
	unsigned int k;
	size_t off;

	REQ(REQ-MAP, REQ-UNMAP-BLOCKS, REQ-TESTIF-DMA);
	if (saved < 0 || nr_hugepages(saved + 2) < 0)
		SKIP(return, "cannot reserve huge pages");
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		nr_hugepages(saved);
		SKIP(return, "no 2 MiB huge pages: %s", strerror(errno));
	}
	for (off = 0; off < len; off += PG)
		memset(mem + off, (uint8_t)(off / PG * 7 + 1), PG);
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, mem, iovas[k], len,
					IOASID_DMA_RW));
		for (off = 0; off < len; off += 37 * PG + 123) {
			EXPECT_EQ(mem[off], dma_peek(self->dev, iovas[k] + off))
				TH_LOG("mapping %u, offset %#zx", k, off);
		}
		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  dma_read(self->dev, iovas[k] + huge - PG / 2, page, PG));
		EXPECT_EQ(0, memcmp(page, mem + huge - PG / 2, PG));
		memset(page, 0xe0 + k, PG);
		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  dma_write(self->dev, iovas[k] + 3 * huge / 2, page, PG));
		EXPECT_EQ(0, memcmp(page, mem + 3 * huge / 2, PG));
		EXPECT_EQ((long)len, ioasid_unmap_all(self->fd, self->a));
		for (off = 0; off < len; off += huge / 2) {
			EXPECT_EQ(BLOCKED, dma_peek(self->dev, iovas[k] + off));
		}
	}
	munmap(mem, len);
	nr_hugepages(saved);
}

TEST_F(dma, iotlb_and_pinned_bad_arguments)
{
	struct ioasid_test_iotlb iotlb = { .argsz = sizeof(iotlb) };
	struct ioasid_test_pinned pinned = {
		.argsz = sizeof(pinned),
		.vaddr = (uintptr_t)self->buf,
	};

	REQ(REQ-TESTIF-IOTLB, REQ-TESTIF-PINNED, REQ-ARG-SIZE-MIN,
	    REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS, REQ-ARG-RESERVED,
	    REQ-ARG-FAULT);
	NEED_CAPS(IOASID_TEST_CAP_IOTLB | IOASID_TEST_CAP_PINNED,
		  "IOTLB and PINNED");
	ASSERT_EQ(32, sizeof(iotlb));
	ASSERT_EQ(32, sizeof(pinned));
	check_bad_args(_metadata, self->dev, IOASID_TEST_IOTLB, &iotlb,
		       sizeof(iotlb), 0,
		       offsetof(struct ioasid_test_iotlb, __reserved));
	check_bad_args_min(_metadata, self->testif, IOASID_TEST_PINNED, &pinned,
			   sizeof(pinned), 24, 0,
			   offsetof(struct ioasid_test_pinned, __reserved));
	pinned.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->testif, IOASID_TEST_PINNED,
					&pinned));
	/* the first version's 24 bytes still work */
	pinned.__reserved2 = 0;
	pinned.argsz = 24;
	pinned.out_dirty = 0x5a;
	EXPECT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_PINNED, &pinned));
	EXPECT_EQ(0x5a, pinned.out_dirty);
	EXPECT_EQ(0, testif_iotlb(self->dev, &iotlb));
	EXPECT_EQ(0, testif_pinned(self->testif, self->buf));
}

/*
 * A device behind a class B IOMMU: 64 KiB granule, 39-bit IOVAs.
 */
#define BG	0x10000L

FIXTURE(classb) {
	int testif;
	int fd;
	int dev;
	long a;
	uint8_t *buf;	/* 4 granules, 64 KiB aligned; granule i holds 0x40 + i */
};

FIXTURE_SETUP(classb)
{
	const char *why = NULL;
	unsigned int i;

	self->fd = self->dev = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA,
				   &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_class_device(self->testif,
					       IOASID_TEST_IOMMU_B);
	ASSERT_LE(0, self->dev);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	self->buf = test_memory(4 * BG, BG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < 4; i++)
		memset(self->buf + i * BG, 0x40 + i, BG);
}

FIXTURE_TEARDOWN(classb)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 4 * BG);
}

TEST_F(classb, alignment_is_the_granule_of_the_iommu)
{
	const uint64_t x = 0x1000000;
	uint8_t *b = self->buf;

	REQ(REQ-MAP-ARGS, REQ-UNMAP-ARGS, REQ-MAP, REQ-ARG-NOCHANGE);
	/* multiples of the CPU page, not of the 64 KiB granule */
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b + PG, x, BG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, x + PG, BG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, x, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, self->a, b, x, BG + PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, b, x, 2 * BG,
				IOASID_DMA_RW));
	/* every byte of a granule is reached */
	EXPECT_EQ(0x40, dma_peek(self->dev, x + 0x8000));
	EXPECT_EQ(0x41, dma_peek(self->dev, x + BG + BG - 1));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x, PG));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x + PG, BG));
	EXPECT_EQ(-EINVAL, ioasid_unmap(self->fd, self->a, x, 2 * BG + PG));
	EXPECT_EQ(0x41, dma_peek(self->dev, x + BG));
	EXPECT_EQ(2 * BG, ioasid_unmap(self->fd, self->a, x, 2 * BG));
	EXPECT_EQ(BLOCKED, dma_peek(self->dev, x));
}

TEST_F(classb, map_outside_the_permitted_ranges)
{
	const uint64_t top = 1ull << 39;	/* class B: 39-bit IOVAs */
	const uint64_t ok[] = {
		0, MOCK_RESV_START - BG, MOCK_RESV_LAST + 1, top - BG,
	};
	unsigned int i;

	REQ(REQ-MAP-RANGE, REQ-ARG-NOCHANGE);
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_START, BG, IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_START - BG, 2 * BG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      MOCK_RESV_LAST + 1 - BG, 2 * BG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf, top, BG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf, top - BG,
				      2 * BG, IOASID_DMA_RW));
	/* valid for class A, beyond the width of class B */
	EXPECT_EQ(-ERANGE, ioasid_map(self->fd, self->a, self->buf,
				      1ull << 40, BG, IOASID_DMA_RW));
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT_EQ(BLOCKED, dma_peek(self->dev, ok[i]));
		ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + i * BG,
					ok[i], BG, IOASID_DMA_RW))
			TH_LOG("iova %#llx", (unsigned long long)ok[i]);
		EXPECT_EQ(0x40 + i, dma_peek(self->dev, ok[i] + BG - 1));
	}
	EXPECT_EQ(4 * BG, ioasid_unmap_all(self->fd, self->a));
}

TEST_HARNESS_MAIN
