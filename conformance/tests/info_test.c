// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for IOASID_GET_INFO and for the state an IOASID is in
 * before and after its first attach: which commands it accepts, and what
 * it reports about its page table.
 *
 * The tests of the "ctx" fixture need only /dev/ioasid; those of the
 * "info" fixture need test devices from the conformance test interface
 * and are skipped without it.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ioasid_test.h"

#define PG	4096L
#define IOVA	0x100000ull

/* A range that the kernel must not write: every byte 0xa5. */
#define UNTOUCHED	0xa5a5a5a5a5a5a5a5ull

static bool range_untouched(const struct ioasid_iova_range *r)
{
	return r->start == UNTOUCHED && r->last == UNTOUCHED;
}

/* Every output field of @info is zero. */
static void expect_empty_info(struct __test_metadata *_metadata,
			      const struct ioasid_info *info)
{
	EXPECT_EQ(0, info->out_flags);
	EXPECT_EQ(0, info->out_routes);
	EXPECT_EQ(0, info->out_missing);
	EXPECT_EQ(0, info->out_addr_width);
	EXPECT_EQ(0, info->out_nesting);
	EXPECT_EQ(0, info->out_pgsize_bitmap);
	EXPECT_EQ(0, info->out_formats);
	EXPECT_EQ(0, info->num_ranges);
	EXPECT_EQ(0, info->num_reserved);
	EXPECT_EQ(0, info->out_parent);
	EXPECT_EQ(0, info->out_children);
	EXPECT_EQ(0, info->out_pasid_formats);
}

/* VmPin of this process in kB, relative to @base, in pages. */
#define charged_since(base) ((ioasid_pinned_kb() - (base)) * 1024 / PG)

FIXTURE(ctx) {
	int fd;
	long a;
};

FIXTURE_SETUP(ctx)
{
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
}

FIXTURE_TEARDOWN(ctx)
{
	close(self->fd);
}

TEST_F(ctx, info_before_the_first_attach_is_empty)
{
	struct ioasid_iova_range ranges[4], reserved[4];
	struct ioasid_info info;
	unsigned int i;

	REQ(REQ-INFO, REQ-INFO-EMPTY);
	memset(ranges, 0xa5, sizeof(ranges));
	memset(reserved, 0xa5, sizeof(reserved));
	memset(&info, 0xa5, sizeof(info));
	info.argsz = sizeof(info);
	info.flags = 0;
	info.ioasid = self->a;
	info.num_ranges = 4;
	info.num_reserved = 4;
	info.ranges = (uintptr_t)ranges;
	info.reserved = (uintptr_t)reserved;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_GET_INFO, &info));
	expect_empty_info(_metadata, &info);
	EXPECT_EQ(self->a, info.ioasid);
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(range_untouched(&ranges[i]));
		EXPECT_TRUE(range_untouched(&reserved[i]));
	}
	/* asking changes nothing: the same answer, and the IOASID is free */
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	expect_empty_info(_metadata, &info);
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
}

TEST_F(ctx, map_and_unmap_need_a_page_table)
{
	uint8_t *buf = test_memory(4 * PG, PG, 1);
	long locked = ioasid_pinned_kb();
	struct ioasid_info info;

	REQ(REQ-IOASID-NOCMD, REQ-ARG-NOCHANGE);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LE(0, locked);
	EXPECT_EQ(-ENXIO, ioasid_map(self->fd, self->a, buf, IOVA, 4 * PG,
				     IOASID_DMA_RW));
	EXPECT_EQ(-ENXIO, ioasid_map(self->fd, self->a, buf, 0, PG,
				     IOASID_DMA_READ));
	EXPECT_EQ(-ENXIO, ioasid_unmap(self->fd, self->a, IOVA, 4 * PG));
	EXPECT_EQ(-ENXIO, ioasid_unmap_all(self->fd, self->a));
	/* nothing was pinned or charged, and there is still no page table */
	EXPECT_EQ(0, charged_since(locked));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	expect_empty_info(_metadata, &info);
	/* with registered memory, too */
	ASSERT_EQ(0, ioasid_register(self->fd, buf, 4 * PG));
	EXPECT_EQ(-ENXIO, ioasid_map(self->fd, self->a, buf, IOVA, 4 * PG,
				     IOASID_DMA_RW));
	EXPECT_EQ(4, charged_since(locked));
	/* the registration is not in use by any mapping */
	EXPECT_EQ(0, ioasid_unregister(self->fd, buf, 4 * PG));
	EXPECT_EQ(0, charged_since(locked));
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
	munmap(buf, 4 * PG);
}

