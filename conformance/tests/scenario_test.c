// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end scenarios: the RFC's flows (section 5 of "/dev/ioasid uAPI
 * proposal", 2021-05-27) played by a program against the interface, with
 * the DMA of test devices checking at every step that each device reaches
 * exactly the memory the flow gives it.  Also two processes that share
 * nothing.  The devices come from the conformance test interface
 * (capabilities DEVICE and DMA); without it every test here is skipped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/wait.h>

#include "ioasid_test.h"

#define PG	4096L

FIXTURE(scn) {
	int testif;
	long locked;
};

FIXTURE_SETUP(scn)
{
	const char *why = NULL;

	self->testif = testif_open(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA,
				   &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->locked = ioasid_pinned_kb();
	ASSERT_LE(0, self->locked);
}

FIXTURE_TEARDOWN(scn)
{
	if (self->testif >= 0)
		close(self->testif);
}

#define charged_pages() \
	((ioasid_pinned_kb() - self->locked) * 1024 / PG)

/* A DMA read of @len bytes at @iova compares equal to @expect. */
static bool dma_sees(int dev, uint64_t iova, const void *expect, size_t len)
{
	uint8_t data[256];

	if (len > sizeof(data))
		return false;
	memset(data, 0, sizeof(data));
	if (dma_read(dev, iova, data, len) != IOASID_TEST_DMA_OK)
		return false;
	return memcmp(data, expect, len) == 0;
}

/* A one-byte DMA read at @iova is blocked for lack of a translation. */
static bool dma_blocked(int dev, uint64_t iova)
{
	uint8_t byte;

	return dma_read(dev, iova, &byte, 1) == IOASID_TEST_DMA_NO_TRANSLATION;
}

/*
 * 5.1: one device, one GPA address space managed by DMA mapping.  Guest
 * memory ("HVA") is mapped at GPA 0; the device's DMA at a GPA reaches
 * guest memory at the same offset.  A second device attached to the same
 * IOASID shares the GPA space.
 */
TEST_F(scn, rfc_5_1_a_simple_example)
{
	const size_t ram_size = 2 << 20;
	const char hello[] = "DMA from dev1 at GPA 0x1000";
	const char guest[] = "written by the guest CPU";
	struct ioasid_iova_range ranges[4];
	struct ioasid_info info;
	int device_fd, device2_fd, ioasid_fd;
	long gpa_ioasid;
	uint8_t *ram;

	REQ(REQ-DEV-BIND, REQ-ATTACH, REQ-ATTACH-PGTABLE, REQ-INFO-RANGES,
	    REQ-MAP, REQ-UNMAP, REQ-UNMAP-BLOCKS, REQ-UNMAP-UNPIN);
	ram = test_memory(ram_size, PG, 0);
	ASSERT_NE(MAP_FAILED, ram);

	/* bind the device to an IOASID descriptor */
	device_fd = testif_create_device(self->testif);
	ASSERT_LE(0, device_fd);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd, ioasid_fd));

	/* attach it to a new IOASID */
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd, gpa_ioasid));

	/* GPA 0 .. ram_size - 1 must be a permitted range of the page table */
	ASSERT_EQ(0, ioasid_get_info_ranges(ioasid_fd, gpa_ioasid, &info,
					    ranges, 4, NULL, 0));
	ASSERT_LE(1, info.num_ranges);
	ASSERT_EQ(0, ranges[0].start);
	ASSERT_LE(ram_size - 1, ranges[0].last);

	/* set up the GPA mapping */
	ASSERT_EQ(0, ioasid_map(ioasid_fd, gpa_ioasid, ram, 0, ram_size,
				IOASID_DMA_RW));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());

	/* the device writes guest memory, and reads what the guest wrote */
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(device_fd, 0x1000, (void *)hello, sizeof(hello)));
	EXPECT_EQ(0, memcmp(ram + 0x1000, hello, sizeof(hello)));
	memcpy(ram + ram_size - PG + 0x123, guest, sizeof(guest));
	EXPECT_TRUE(dma_sees(device_fd, ram_size - PG + 0x123, guest,
			     sizeof(guest)));
	EXPECT_TRUE(dma_blocked(device_fd, ram_size));

	/* a second device of the guest shares the GPA address space */
	device2_fd = testif_create_device(self->testif);
	ASSERT_LE(0, device2_fd);
	ASSERT_LE(1, device_bind(device2_fd, ioasid_fd));
	EXPECT_TRUE(dma_blocked(device2_fd, 0x1000));
	ASSERT_EQ(0, device_attach(device2_fd, gpa_ioasid));
	EXPECT_TRUE(dma_sees(device2_fd, 0x1000, hello, sizeof(hello)));

	/* the guest goes away: unmap, and neither device reaches its memory */
	EXPECT_EQ((long)ram_size, ioasid_unmap_all(ioasid_fd, gpa_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd, 0x1000));
	EXPECT_TRUE(dma_blocked(device2_fd, 0x1000));
	EXPECT_EQ(0, charged_pages());
	close(device_fd);
	close(device2_fd);
	close(ioasid_fd);
	munmap(ram, ram_size);
}

/*
 * 5.2: two devices, a GPA space for both, then a GIOVA space for dev2
 * with a shadow mapping GIOVA 0x2000 -> GPA 0x1000 -> HVA + 0x1000 that
 * the program computes itself.  The guest memory is registered first, so
 * that it is charged once however many mappings use it.
 */
