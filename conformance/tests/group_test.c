// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for the rules that decide which devices may share an
 * IOASID: IOMMU groups (an IOASID with part of a group attached refuses new
 * mappings, but still removes them) and the compatibility of the IOMMU behind a
 * device with the one that made the IOASID's page table.  Also the
 * properties a test device is created with.  The devices come from the
 * conformance test interface; without it every test here is skipped.
 */
#include <stddef.h>

#include "ioasid_test.h"

#define PG	4096L
#define IOVA	0x100000ull

FIXTURE(grp) {
	int testif;
	int fd;
	long a, b;
	uint8_t *buf;		/* 8 pages */
	long locked;
};

FIXTURE_SETUP(grp)
{
	const char *why = NULL;

	self->fd = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
	self->buf = test_memory(8 * PG, PG, 0x42);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->locked = ioasid_pinned_kb();
	ASSERT_LE(0, self->locked);
}

FIXTURE_TEARDOWN(grp)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 8 * PG);
}

#define charged_pages() \
	((ioasid_pinned_kb() - self->locked) * 1024 / PG)

/*
 * A new class A device with PASID width @pasid_bits, in the group of
 * @group (or a group of its own when @group is -1), bound to @fd.
 */
static int bound_device(struct __test_metadata *_metadata, int testif, int fd,
			int group, uint32_t pasid_bits)
{
	int dev;

	if (group < 0)
		dev = testif_create_device_ex(testif, 0, pasid_bits,
					      IOASID_TEST_IOMMU_A, 0);
	else
		dev = testif_create_group_device(testif, IOASID_TEST_IOMMU_A,
						 pasid_bits, group);
	EXPECT_LE(0, dev);
	if (dev >= 0) {
		EXPECT_LE(1, device_bind(dev, fd));
	}
	return dev;
}

/*
 * Whether @ioasid accepts a new mapping now: 0 when it does (the probe's
 * mapping of the last page of the fixture's buffer, at an IOVA no test
 * uses, is removed again), or the error, -EPERM for a partial IOASID.
 */
#define PROBE_IOVA	0x40000000ull
#define map_probe(ioasid) ({						\
	long __r = ioasid_map(self->fd, ioasid, self->buf + 7 * PG,	\
			      PROBE_IOVA, PG, IOASID_DMA_RW);		\
	if (!__r)							\
		EXPECT_EQ(PG, ioasid_unmap(self->fd, ioasid,		\
					   PROBE_IOVA, PG));		\
	__r;								\
})

/*
 * Check the group state of @ioasid: out_missing is @missing, PARTIAL is set
 * exactly when it is not 0, and the IOASID has its page table.
 */
#define EXPECT_GROUP_STATE(ioasid, routes, missing) do {		\
	struct ioasid_info __i;						\
									\
	ASSERT_EQ(0, ioasid_get_info(self->fd, ioasid, &__i));		\
	EXPECT_EQ(routes, __i.out_routes);				\
	EXPECT_EQ(missing, __i.out_missing);				\
	EXPECT_EQ((missing) ? IOASID_INFO_PARTIAL : 0,			\
		  __i.out_flags & IOASID_INFO_PARTIAL);			\
	EXPECT_TRUE(__i.out_flags & IOASID_INFO_PGTABLE);		\
} while (0)

TEST_F(grp, partial_until_the_whole_group_is_attached)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int d2 = bound_device(_metadata, self->testif, self->fd, d1, 0);
	int d3 = bound_device(_metadata, self->testif, self->fd, d1, 0);

	REQ(REQ-GROUP, REQ-INFO-ROUTES, REQ-INFO, REQ-TESTIF-DEVICE-PROPS);
	ASSERT_LE(0, d3);
	ASSERT_EQ(0, device_attach(d1, self->a));
	EXPECT_GROUP_STATE(self->a, 1, 2);
	ASSERT_EQ(0, device_attach(d3, self->a));
	EXPECT_GROUP_STATE(self->a, 2, 1);
	ASSERT_EQ(0, device_attach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 3, 0);
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, self->a));
	/* a detach makes it partial again */
	ASSERT_EQ(0, device_detach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 2, 1);
	/* and so does the detach of all but one */
	ASSERT_EQ(0, device_detach(d3, self->a));
	EXPECT_GROUP_STATE(self->a, 1, 2);
	/* with none of the group attached, the rule is met */
	ASSERT_EQ(0, device_detach(d1, self->a));
	EXPECT_GROUP_STATE(self->a, 0, 0);
	close(d1);
	close(d2);
	close(d3);
}