TEST_F(ctx, info_of_unknown_ioasids)
{
	int other = ioasid_open();
	struct ioasid_info info;
	long freed, theirs;

	REQ(REQ-IOASID-UNKNOWN, REQ-IOASID-LOCAL, REQ-INFO);
	ASSERT_LE(0, other);
	freed = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, freed);
	ASSERT_EQ(0, ioasid_free_one(self->fd, freed));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, 0, &info));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, freed, &info));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, 0x7fffffff, &info));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, 0x80000000u, &info));
	EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, 0xffffffffu, &info));
	/* a number another descriptor handed out */
	theirs = ioasid_alloc_one(other);
	ASSERT_LE(1, theirs);
	theirs = ioasid_alloc_one(other);
	ASSERT_LE(1, theirs);
	if (theirs != self->a) {
		EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, theirs, &info));
	}
	EXPECT_EQ(0, ioasid_get_info(other, theirs, &info));
	EXPECT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	close(other);
}

TEST_F(ctx, info_bad_arguments)
{
	struct ioasid_info valid = {
		.argsz = sizeof(valid),
		.ioasid = self->a,
	};
	struct ioasid_info info;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE, REQ-INFO);
	ASSERT_EQ(88, sizeof(valid));
	check_bad_args_min(_metadata, self->fd, IOASID_GET_INFO, &valid,
			   sizeof(valid), 72, 0, NO_RESERVED);
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	expect_empty_info(_metadata, &info);
}

TEST_F(ctx, info_result_that_cannot_be_written)
{
	struct ioasid_info *arg;
	void *page;

	REQ(REQ-ARG-FAULT, REQ-INFO);
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	arg = page;
	arg->argsz = sizeof(*arg);
	arg->ioasid = self->a;
	ASSERT_EQ(0, mprotect(page, PG, PROT_READ));
	EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_GET_INFO, arg));
	munmap(page, PG);
	EXPECT_EQ(0, ioasid_info_flags(self->fd, self->a));
}

/* Devices from the test interface. */
FIXTURE(info) {
	int testif;
	int fd;
	int dev;	/* class A, PASID width 4, bound */
	int devb;	/* class B, bound */
	long a, b;
};

FIXTURE_SETUP(info)
{
	const char *why = NULL;

	self->fd = self->dev = self->devb = -1;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_device_ex(self->testif, 0, 4,
					    IOASID_TEST_IOMMU_A, 0);
	ASSERT_LE(0, self->dev);
	self->devb = testif_create_class_device(self->testif,
						IOASID_TEST_IOMMU_B);
	ASSERT_LE(0, self->devb);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	ASSERT_LE(1, device_bind(self->devb, self->fd));
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
}

FIXTURE_TEARDOWN(info)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->devb >= 0)
		close(self->devb);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
}

/*
 * The complete answer of IOASID_GET_INFO for an IOASID whose page table an
 * IOMMU of @iommu_class made, with @routes routes attached and the group
 * rule met.
 */
static void expect_class_info(struct __test_metadata *_metadata, int fd,
			      uint32_t ioasid, uint32_t iommu_class,
			      uint32_t routes)
{
	const struct mock_iommu *m = mock_iommu(iommu_class);
	const uint64_t top = (1ull << m->addr_width) - 1;
	struct ioasid_iova_range ranges[4], reserved[4];
	struct ioasid_info info;
	unsigned int i;

	memset(ranges, 0xa5, sizeof(ranges));
	memset(reserved, 0xa5, sizeof(reserved));
	ASSERT_EQ(0, ioasid_get_info_ranges(fd, ioasid, &info, ranges, 4,
					    reserved, 4));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(routes, info.out_routes);
	EXPECT_EQ(0, info.out_missing);
	EXPECT_EQ(m->addr_width, info.out_addr_width);
	EXPECT_EQ(IOASID_NESTING_SW, info.out_nesting);
	EXPECT_EQ(m->pgsize_bitmap, info.out_pgsize_bitmap);
	EXPECT_EQ(0, info.out_formats);
	EXPECT_EQ(0, info.out_parent);
	EXPECT_EQ(0, info.out_children);
	/* below the reserved window, and above it up to the width */
	ASSERT_EQ(2, info.num_ranges);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(MOCK_RESV_START - 1, ranges[0].last);
	EXPECT_EQ(MOCK_RESV_LAST + 1, ranges[1].start);
	EXPECT_EQ(top, ranges[1].last);
	ASSERT_EQ(1, info.num_reserved);
	EXPECT_EQ(MOCK_RESV_START, reserved[0].start);
	EXPECT_EQ(MOCK_RESV_LAST, reserved[0].last);
	for (i = 2; i < 4; i++) {
		EXPECT_TRUE(range_untouched(&ranges[i]));
	}
	for (i = 1; i < 4; i++) {
		EXPECT_TRUE(range_untouched(&reserved[i]));
	}
}