TEST_F(scn, rfc_5_2_multiple_ioasids_without_nesting)
{
	const size_t ram_size = 1 << 20;
	const char from_dev2[] = "dev2 through GIOVA 0x2000";
	int device_fd1, device_fd2, ioasid_fd;
	long gpa_ioasid, giova_ioasid;
	uint8_t *ram;
	unsigned int i;

	REQ(REQ-MEM-PIN, REQ-MAP-REGISTERED-USE, REQ-MAP-UNREGISTERED,
	    REQ-DETACH, REQ-DETACH-BLOCKS, REQ-ATTACH-PGTABLE,
	    REQ-IOASID-NOCMD, REQ-MEM-BUSY, REQ-UNMAP);
	ram = test_memory(ram_size, PG, 0);
	ASSERT_NE(MAP_FAILED, ram);
	for (i = 0; i < ram_size / PG; i++)
		memset(ram + i * PG, (uint8_t)i, PG);

	device_fd1 = testif_create_device(self->testif);
	ASSERT_LE(0, device_fd1);
	device_fd2 = testif_create_device(self->testif);
	ASSERT_LE(0, device_fd2);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd1, ioasid_fd));
	ASSERT_LE(1, device_bind(device_fd2, ioasid_fd));

	/* pre-register the guest memory for accounting */
	ASSERT_EQ(0, ioasid_register(ioasid_fd, ram, ram_size));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());

	/* attach dev1 and dev2 to gpa_ioasid, and map the GPA space */
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, gpa_ioasid));
	ASSERT_EQ(0, device_attach(device_fd2, gpa_ioasid));
	ASSERT_EQ(0, ioasid_map(ioasid_fd, gpa_ioasid, ram, 0, ram_size,
				IOASID_DMA_RW));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_TRUE(dma_sees(device_fd2, 0x1000, "\x01\x01\x01\x01", 4));

	/* after boot the guest enables a GIOVA space for dev2 */
	giova_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, giova_ioasid);
	ASSERT_EQ(0, device_detach(device_fd2, gpa_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	ASSERT_EQ(0, device_attach(device_fd2, giova_ioasid));
	/* the shadow mapping: GIOVA 0x2000 -> GPA 0x1000 -> HVA + 0x1000 */
	ASSERT_EQ(0, ioasid_map(ioasid_fd, giova_ioasid, ram + 0x1000, 0x2000,
				PG, IOASID_DMA_RW));
	/* still charged once */
	EXPECT_EQ((long)(ram_size / PG), charged_pages());

	/* dev2 reaches guest page 1 at GIOVA 0x2000, and nothing else */
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x01\x01\x01\x01", 4));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x3000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(device_fd2, 0x2000 + 0x10, (void *)from_dev2,
			    sizeof(from_dev2)));
	EXPECT_EQ(0, memcmp(ram + 0x1010, from_dev2, sizeof(from_dev2)));
	/* dev1, in the GPA space, sees the same guest memory at GPA 0x1000 */
	EXPECT_TRUE(dma_sees(device_fd1, 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd1, 0x2000, "\x02\x02\x02\x02", 4));

	/* guest memory in use by the mappings cannot be unregistered */
	EXPECT_EQ(-EBUSY, ioasid_unregister(ioasid_fd, ram, ram_size));
	EXPECT_TRUE(dma_sees(device_fd1, 0x1010, from_dev2, sizeof(from_dev2)));

	/* the guest turns its vIOMMU off: dev2 goes back to the GPA space */
	ASSERT_EQ(0, device_detach(device_fd2, giova_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x2010));
	ASSERT_EQ(0, device_attach(device_fd2, gpa_ioasid));
	EXPECT_TRUE(dma_sees(device_fd2, 0x1010, from_dev2, sizeof(from_dev2)));
	/* giova_ioasid kept its page table and its mapping, without devices */
	EXPECT_EQ(PG, ioasid_unmap(ioasid_fd, giova_ioasid, 0x2000, PG));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, giova_ioasid));

	/* teardown */
	EXPECT_EQ((long)ram_size, ioasid_unmap_all(ioasid_fd, gpa_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd1, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_EQ(0, ioasid_unregister(ioasid_fd, ram, ram_size));
	EXPECT_EQ(0, charged_pages());
	close(device_fd1);
	close(device_fd2);
	close(ioasid_fd);
	munmap(ram, ram_size);
}

/*
 * 5.3: as 5.2, but the kernel builds the GIOVA space from the GPA space:
 * guest memory is not registered, since only the GPA space charges it;
 * dev2 stays attached to gpa_ioasid while its default route is nested on
 * giova_ioasid, which maps GIOVA 0x2000 to GPA 0x1000.
 */
TEST_F(scn, rfc_5_3_ioasid_nesting_in_software)
{
	const size_t ram_size = 1 << 20;
	const char from_dev2[] = "dev2 through GIOVA 0x2000, nested";
	struct ioasid_info info;
	int device_fd1, device_fd2, ioasid_fd;
	long gpa_ioasid, giova_ioasid;
	uint8_t *ram;
	unsigned int i;

	REQ(REQ-NEST-CREATE, REQ-INFO-NESTING, REQ-NEST-ATTACH-RID,
	    REQ-NEST-SW-MAP, REQ-NEST-SW-CHARGE, REQ-NEST-SW-UNMAP-PARENT,
	    REQ-NEST-SW-UNMAP, REQ-NEST-FREE-PARENT, REQ-MAP-UNREGISTERED,
	    REQ-UNMAP-UNPIN);
	ram = test_memory(ram_size, PG, 0);
	ASSERT_NE(MAP_FAILED, ram);
	for (i = 0; i < ram_size / PG; i++)
		memset(ram + i * PG, (uint8_t)i, PG);

	device_fd1 = testif_create_device(self->testif);
	ASSERT_LE(0, device_fd1);
	device_fd2 = testif_create_device(self->testif);
	ASSERT_LE(0, device_fd2);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd1, ioasid_fd));
	ASSERT_LE(1, device_bind(device_fd2, ioasid_fd));

	/* before boot: both devices in the GPA space, guest memory mapped */
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, gpa_ioasid));
	ASSERT_EQ(0, device_attach(device_fd2, gpa_ioasid));
	ASSERT_EQ(0, ioasid_map(ioasid_fd, gpa_ioasid, ram, 0, ram_size,
				IOASID_DMA_RW));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_TRUE(dma_sees(device_fd2, 0x1000, "\x01\x01\x01\x01", 4));
	ASSERT_EQ(0, ioasid_get_info(ioasid_fd, gpa_ioasid, &info));
	ASSERT_TRUE(info.out_nesting & IOASID_NESTING_SW);

	/* after boot: the GIOVA space nested on the GPA space */
	giova_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, giova_ioasid);
	ASSERT_EQ(0, ioasid_get_info(ioasid_fd, giova_ioasid, &info));
	EXPECT_EQ(gpa_ioasid, info.out_parent);
	/* an empty child: dev2 reaches nothing once nested on it */
	ASSERT_EQ(0, device_attach(device_fd2, giova_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x2000));
	/* dev1 is not affected */
	EXPECT_TRUE(dma_sees(device_fd1, 0x1000, "\x01\x01\x01\x01", 4));

	/* GIOVA 0x2000 -> GPA 0x1000, merged by the kernel */
	ASSERT_EQ(0, ioasid_map_parent(ioasid_fd, giova_ioasid, 0x1000, 0x2000,
				       PG, IOASID_DMA_RW));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x01\x01\x01\x01", 4));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x3000));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(device_fd2, 0x2000 + 0x10, (void *)from_dev2,
			    sizeof(from_dev2)));
	EXPECT_EQ(0, memcmp(ram + 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd1, 0x1010, from_dev2, sizeof(from_dev2)));

	/* the GPA mapping under the GIOVA one cannot go first */
	EXPECT_EQ(-EBUSY, ioasid_unmap_all(ioasid_fd, gpa_ioasid));
	EXPECT_EQ(-EBUSY, ioasid_free_one(ioasid_fd, gpa_ioasid));
	EXPECT_TRUE(dma_sees(device_fd1, 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2010, from_dev2, sizeof(from_dev2)));

	/* the guest turns its vIOMMU off: dev2 is in the GPA space again */
	ASSERT_EQ(0, device_detach(device_fd2, giova_ioasid));
	EXPECT_TRUE(dma_sees(device_fd2, 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x02\x02\x02\x02", 4));

	/* teardown: the child's mapping, the child, then the GPA space */
	EXPECT_EQ(PG, ioasid_unmap(ioasid_fd, giova_ioasid, 0x2000, PG));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, giova_ioasid));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_EQ((long)ram_size, ioasid_unmap_all(ioasid_fd, gpa_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd1, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_EQ(0, charged_pages());
	close(device_fd1);
	close(device_fd2);
	close(ioasid_fd);
	munmap(ram, ram_size);
}

/* A DMA read by @dev through route @pasid at @iova is blocked at @stage. */
static bool dma_blocked_at(int dev, int pasid, uint64_t iova, uint32_t stage,
			   uint64_t parent_iova)
{
	struct dma_fault f;
	uint8_t byte;

	return route_dma_fault(dev, pasid, iova, &byte, 1, 0, &f) ==
		       IOASID_TEST_DMA_NO_TRANSLATION &&
	       f.stage == stage && f.parent_iova == parent_iova;
}

/* A DMA read by @dev through route @pasid of 4 bytes at @iova is @expect. */
static bool route_sees(int dev, int pasid, uint64_t iova, const void *expect)
{
	uint8_t data[4] = { 0 };

	return route_dma(dev, pasid, iova, data, 4, 0) == IOASID_TEST_DMA_OK &&
	       memcmp(data, expect, 4) == 0;
}

/*
 * Guest memory for the hardware-nesting flows: @size bytes, page i filled
 * with byte i, mapped at GPA 0 of @gpa_ioasid one page per mapping, so that
 * the program can take any page away again; the guest's stage-1 tables
 * live in it, in the @ntables pages from GPA @table_gpa, zeroed.
 */
static uint8_t *guest_ram(int fd, long gpa_ioasid, size_t size,
			  uint64_t table_gpa, unsigned int ntables,
			  struct s1_tables *t)
{
	uint8_t *ram = test_memory(size, PG, 0);
	unsigned int i;

	if (ram == MAP_FAILED)
		return NULL;
	for (i = 0; i < size / PG; i++)
		memset(ram + i * PG, (uint8_t)i, PG);
	memset(ram + table_gpa, 0, ntables * PG);
	t->mem = (uint64_t *)(ram + table_gpa);
	t->gpa = table_gpa;
	t->npages = ntables;
	t->used = 1;
	for (i = 0; i < size / PG; i++) {
		if (ioasid_map(fd, gpa_ioasid, ram + i * PG, i * PG, PG,
			       IOASID_DMA_RW)) {
			munmap(ram, size);
			return NULL;
		}
	}
	return ram;
}

/*
 * 5.4: as 5.3, on an IOMMU that nests in hardware.  The guest's IOVA table
 * lives in guest memory, which the GPA space maps like the rest; the
 * program binds it by its GPA, and relays the guest's invalidations.  The
 * device keeps using a translation the guest changed until the program
 * invalidates it; the program's own unmap of guest memory needs no
 * invalidation and is not refused.
 */
TEST_F(scn, rfc_5_4_ioasid_nesting_in_hardware)
{
	const size_t ram_size = 1 << 20;
	const uint64_t pgtable = 0x80000;	/* GPA of the guest's table */
	const char from_dev2[] = "dev2 through GIOVA 0x2000, walked";
	int device_fd1, device_fd2, ioasid_fd;
	long gpa_ioasid, giova_ioasid;
	struct ioasid_info info;
	struct s1_tables t;
	uint8_t *ram;

	REQ(REQ-NEST-HW-CREATE, REQ-INFO-NESTING, REQ-INFO-FORMATS,
	    REQ-NEST-ATTACH-RID, REQ-NEST-HW-BIND, REQ-NEST-HW-STAGE,
	    REQ-NEST-INV, REQ-NEST-HW-UNMAP-PARENT, REQ-NEST-HW-UNBIND,
	    REQ-NEST-FREE-PARENT, REQ-TESTIF-FORMAT, REQ-TESTIF-DMA-STAGE);
	if (!(testif_caps(self->testif) & IOASID_TEST_CAP_HW_NESTING))
		SKIP(return, "no test devices behind an IOMMU that nests");
	device_fd1 = testif_create_class_device(self->testif,
						IOASID_TEST_IOMMU_N);
	ASSERT_LE(0, device_fd1);
	device_fd2 = testif_create_class_device(self->testif,
						IOASID_TEST_IOMMU_N);
	ASSERT_LE(0, device_fd2);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd1, ioasid_fd));
	ASSERT_LE(1, device_bind(device_fd2, ioasid_fd));

	/* before boot: both devices in the GPA space, guest memory mapped */
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, gpa_ioasid));
	ASSERT_EQ(0, device_attach(device_fd2, gpa_ioasid));
	ram = guest_ram(ioasid_fd, gpa_ioasid, ram_size, pgtable, 4, &t);
	ASSERT_NE(NULL, ram);
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	ASSERT_EQ(0, ioasid_get_info(ioasid_fd, gpa_ioasid, &info));
	ASSERT_EQ(IOASID_NESTING_HW, info.out_nesting);
	ASSERT_TRUE(info.out_formats & 1ull << IOASID_PGTABLE_FORMAT_TEST);

	/* after boot: the GIOVA space, dev2 in it, no table yet */
	giova_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, giova_ioasid);
	ASSERT_EQ(0, device_attach(device_fd2, giova_ioasid));
	EXPECT_TRUE(dma_blocked_at(device_fd2, NO_PASID, 0x2000,
				   IOASID_TEST_STAGE_1, 0));
	EXPECT_TRUE(dma_sees(device_fd1, 0x1000, "\x01\x01\x01\x01", 4));

	/* the guest maps GIOVA 0x2000 to GPA 0x1000; the program binds */
	ASSERT_EQ(0, s1_map(&t, 0x2000, 0x1000, S1_RW, 0));
	ASSERT_EQ(0, ioasid_bind_test(ioasid_fd, giova_ioasid, pgtable));
	EXPECT_EQ(IOASID_INFO_NESTED | IOASID_INFO_PGTABLE | IOASID_INFO_BOUND,
		  ioasid_info_flags(ioasid_fd, giova_ioasid));
	EXPECT_EQ((long)(ram_size / PG), charged_pages());
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x01\x01\x01\x01", 4));
	EXPECT_TRUE(dma_blocked_at(device_fd2, NO_PASID, 0x1000,
				   IOASID_TEST_STAGE_1, 0));
	ASSERT_EQ(IOASID_TEST_DMA_OK,
		  dma_write(device_fd2, 0x2010, (void *)from_dev2,
			    sizeof(from_dev2)));
	EXPECT_EQ(0, memcmp(ram + 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd1, 0x1010, from_dev2, sizeof(from_dev2)));

	/* the guest remaps GIOVA 0x2000 to GPA 0x3000, then invalidates */
	ASSERT_EQ(0, s1_map(&t, 0x2000, 0x3000, S1_RW, 0));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2010, from_dev2, sizeof(from_dev2)));
	ASSERT_EQ(0, ioasid_inv_range(ioasid_fd, giova_ioasid, 0x2000, PG));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x03\x03\x03\x03", 4));

	/* the guest maps GIOVA 0x4000 to GPA 0x5000: a miss, walked at once */
	ASSERT_EQ(0, s1_map(&t, 0x4000, 0x5000, S1_RW, 0));
	EXPECT_TRUE(dma_sees(device_fd2, 0x4000, "\x05\x05\x05\x05", 4));

	/* the program takes GPA 0x5000 away: no invalidation, not refused */
	EXPECT_EQ(PG, ioasid_unmap(ioasid_fd, gpa_ioasid, 0x5000, PG));
	EXPECT_TRUE(dma_blocked_at(device_fd2, NO_PASID, 0x4000,
				   IOASID_TEST_STAGE_2, 0x5000));
	EXPECT_TRUE(dma_blocked(device_fd1, 0x5000));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x03\x03\x03\x03", 4));

	/* the guest unmaps GIOVA 0x2000 and invalidates everything */
	*s1_entry(&t, 0x2000, 0) = 0;
	ASSERT_EQ(0, ioasid_inv_all(ioasid_fd, giova_ioasid));
	EXPECT_TRUE(dma_blocked_at(device_fd2, NO_PASID, 0x2000,
				   IOASID_TEST_STAGE_1, 0));

	/* the guest turns its vIOMMU off: dev2 is in the GPA space again */
	EXPECT_EQ(-EBUSY, ioasid_free_one(ioasid_fd, gpa_ioasid));
	ASSERT_EQ(0, device_detach(device_fd2, giova_ioasid));
	EXPECT_TRUE(dma_sees(device_fd2, 0x1010, from_dev2, sizeof(from_dev2)));
	EXPECT_TRUE(dma_sees(device_fd2, 0x2000, "\x02\x02\x02\x02", 4));

	/* teardown: the table, the child, then the GPA space */
	EXPECT_EQ(0, ioasid_unbind_pgtable(ioasid_fd, giova_ioasid));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, giova_ioasid));
	EXPECT_EQ((long)(ram_size / PG) - 1, charged_pages());
	EXPECT_EQ((long)ram_size - PG, ioasid_unmap_all(ioasid_fd, gpa_ioasid));
	EXPECT_TRUE(dma_blocked(device_fd1, 0x1000));
	EXPECT_TRUE(dma_blocked(device_fd2, 0x1000));
	EXPECT_EQ(0, charged_pages());
	close(device_fd1);
	close(device_fd2);
	close(ioasid_fd);
	munmap(ram, ram_size);
}