TEST_F(grp, a_partial_ioasid_refuses_map_but_unmaps)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int d2 = bound_device(_metadata, self->testif, self->fd, d1, 0);
	uint8_t page[PG];

	REQ(REQ-MAP-PARTIAL, REQ-UNMAP-PARTIAL, REQ-GROUP, REQ-ARG-NOCHANGE);
	ASSERT_LE(0, d2);
	/* the first device of the group: partial at once */
	ASSERT_EQ(0, device_attach(d1, self->a));
	EXPECT_EQ(-EPERM, ioasid_map(self->fd, self->a, self->buf, IOVA,
				     2 * PG, IOASID_DMA_RW));
	/* removing nothing is allowed, and the refused map made nothing */
	EXPECT_EQ(0, ioasid_unmap(self->fd, self->a, IOVA, 2 * PG));
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(0, charged_pages());
	/* complete: it maps */
	ASSERT_EQ(0, device_attach(d2, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, 4 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 4 * PG,
				IOVA + 4 * PG, 2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(6, charged_pages());
	/* partial again: no new mapping, but the old ones still work */
	ASSERT_EQ(0, device_detach(d2, self->a));
	EXPECT_EQ(-EPERM, ioasid_map(self->fd, self->a, self->buf + 6 * PG,
				     IOVA + 6 * PG, PG, IOASID_DMA_RW));
	EXPECT_EQ(6, charged_pages());
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_read(d1, IOVA + 5 * PG, page, PG));
	EXPECT_EQ(0x42, page[0]);
	/* and they can be removed, one at a time and all at once */
	EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, IOVA + 4 * PG,
				       2 * PG));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_read(d1, IOVA + 5 * PG, page, PG));
	EXPECT_EQ(4, charged_pages());
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_read(d1, IOVA, page, PG));
	EXPECT_EQ(0, charged_pages());
	/* with the group detached entirely the IOASID maps again */
	ASSERT_EQ(0, device_detach(d1, self->a));
	EXPECT_EQ(0, map_probe(self->a));
	close(d1);
	close(d2);
}

TEST_F(grp, pasid_routes_do_not_count)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 4);
	int d2 = bound_device(_metadata, self->testif, self->fd, d1, 4);

	REQ(REQ-GROUP, REQ-INFO-ROUTES);
	ASSERT_LE(0, d2);
	ASSERT_EQ(0, device_attach_pasid(d1, self->a, 1));
	ASSERT_EQ(0, device_attach_pasid(d1, self->a, 2));
	EXPECT_GROUP_STATE(self->a, 2, 0);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	/* a default route does count */
	ASSERT_EQ(0, device_attach(d1, self->a));
	EXPECT_GROUP_STATE(self->a, 3, 1);
	ASSERT_EQ(0, device_attach_pasid(d2, self->a, 1));
	EXPECT_GROUP_STATE(self->a, 4, 1);
	EXPECT_EQ(-EPERM, map_probe(self->a));
	ASSERT_EQ(0, device_attach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 5, 0);
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	close(d1);
	close(d2);
}

TEST_F(grp, missing_devices_add_up_over_groups)
{
	int g1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int g1b = bound_device(_metadata, self->testif, self->fd, g1, 0);
	int g2 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int g2b = bound_device(_metadata, self->testif, self->fd, g2, 0);
	int g2c = bound_device(_metadata, self->testif, self->fd, g2, 0);
	int alone = bound_device(_metadata, self->testif, self->fd, -1, 0);

	REQ(REQ-GROUP, REQ-INFO-ROUTES);
	ASSERT_LE(0, alone);
	ASSERT_EQ(0, device_attach(alone, self->a));
	EXPECT_GROUP_STATE(self->a, 1, 0);
	ASSERT_EQ(0, device_attach(g1, self->a));
	ASSERT_EQ(0, device_attach(g2c, self->a));
	EXPECT_GROUP_STATE(self->a, 3, 3);
	ASSERT_EQ(0, device_attach(g1b, self->a));
	EXPECT_GROUP_STATE(self->a, 4, 2);
	ASSERT_EQ(0, device_attach(g2, self->a));
	EXPECT_GROUP_STATE(self->a, 5, 1);
	ASSERT_EQ(0, device_attach(g2b, self->a));
	EXPECT_GROUP_STATE(self->a, 6, 0);
	close(g1);
	close(g1b);
	close(g2);
	close(g2b);
	close(g2c);
	close(alone);
}