TEST_F(info, info_reports_the_iommu_of_class_a)
{
	REQ(REQ-INFO, REQ-INFO-RANGES, REQ-INFO-ROUTES, REQ-ATTACH-PGTABLE,
	    REQ-TESTIF-DEVICE-PROPS);
	ASSERT_EQ(0, ioasid_info_flags(self->fd, self->a));
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	expect_class_info(_metadata, self->fd, self->a, IOASID_TEST_IOMMU_A, 1);
	/* the other IOASID is still without a page table */
	EXPECT_EQ(0, ioasid_info_flags(self->fd, self->b));
}

TEST_F(info, info_reports_the_iommu_of_class_b)
{
	REQ(REQ-INFO, REQ-INFO-RANGES, REQ-INFO-ROUTES, REQ-ATTACH-PGTABLE,
	    REQ-TESTIF-DEVICE-PROPS);
	ASSERT_EQ(0, device_attach(self->devb, self->b));
	expect_class_info(_metadata, self->fd, self->b, IOASID_TEST_IOMMU_B, 1);
	EXPECT_EQ(0, ioasid_info_flags(self->fd, self->a));
}

/*
 * Without hardware nesting, out_formats and out_pasid_formats read 0 in
 * every state, whatever the caller left in them: before the first attach,
 * and behind either class of mock IOMMU that nests in software; the
 * nesting outputs are written whatever the caller left in them too.
 * (Class N's formats are checked in nesting_hw_test and
 * nesting_pasid_test.)
 */
TEST_F(info, the_formats_field_reads_zero_without_hardware_nesting)
{
	struct ioasid_info info;
	uint32_t ids[2] = { self->a, self->b };
	int devs[2] = { self->dev, self->devb };
	int step, i;

	REQ(REQ-INFO-FORMATS, REQ-INFO-NESTING, REQ-INFO);
	for (step = 0; step < 2; step++) {
		for (i = 0; i < 2; i++) {
			if (step)
				ASSERT_EQ(0, device_attach(devs[i], ids[i]));
			memset(&info, 0xff, sizeof(info));
			info.argsz = sizeof(info);
			info.flags = 0;
			info.ioasid = ids[i];
			info.num_ranges = 0;
			info.num_reserved = 0;
			info.ranges = 0;
			info.reserved = 0;
			ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_GET_INFO,
						  &info));
			EXPECT_EQ(step ? IOASID_NESTING_SW : 0,
				  info.out_nesting);
			EXPECT_EQ(0, info.out_formats);
			EXPECT_EQ(0, info.out_pasid_formats);
			EXPECT_EQ(0, info.out_parent);
			EXPECT_EQ(0, info.out_children);
		}
	}
}

TEST_F(info, ranges_are_copied_as_far_as_there_is_room)
{
	struct ioasid_iova_range ranges[2], reserved[2];
	struct ioasid_info info;

	REQ(REQ-INFO-RANGES);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	/* no room: only the counts */
	ASSERT_EQ(0, ioasid_get_info_ranges(self->fd, self->a, &info, NULL, 0,
					    NULL, 0));
	EXPECT_EQ(2, info.num_ranges);
	EXPECT_EQ(1, info.num_reserved);
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	/* room for one permitted range: the first one */
	memset(ranges, 0xa5, sizeof(ranges));
	memset(reserved, 0xa5, sizeof(reserved));
	ASSERT_EQ(0, ioasid_get_info_ranges(self->fd, self->a, &info, ranges, 1,
					    reserved, 0));
	EXPECT_EQ(2, info.num_ranges);
	EXPECT_EQ(1, info.num_reserved);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(MOCK_RESV_START - 1, ranges[0].last);
	EXPECT_TRUE(range_untouched(&ranges[1]));
	EXPECT_TRUE(range_untouched(&reserved[0]));
	/* room for the reserved range only */
	memset(ranges, 0xa5, sizeof(ranges));
	ASSERT_EQ(0, ioasid_get_info_ranges(self->fd, self->a, &info, ranges, 0,
					    reserved, 2));
	EXPECT_EQ(2, info.num_ranges);
	EXPECT_EQ(1, info.num_reserved);
	EXPECT_TRUE(range_untouched(&ranges[0]));
	EXPECT_EQ(MOCK_RESV_START, reserved[0].start);
	EXPECT_EQ(MOCK_RESV_LAST, reserved[0].last);
	EXPECT_TRUE(range_untouched(&reserved[1]));
}