/*
 * 5.5: after 5.4's GIOVA space for dev2, the guest gives dev1 a process
 * address space (GVA) for shared virtual addressing: a child of the GPA
 * space attached to dev1 with the guest's PASID, with a table of its own.
 * dev1's RID stays in the GPA space and dev2 in the GIOVA space; a
 * PASID-selective invalidation reaches the GVA translations only.  The
 * step of an ENQCMD-capable device (KVM_MAP_PASID) belongs to KVM and is
 * outside this interface.
 */
TEST_F(scn, rfc_5_5_guest_sva)
{
	const size_t ram_size = 1 << 20;
	const uint64_t giova_table = 0x80000, gva_table = 0x90000;
	const uint32_t gpasid1 = 5;
	int device_fd1, device_fd2, ioasid_fd;
	long gpa_ioasid, giova_ioasid, gva_ioasid;
	struct s1_tables t2, t1;
	uint8_t *ram;

	REQ(REQ-NEST-HW-CREATE, REQ-NEST-ATTACH, REQ-ATTACH-PASID-WIDTH,
	    REQ-NEST-HW-BIND, REQ-NEST-INV, REQ-NEST-HW-UNBIND,
	    REQ-TESTIF-FORMAT);
	if (!(testif_caps(self->testif) & IOASID_TEST_CAP_HW_NESTING))
		SKIP(return, "no test devices behind an IOMMU that nests");
	device_fd1 = testif_create_device_ex(self->testif, 0, 8,
					     IOASID_TEST_IOMMU_N, 0);
	ASSERT_LE(0, device_fd1);
	device_fd2 = testif_create_class_device(self->testif,
						IOASID_TEST_IOMMU_N);
	ASSERT_LE(0, device_fd2);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd1, ioasid_fd));
	ASSERT_LE(1, device_bind(device_fd2, ioasid_fd));
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, gpa_ioasid));
	ASSERT_EQ(0, device_attach(device_fd2, gpa_ioasid));
	ram = guest_ram(ioasid_fd, gpa_ioasid, ram_size, giova_table, 4, &t2);
	ASSERT_NE(NULL, ram);
	memset(ram + gva_table, 0, 4 * PG);
	t1 = t2;
	t1.mem = (uint64_t *)(ram + gva_table);
	t1.gpa = gva_table;

	/* 5.4 for dev2: GIOVA 0x2000 -> GPA 0x1000 */
	giova_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, giova_ioasid);
	ASSERT_EQ(0, device_attach(device_fd2, giova_ioasid));
	ASSERT_EQ(0, s1_map(&t2, 0x2000, 0x1000, S1_RW, 0));
	ASSERT_EQ(0, ioasid_bind_test(ioasid_fd, giova_ioasid, giova_table));

	/* the GVA space: dev1 with gpasid1, GVA 0x7f0000002000 -> GPA 0x6000 */
	gva_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, gva_ioasid);
	ASSERT_EQ(0, device_attach_pasid(device_fd1, gva_ioasid, gpasid1));
	ASSERT_EQ(0, s1_map(&t1, 0x7f0000002000ull, 0x6000, S1_RW, 0));
	ASSERT_EQ(0, ioasid_bind_test(ioasid_fd, gva_ioasid, gva_table));
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, 0x7f0000002000ull,
			       "\x06\x06\x06\x06"));
	/* dev1's RID is still in the GPA space, dev2 in the GIOVA space */
	EXPECT_TRUE(route_sees(device_fd1, NO_PASID, 0x2000,
			       "\x02\x02\x02\x02"));
	EXPECT_TRUE(route_sees(device_fd2, NO_PASID, 0x2000,
			       "\x01\x01\x01\x01"));
	EXPECT_TRUE(dma_blocked_at(device_fd1, gpasid1, 0x2000,
				   IOASID_TEST_STAGE_1, 0));

	/* the guest moves its process page; a PASID-selective invalidation */
	ASSERT_EQ(0, s1_map(&t1, 0x7f0000002000ull, 0x7000, S1_RW, 0));
	ASSERT_EQ(0, s1_map(&t2, 0x2000, 0x8000, S1_RW, 0));
	ASSERT_EQ(0, ioasid_inv_pasid(ioasid_fd, gva_ioasid, gpasid1));
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, 0x7f0000002000ull,
			       "\x07\x07\x07\x07"));
	/* the GIOVA space's change is not invalidated yet */
	EXPECT_TRUE(route_sees(device_fd2, NO_PASID, 0x2000,
			       "\x01\x01\x01\x01"));
	ASSERT_EQ(0, ioasid_inv_all(ioasid_fd, giova_ioasid));
	EXPECT_TRUE(route_sees(device_fd2, NO_PASID, 0x2000,
			       "\x08\x08\x08\x08"));

	/* the process exits: the guest unbinds its table, then detaches */
	ASSERT_EQ(0, ioasid_unbind_pgtable(ioasid_fd, gva_ioasid));
	EXPECT_TRUE(dma_blocked_at(device_fd1, gpasid1, 0x7f0000002000ull,
				   IOASID_TEST_STAGE_1, 0));
	ASSERT_EQ(0, device_detach_pasid(device_fd1, gva_ioasid, gpasid1));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, gva_ioasid));
	EXPECT_TRUE(route_sees(device_fd2, NO_PASID, 0x2000,
			       "\x08\x08\x08\x08"));

	/* closing the descriptor ends the rest; nothing stays pinned */
	close(device_fd1);
	close(device_fd2);
	close(ioasid_fd);
	EXPECT_EQ(0, charged_pages());
	munmap(ram, ram_size);
}