TEST_F(grp, a_group_split_over_two_ioasids)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int d2 = bound_device(_metadata, self->testif, self->fd, d1, 0);

	REQ(REQ-GROUP, REQ-MAP-PARTIAL);
	ASSERT_LE(0, d2);
	ASSERT_EQ(0, device_attach(d1, self->a));
	ASSERT_EQ(0, device_attach(d2, self->b));
	EXPECT_GROUP_STATE(self->a, 1, 1);
	EXPECT_GROUP_STATE(self->b, 1, 1);
	EXPECT_EQ(-EPERM, map_probe(self->a));
	EXPECT_EQ(-EPERM, map_probe(self->b));
	/* moving d2 next to d1 completes a and empties b of the group */
	ASSERT_EQ(0, device_detach(d2, self->b));
	ASSERT_EQ(0, device_attach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 2, 0);
	EXPECT_GROUP_STATE(self->b, 0, 0);
	EXPECT_EQ(0, map_probe(self->a));
	EXPECT_EQ(0, map_probe(self->b));
	close(d1);
	close(d2);
}

TEST_F(grp, a_device_that_joins_makes_the_group_partial)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int d2;

	REQ(REQ-GROUP, REQ-MAP-PARTIAL, REQ-TESTIF-DEVICE-PROPS);
	ASSERT_LE(0, d1);
	ASSERT_EQ(0, device_attach(d1, self->a));
	EXPECT_GROUP_STATE(self->a, 1, 0);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	/* hotplug: a new device in d1's group, not even bound yet */
	d2 = testif_create_group_device(self->testif, IOASID_TEST_IOMMU_A, 0,
					d1);
	ASSERT_LE(0, d2);
	EXPECT_GROUP_STATE(self->a, 1, 1);
	EXPECT_EQ(-EPERM, map_probe(self->a));
	ASSERT_LE(1, device_bind(d2, self->fd));
	ASSERT_EQ(0, device_attach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 2, 0);
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	close(d1);
	close(d2);
}

TEST_F(grp, a_device_that_goes_leaves_the_group)
{
	int d1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int d2 = bound_device(_metadata, self->testif, self->fd, d1, 0);
	int d3 = bound_device(_metadata, self->testif, self->fd, d1, 0);

	REQ(REQ-GROUP, REQ-UNBIND-DETACHES);
	ASSERT_LE(0, d3);
	ASSERT_EQ(0, device_attach(d1, self->a));
	ASSERT_EQ(0, device_attach(d2, self->a));
	EXPECT_GROUP_STATE(self->a, 2, 1);
	/* the missing device is closed: the group is complete */
	ASSERT_EQ(0, close(d3));
	EXPECT_GROUP_STATE(self->a, 2, 0);
	EXPECT_EQ(0, map_probe(self->a));
	/* unbinding an attached member detaches it: partial */
	ASSERT_EQ(0, device_unbind(d2));
	EXPECT_GROUP_STATE(self->a, 1, 1);
	EXPECT_EQ(-EPERM, map_probe(self->a));
	/* closing it, too, leaves d1 alone in its group */
	ASSERT_EQ(0, close(d2));
	EXPECT_GROUP_STATE(self->a, 1, 0);
	EXPECT_EQ(0, map_probe(self->a));
	close(d1);
}

TEST_F(grp, create_device_with_bad_properties)
{
	struct ioasid_test_create_device arg;
	int a = testif_create_class_device(self->testif, IOASID_TEST_IOMMU_A);
	int b = testif_create_class_device(self->testif, IOASID_TEST_IOMMU_B);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int next, closed;

	REQ(REQ-TESTIF-DEVICE-PROPS, REQ-ARG-NOCHANGE);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, null);
	ASSERT_LE(1, device_bind(a, self->fd));
	ASSERT_EQ(0, device_attach(a, self->a));
	/* a descriptor number that is not open */
	closed = dup(null);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, close(closed));
	next = closed;		/* the lowest free descriptor number */

	EXPECT_EQ(-EINVAL, testif_create_device_ex(self->testif, 0, 0,
						   IOASID_TEST_IOMMU_N + 1, 0));
	EXPECT_EQ(-EINVAL, testif_create_device_ex(self->testif, 0, 0,
						   0xffffffffu, 0));
	/* group_fd without IOASID_TEST_DEVICE_GROUP */
	EXPECT_EQ(-EINVAL, testif_create_device_ex(self->testif, 0, 0,
						   IOASID_TEST_IOMMU_A, a));
	/* not a test device, or one of another class */
	EXPECT_EQ(-EINVAL, testif_create_group_device(self->testif,
						      IOASID_TEST_IOMMU_A, 0,
						      null));
	EXPECT_EQ(-EINVAL, testif_create_group_device(self->testif,
						      IOASID_TEST_IOMMU_A, 0,
						      self->testif));
	EXPECT_EQ(-EINVAL, testif_create_group_device(self->testif,
						      IOASID_TEST_IOMMU_A, 0,
						      self->fd));
	EXPECT_EQ(-EINVAL, testif_create_group_device(self->testif,
						      IOASID_TEST_IOMMU_B, 0,
						      a));
	EXPECT_EQ(-EINVAL, testif_create_group_device(self->testif,
						      IOASID_TEST_IOMMU_A, 0,
						      b));
	/* not open */
	EXPECT_EQ(-EBADF, testif_create_group_device(self->testif,
						     IOASID_TEST_IOMMU_A, 0,
						     -1));
	EXPECT_EQ(-EBADF, testif_create_group_device(self->testif,
						     IOASID_TEST_IOMMU_A, 0,
						     closed));
	/* the argument as a whole: a reserved field */
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	arg.__reserved2 = 1;
	EXPECT_EQ(-EINVAL, ioasid_ioctl(self->testif, IOASID_TEST_CREATE_DEVICE,
					&arg));
	/* no descriptor was installed and no device joined a's group */
	closed = dup(null);
	EXPECT_EQ(next, closed);
	close(closed);
	EXPECT_GROUP_STATE(self->a, 1, 0);
	EXPECT_EQ(0, map_probe(self->a));
	/* the valid form works, and the member counts */
	closed = testif_create_group_device(self->testif, IOASID_TEST_IOMMU_A,
					    0, a);
	ASSERT_LE(0, closed);
	EXPECT_GROUP_STATE(self->a, 1, 1);
	close(closed);
	close(null);
	close(a);
	close(b);
}