TEST_F(info, ranges_that_cannot_be_written)
{
	struct ioasid_iova_range *ro, *edge;
	struct ioasid_iova_range ok[2];
	struct ioasid_info info;
	uint8_t *two;

	REQ(REQ-INFO-RANGES, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  NULL, 2, NULL, 0));
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  ro, 2, ok, 1));
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  ok, 2, NULL, 1));
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  ok, 2, ro, 1));
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  ok, 2, (void *)-16ul, 1));
	/* an array whose second entry lies in an inaccessible page */
	two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + PG, PG, PROT_NONE));
	edge = (void *)(two + PG - sizeof(*edge));
	EXPECT_EQ(-EFAULT, ioasid_get_info_ranges(self->fd, self->a, &info,
						  edge, 2, NULL, 0));
	/* with room for one entry only, the same array is fine */
	EXPECT_EQ(0, ioasid_get_info_ranges(self->fd, self->a, &info,
					    edge, 1, NULL, 0));
	EXPECT_EQ(MOCK_RESV_START - 1, edge->last);
	munmap(two, 2 * PG);
	munmap(ro, PG);
	/* the IOASID is as it was */
	expect_class_info(_metadata, self->fd, self->a, IOASID_TEST_IOMMU_A, 1);
}

TEST_F(info, routes_are_counted)
{
	int plain = testif_create_device(self->testif);
	struct ioasid_info info;

	REQ(REQ-INFO-ROUTES, REQ-INFO);
	ASSERT_LE(0, plain);
	ASSERT_LE(1, device_bind(plain, self->fd));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, 1));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(1, info.out_routes);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, 2));
	ASSERT_EQ(0, device_attach(plain, self->a));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(4, info.out_routes);
	EXPECT_EQ(0, info.out_missing);
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	/* a route of this device on another IOASID does not count here */
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->b, 3));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(4, info.out_routes);
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->b, &info));
	EXPECT_EQ(1, info.out_routes);
	ASSERT_EQ(0, device_detach_pasid(self->dev, self->a, 1));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(3, info.out_routes);
	/* unbinding detaches the device's routes */
	ASSERT_EQ(0, device_unbind(self->dev));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(1, info.out_routes);
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->b, &info));
	EXPECT_EQ(0, info.out_routes);
	ASSERT_EQ(0, close(plain));
	expect_class_info(_metadata, self->fd, self->a, IOASID_TEST_IOMMU_A, 0);
}

TEST_F(info, the_page_table_outlives_the_devices)
{
	uint8_t *buf = test_memory(4 * PG, PG, 2);

	REQ(REQ-IOASID-NOCMD, REQ-INFO, REQ-ATTACH-PGTABLE);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, buf, IOVA, 2 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, device_detach(self->dev, self->a));
	/* no route left, and still the same page table */
	expect_class_info(_metadata, self->fd, self->a, IOASID_TEST_IOMMU_A, 0);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, buf + 2 * PG, IOVA + 2 * PG,
				2 * PG, IOASID_DMA_RW));
	/* also when the device is gone */
	ASSERT_EQ(0, close(self->dev));
	self->dev = -1;
	expect_class_info(_metadata, self->fd, self->a, IOASID_TEST_IOMMU_A, 0);
	EXPECT_EQ(-EEXIST, ioasid_map(self->fd, self->a, buf, IOVA, PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	/* until it is freed */
	ASSERT_EQ(0, ioasid_free_one(self->fd, self->a));
	EXPECT_EQ(-ENOENT, ioasid_info_flags(self->fd, self->a));
	munmap(buf, 4 * PG);
}

TEST_F(info, a_failed_attach_makes_no_page_table)
{
	int unbound = testif_create_device(self->testif);
	long c = ioasid_alloc_one(self->fd);
	struct ioasid_info info;

	REQ(REQ-ATTACH-PGTABLE, REQ-IOASID-NOCMD, REQ-ARG-NOCHANGE);
	ASSERT_LE(0, unbound);
	ASSERT_LE(1, c);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	/* the route is attached elsewhere */
	EXPECT_EQ(-EBUSY, device_attach(self->dev, c));
	/* a PASID beyond the device's width, or a bad flag combination */
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev, c, 16));
	EXPECT_EQ(-EINVAL, device_route(self->dev, IOASID_DEVICE_ATTACH, c, 0,
					1));
	/* a device that is not bound */
	EXPECT_EQ(-EINVAL, device_attach(unbound, c));
	ASSERT_EQ(0, ioasid_get_info(self->fd, c, &info));
	expect_empty_info(_metadata, &info);
	EXPECT_EQ(-ENXIO, ioasid_unmap_all(self->fd, c));
	/* its first successful attach decides: class B here */
	ASSERT_EQ(0, device_attach(self->devb, c));
	expect_class_info(_metadata, self->fd, c, IOASID_TEST_IOMMU_B, 1);
	close(unbound);
}

TEST_HARNESS_MAIN