/*
 * 5.7: the guest's PASID table lies in guest memory.  A child for dev1's
 * PASID space holds it, with dev1's default route; the guest's address
 * spaces behind its PASIDs are children of their own, attached with the
 * guest's PASIDs and bound so that the kernel knows who owns them, not
 * written into the PASID table, which the IOMMU reads as the guest wrote
 * it.  Entries and translations stay cached until the program relays the
 * guest's invalidations of both.
 */
TEST_F(scn, rfc_5_7_bind_pasid_table)
{
	const size_t ram_size = 1 << 20;
	const uint64_t gpa_pasid_table = 0x10000, giova_pgtable = 0x80000;
	const uint64_t gva_pgtable1 = 0x90000, gva_pgtable2 = 0xa0000;
	const uint64_t gva = 0x7f0000002000ull;
	const uint32_t gpasid1 = 5;
	long gpa_ioasid, pasidtbl_ioasid, gva_ioasid;
	struct s1_tables t0, t1, t2;
	uint64_t *pasid_table;
	int device_fd1, ioasid_fd;
	struct ioasid_info info;
	uint8_t *ram;

	REQ(REQ-NEST-PT-BIND, REQ-NEST-PT-OWNER, REQ-NEST-PT-INV,
	    REQ-NEST-PT-UNBIND, REQ-NEST-HW-BIND, REQ-NEST-INV,
	    REQ-NEST-HW-UNMAP-PARENT, REQ-INFO-FORMATS, REQ-TESTIF-FORMAT,
	    REQ-TESTIF-DMA-STAGE);
	if (!(testif_caps(self->testif) & IOASID_TEST_CAP_HW_NESTING))
		SKIP(return, "no test devices behind an IOMMU that nests");
	device_fd1 = testif_create_device_ex(self->testif, 0, 8,
					     IOASID_TEST_IOMMU_N, 0);
	ASSERT_LE(0, device_fd1);
	ioasid_fd = ioasid_open();
	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(1, device_bind(device_fd1, ioasid_fd));
	gpa_ioasid = ioasid_alloc_one(ioasid_fd);
	ASSERT_LE(1, gpa_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, gpa_ioasid));
	ram = guest_ram(ioasid_fd, gpa_ioasid, ram_size, giova_pgtable, 4, &t0);
	ASSERT_NE(NULL, ram);
	memset(ram + gpa_pasid_table, 0, PG);
	memset(ram + gva_pgtable1, 0, 8 * PG);
	pasid_table = (uint64_t *)(ram + gpa_pasid_table);
	t1 = t0;
	t1.mem = (uint64_t *)(ram + gva_pgtable1);
	t1.gpa = gva_pgtable1;
	t2 = t0;
	t2.mem = (uint64_t *)(ram + gva_pgtable2);
	t2.gpa = gva_pgtable2;
	ASSERT_EQ(0, ioasid_get_info(ioasid_fd, gpa_ioasid, &info));
	ASSERT_TRUE(info.out_pasid_formats &
		    1ull << IOASID_PASID_FORMAT_TEST);

	/* after boot: dev1's PASID space, with the guest's PASID table */
	pasidtbl_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, pasidtbl_ioasid);
	ASSERT_EQ(0, device_attach(device_fd1, pasidtbl_ioasid));
	ASSERT_EQ(0, pasid_table_bind(ioasid_fd, pasidtbl_ioasid,
				      gpa_pasid_table, 8));
	EXPECT_EQ(IOASID_INFO_NESTED | IOASID_INFO_PGTABLE |
		  IOASID_INFO_PASID_TABLE,
		  ioasid_info_flags(ioasid_fd, pasidtbl_ioasid));
	EXPECT_TRUE(dma_blocked_at(device_fd1, NO_PASID, 0x2000,
				   IOASID_TEST_STAGE_1, 0));
	EXPECT_TRUE(dma_blocked_at(device_fd1, gpasid1, gva,
				   IOASID_TEST_STAGE_1, 0));

	/* the guest's IOVA table for DMA without a PASID, in entry 0 */
	ASSERT_EQ(0, s1_map(&t0, 0x2000, 0x1000, S1_RW, 0));
	pasid_table[0] = PASID_ENTRY(giova_pgtable);
	EXPECT_TRUE(route_sees(device_fd1, NO_PASID, 0x2000,
			       "\x01\x01\x01\x01"));

	/* a process address space for gpasid1: the guest writes entry 5 */
	ASSERT_EQ(0, s1_map(&t1, gva, 0x6000, S1_RW, 0));
	pasid_table[gpasid1] = PASID_ENTRY(gva_pgtable1);
	/* the vIOMMU sees it: an IOASID to own gpasid1, bound to track it */
	gva_ioasid = ioasid_nest(ioasid_fd, gpa_ioasid);
	ASSERT_LE(1, gva_ioasid);
	ASSERT_EQ(0, device_attach_pasid(device_fd1, gva_ioasid, gpasid1));
	ASSERT_EQ(0, ioasid_bind_test(ioasid_fd, gva_ioasid, gva_pgtable1));
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, gva, "\x06\x06\x06\x06"));
	EXPECT_TRUE(route_sees(device_fd1, NO_PASID, 0x2000,
			       "\x01\x01\x01\x01"));

	/* the guest remaps its page; the IOTLB of its owner is invalidated */
	ASSERT_EQ(0, s1_map(&t1, gva, 0x7000, S1_RW, 0));
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, gva, "\x06\x06\x06\x06"));
	ASSERT_EQ(0, ioasid_inv_pasid(ioasid_fd, gva_ioasid, gpasid1));
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, gva, "\x07\x07\x07\x07"));

	/* the guest gives gpasid1 another table: entry, then IOTLB */
	memset(ram + gva_pgtable2, 0, 4 * PG);
	ASSERT_EQ(0, s1_map(&t2, gva, 0x8000, S1_RW, 0));
	pasid_table[gpasid1] = PASID_ENTRY(gva_pgtable2);
	ASSERT_EQ(0, ioasid_inv_pasid(ioasid_fd, gva_ioasid, gpasid1));
	/* the IOMMU still holds the old entry */
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, gva, "\x07\x07\x07\x07"));
	{
		struct ioasid_cache_inv inv[2] = {
			{ .flags = IOASID_INV_PASID, .type = IOASID_CACHE_PASID,
			  .pasid = gpasid1 },
			{ .flags = IOASID_INV_PASID, .type = IOASID_CACHE_IOTLB,
			  .pasid = gpasid1 },
		};
		uint32_t handled = 0;

		ASSERT_EQ(0, ioasid_invalidate(ioasid_fd, pasidtbl_ioasid, inv,
					       2, &handled));
		EXPECT_EQ(2, handled);
	}
	EXPECT_TRUE(route_sees(device_fd1, gpasid1, gva, "\x08\x08\x08\x08"));
	ASSERT_EQ(0, ioasid_unbind_pgtable(ioasid_fd, gva_ioasid));
	ASSERT_EQ(0, ioasid_bind_test(ioasid_fd, gva_ioasid, gva_pgtable2));
	EXPECT_TRUE(route_sees(device_fd1, NO_PASID, 0x2000,
			       "\x01\x01\x01\x01"));

	/* the program takes the PASID table's page away: stage 2 */
	EXPECT_EQ(PG, ioasid_unmap(ioasid_fd, gpa_ioasid, gpa_pasid_table,
				   PG));
	EXPECT_TRUE(dma_blocked_at(device_fd1, gpasid1, gva,
				   IOASID_TEST_STAGE_2,
				   gpa_pasid_table + gpasid1 * 8));
	EXPECT_TRUE(dma_blocked_at(device_fd1, NO_PASID, 0x2000,
				   IOASID_TEST_STAGE_2, gpa_pasid_table));

	/* the guest turns its vIOMMU off: the GPA space alone again */
	ASSERT_EQ(0, pasid_table_unbind(ioasid_fd, pasidtbl_ioasid));
	ASSERT_EQ(0, device_detach_pasid(device_fd1, gva_ioasid, gpasid1));
	ASSERT_EQ(0, device_detach(device_fd1, pasidtbl_ioasid));
	EXPECT_TRUE(route_sees(device_fd1, NO_PASID, 0x2000,
			       "\x02\x02\x02\x02"));
	EXPECT_TRUE(dma_blocked_at(device_fd1, gpasid1, gva,
				   IOASID_TEST_STAGE_NONE, 0));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, gva_ioasid));
	EXPECT_EQ(0, ioasid_free_one(ioasid_fd, pasidtbl_ioasid));
	close(device_fd1);
	close(ioasid_fd);
	EXPECT_EQ(0, charged_pages());
	munmap(ram, ram_size);
}