TEST_F(grp, incompatible_iommus_cannot_share_an_ioasid)
{
	int a1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int a2 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int b1 = testif_create_device_ex(self->testif, 0, 4,
					 IOASID_TEST_IOMMU_B, 0);
	struct ioasid_info info;

	REQ(REQ-ATTACH-COMPAT, REQ-ARG-NOCHANGE, REQ-TESTIF-DEVICE-PROPS);
	ASSERT_LE(0, a2);
	ASSERT_LE(0, b1);
	ASSERT_LE(1, device_bind(b1, self->fd));
	ASSERT_EQ(0, device_attach(a1, self->a));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, IOVA, PG,
				IOASID_DMA_RW));
	EXPECT_EQ(-EMEDIUMTYPE, device_attach(b1, self->a));
	EXPECT_EQ(-EMEDIUMTYPE, device_attach_pasid(b1, self->a, 3));
	/* nothing changed: a has one route and class A's properties */
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(1, info.out_routes);
	EXPECT_EQ(mock_iommu(IOASID_TEST_IOMMU_A)->pgsize_bitmap,
		  info.out_pgsize_bitmap);
	EXPECT_EQ(48, info.out_addr_width);
	/* b1's routes are free: it may go to another IOASID */
	EXPECT_EQ(-ENOENT, device_detach(b1, self->a));
	ASSERT_EQ(0, device_attach(b1, self->b));
	ASSERT_EQ(0, device_attach_pasid(b1, self->b, 3));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->b, &info));
	EXPECT_EQ(2, info.out_routes);
	EXPECT_EQ(39, info.out_addr_width);
	/* and no class A device may join b */
	EXPECT_EQ(-EMEDIUMTYPE, device_attach(a2, self->b));
	/* a device of the same class is compatible */
	ASSERT_EQ(0, device_attach(a2, self->a));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(2, info.out_routes);
	EXPECT_EQ(PG, ioasid_unmap_all(self->fd, self->a));
	close(a1);
	close(a2);
	close(b1);
}

TEST_F(grp, the_page_table_keeps_its_kind_without_devices)
{
	int a1 = bound_device(_metadata, self->testif, self->fd, -1, 0);
	int b1 = testif_create_class_device(self->testif, IOASID_TEST_IOMMU_B);
	struct ioasid_info info;

	REQ(REQ-ATTACH-COMPAT, REQ-IOASID-NOCMD);
	ASSERT_LE(0, a1);
	ASSERT_LE(0, b1);
	ASSERT_LE(1, device_bind(b1, self->fd));
	ASSERT_EQ(0, device_attach(a1, self->a));
	ASSERT_EQ(0, device_detach(a1, self->a));
	ASSERT_EQ(0, close(a1));
	/* no device left, and the page table is still class A's */
	EXPECT_EQ(-EMEDIUMTYPE, device_attach(b1, self->a));
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(0, info.out_routes);
	EXPECT_EQ(48, info.out_addr_width);
	/* a fresh IOASID takes the kind of its first device */
	ASSERT_EQ(0, device_attach(b1, self->b));
	close(b1);
}

TEST_HARNESS_MAIN