/*
 * One side of "two processes that share nothing": open /dev/ioasid and
 * the test interface, create and attach a device, map private memory
 * filled with @mine at IOVA 0x10000, then, in step with the other side
 * (one byte through the pipes at each barrier), DMA and check that only
 * its own memory is reached.  Runs in a process of its own; returns 0, or
 * the line of the first check that failed, which it also prints.  Uses no
 * harness assertion: the child runs it too.
 */
#define SIDE_IOVA	0x10000ull
#define CHECK(cond) do { if (!(cond)) { ret = __LINE__; goto out; } } while (0)

static bool bytes_all(const uint8_t *p, uint8_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool barrier(int rd, int wr, uint32_t send, uint32_t *recv)
{
	uint32_t got;

	if (write(wr, &send, sizeof(send)) != sizeof(send))
		return false;
	if (read(rd, &got, sizeof(got)) != sizeof(got))
		return false;
	if (recv)
		*recv = got;
	return true;
}

static int share_nothing_side(uint8_t mine, int rd, int wr,
			      uint32_t *my_id, uint32_t *their_id)
{
	int testif = -1, fd = -1, dev = -1, ret = 0;
	uint8_t *mem = test_memory(4 * PG, PG, mine);
	uint8_t data[64], mark = mine ^ 0xff;
	long id;

	CHECK(mem != MAP_FAILED);
	testif = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
	CHECK(testif >= 0);
	fd = ioasid_open();
	CHECK(fd >= 0);
	dev = testif_create_device(testif);
	CHECK(dev >= 0);
	CHECK(device_bind(dev, fd) >= 1);
	id = ioasid_alloc_one(fd);
	CHECK(id >= 1);
	*my_id = id;
	CHECK(device_attach(dev, id) == 0);
	CHECK(ioasid_map(fd, id, mem, SIDE_IOVA, 2 * PG, IOASID_DMA_RW) == 0);
	CHECK(ioasid_map(fd, id, mem + 2 * PG, SIDE_IOVA + 2 * PG, 2 * PG,
			 IOASID_DMA_RW) == 0);
	/* 1: both have mapped; exchange the IOASID numbers */
	CHECK(barrier(rd, wr, *my_id, their_id));
	CHECK(dma_read(dev, SIDE_IOVA + PG, data, sizeof(data)) ==
	      IOASID_TEST_DMA_OK);
	CHECK(bytes_all(data, mine, sizeof(data)));
	memset(data, mark, sizeof(data));
	CHECK(dma_write(dev, SIDE_IOVA, data, sizeof(data)) ==
	      IOASID_TEST_DMA_OK);
	/* 2: both have written */
	CHECK(barrier(rd, wr, 0, NULL));
	CHECK(bytes_all(mem, mark, sizeof(data)));
	CHECK(bytes_all(mem + sizeof(data), mine, 4 * PG - sizeof(data)));
	/* the other side may unmap everything; ours stays */
	CHECK(ioasid_unmap(fd, id, SIDE_IOVA + 2 * PG, 2 * PG) == 2 * PG);
	/* 3: both have unmapped half */
	CHECK(barrier(rd, wr, 0, NULL));
	CHECK(dma_read(dev, SIDE_IOVA + PG, data, sizeof(data)) ==
	      IOASID_TEST_DMA_OK);
	CHECK(bytes_all(data, mine, sizeof(data)));
	CHECK(dma_read(dev, SIDE_IOVA + 2 * PG, data, 1) ==
	      IOASID_TEST_DMA_NO_TRANSLATION);
	CHECK(ioasid_unmap_all(fd, id) == 2 * PG);
out:
	if (ret)
		ksft_print_msg("%s side: check at line %d failed\n",
			       mine == 0x9a ? "parent" : "child", ret);
	/* closing the pipe ends tells the other side when this one failed */
	close(wr);
	close(rd);
	if (dev >= 0)
		close(dev);
	if (fd >= 0)
		close(fd);
	if (testif >= 0)
		close(testif);
	return ret;
}

TEST_F(scn, two_processes_share_nothing)
{
	int to_child[2], to_parent[2], status;
	uint32_t parent_id = 0, child_seen = 0, unused = 0;
	pid_t child;
	int ret;

	REQ(REQ-DEV-OPEN, REQ-IOASID-LOCAL, REQ-MAP, REQ-UNMAP);
	/* a side that fails closes its pipes: the other one must not die */
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		uint32_t child_id = 0;

		close(to_child[1]);
		close(to_parent[0]);
		_exit(share_nothing_side(0xc1, to_child[0], to_parent[1],
					 &child_id, &unused) ? 1 : 0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	ret = share_nothing_side(0x9a, to_parent[0], to_child[1], &parent_id,
				 &child_seen);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, ret) TH_LOG("parent failed at line %d", ret);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* fresh descriptors: the same numbers name different address spaces */
	if (parent_id != child_seen)
		TH_LOG("the two descriptors used different numbers (%u, %u)",
		       parent_id, child_seen);
}

TEST_HARNESS_MAIN
