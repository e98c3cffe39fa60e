// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for nesting: IOASID_CREATE_NESTING, what
 * IOASID_GET_INFO reports about parents and children, the rules for
 * attaching devices to a child, and software nesting, where the kernel
 * builds a child's mappings from its parent's.
 *
 * The "ctx" fixture needs only /dev/ioasid; the "nest" fixture needs test
 * devices that issue DMA (conformance test interface, capabilities DEVICE
 * and DMA) and is skipped without them.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ioasid_test.h"

#define PG		TEST_PAGE
#define GPA(i)		(0x100000ull + (uint64_t)(i) * PG)
#define GIOVA(i)	(0x40000000ull + (uint64_t)(i) * PG)
#define RAM_PAGES	16

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

TEST_F(ctx, a_parent_needs_a_page_table)
{
	struct ioasid_info info;
	long next;

	REQ(REQ-NEST-CREATE-STATE, REQ-IOASID-UNKNOWN, REQ-ARG-NOCHANGE);
	EXPECT_EQ(-ENXIO, ioasid_nest(self->fd, self->a));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, self->a + 1));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, 0));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, 0x7fffffff));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, 0xffffffff));
	/* nothing was made: no child, and no number was used up */
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(0, info.out_children);
	EXPECT_EQ(0, info.out_nesting);
	next = ioasid_alloc_one(self->fd);
	EXPECT_EQ(self->a + 1, next);
}

TEST_F(ctx, create_nesting_bad_arguments)
{
	struct ioasid_create_nesting valid = {
		.argsz = sizeof(valid),
		.parent = self->a,
	};
	struct ioasid_info info;

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	ASSERT_EQ(16, sizeof(valid));
	check_bad_args(_metadata, self->fd, IOASID_CREATE_NESTING, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->a, &info));
	EXPECT_EQ(0, info.out_children);
	EXPECT_EQ(self->a + 1, ioasid_alloc_one(self->fd));
}

/*
 * The test devices every "nest" test uses: dev1 and dev2 (class A, PASID
 * width 4) bound to fd, dev1's default route attached to the parent "gpa";
 * guest memory "ram" of RAM_PAGES distinct pages, mapped by the tests.
 */
FIXTURE(nest) {
	int testif;
	int fd;
	int dev1, dev2;
	long gpa;
	uint8_t *ram;
	uint64_t caps;
};

FIXTURE_SETUP(nest)
{
	const char *why = NULL;

	self->fd = self->dev1 = self->dev2 = -1;
	self->ram = MAP_FAILED;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA,
				   &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, testif_attached_device(self->testif, self->fd, 4,
					    &self->dev1, &self->gpa));
	self->dev2 = testif_create_pasid_device(self->testif, 4);
	ASSERT_LE(0, self->dev2);
	ASSERT_LE(1, device_bind(self->dev2, self->fd));
	self->ram = test_memory(RAM_PAGES * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	fill_pages(self->ram, RAM_PAGES, 0x6e657374);
}

FIXTURE_TEARDOWN(nest)
{
	if (self->dev2 >= 0)
		close(self->dev2);
	if (self->dev1 >= 0)
		close(self->dev1);
	if (self->fd >= 0)
		close(self->fd);
	if (self->ram != MAP_FAILED)
		munmap(self->ram, RAM_PAGES * PG);
	if (self->testif >= 0)
		close(self->testif);
}

/* Map the @n pages of ram from page @page at GPA(@gpa_page) in the parent. */
#define map_ram(page, n, gpa_page, prot) \
	ioasid_map(self->fd, self->gpa, self->ram + (page) * PG, \
		   GPA(gpa_page), (n) * PG, prot)

/* The page of ram at @page. */
#define RAM(page)	(self->ram + (page) * PG)

static void expect_child_info(struct __test_metadata *_metadata, int fd,
			      long child, long parent, uint32_t routes)
{
	const struct mock_iommu *m = mock_iommu(IOASID_TEST_IOMMU_A);
	struct ioasid_iova_range ranges[4], reserved[4];
	struct ioasid_info info;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioasid_get_info_ranges(fd, child, &info, ranges, 4,
					    reserved, 4));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA |
		  IOASID_INFO_NESTED, info.out_flags);
	EXPECT_EQ(parent, info.out_parent);
	EXPECT_EQ(0, info.out_children);
	EXPECT_EQ(0, info.out_nesting);
	EXPECT_EQ(routes, info.out_routes);
	EXPECT_EQ(0, info.out_missing);
	EXPECT_EQ(m->addr_width, info.out_addr_width);
	EXPECT_EQ(m->pgsize_bitmap, info.out_pgsize_bitmap);
	EXPECT_EQ(0, info.out_formats);
	EXPECT_EQ(2, info.num_ranges);
	EXPECT_EQ(1, info.num_reserved);
	EXPECT_EQ(MOCK_RESV_START, reserved[0].start);
}

static long children_of(int fd, long ioasid)
{
	struct ioasid_info info;
	long ret = ioasid_get_info(fd, ioasid, &info);

	return ret < 0 ? ret : (long)info.out_children;
}

TEST_F(nest, create_nesting_makes_a_child_with_a_page_table)
{
	struct ioasid_create_nesting arg = {
		.argsz = sizeof(arg),
		.out_ioasid = 0xffffffff,	/* ignored */
	};
	struct ioasid_info info;
	long c1, c2;

	REQ(REQ-NEST-CREATE, REQ-INFO-NESTING, REQ-IOASID-NEXT,
	    REQ-IOASID-NUMBER);
	arg.parent = self->gpa;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_CREATE_NESTING, &arg));
	c1 = arg.out_ioasid;
	EXPECT_EQ(self->gpa + 1, c1);
	expect_child_info(_metadata, self->fd, c1, self->gpa, 0);
	/* the parent reports nesting and one child, and nothing else changed */
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->gpa, &info));
	EXPECT_EQ(IOASID_NESTING_SW, info.out_nesting);
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA, info.out_flags);
	EXPECT_EQ(0, info.out_parent);
	EXPECT_EQ(1, info.out_children);
	EXPECT_EQ(1, info.out_routes);
	/* a second child; the number space is the one of IOASID_ALLOC */
	c2 = ioasid_nest(self->fd, self->gpa);
	EXPECT_EQ(c1 + 1, c2);
	EXPECT_EQ(2, children_of(self->fd, self->gpa));
	EXPECT_EQ(c2 + 1, ioasid_alloc_one(self->fd));
	expect_child_info(_metadata, self->fd, c2, self->gpa, 0);
	/* a child has no mapping: nothing to unmap */
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, c1));
}

/* A caller that knows only the first 72 bytes gets nothing beyond them. */
TEST_F(nest, info_of_the_first_version_size_ends_at_72_bytes)
{
	union {
		struct ioasid_info info;
		uint8_t bytes[sizeof(struct ioasid_info) + 8];
	} u;
	long child = ioasid_nest(self->fd, self->gpa);
	size_t i;

	REQ(REQ-INFO-NESTING, REQ-ARG-SIZE-MIN);
	ASSERT_LE(1, child);
	memset(&u, 0xa5, sizeof(u));
	u.info.argsz = 72;
	u.info.flags = 0;
	u.info.ioasid = child;
	u.info.num_ranges = 0;
	u.info.num_reserved = 0;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_GET_INFO, &u.info));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA |
		  IOASID_INFO_NESTED, u.info.out_flags);
	for (i = 72; i < sizeof(u); i++)
		EXPECT_EQ(0xa5, u.bytes[i]) TH_LOG("byte %zu", i);
	/* the full size gets the parent and the children */
	u.info.argsz = sizeof(u.info);
	u.info.num_ranges = 0;	/* the first call wrote the counts */
	u.info.num_reserved = 0;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_GET_INFO, &u.info));
	EXPECT_EQ(self->gpa, u.info.out_parent);
	EXPECT_EQ(0, u.info.out_children);
}

TEST_F(nest, a_child_of_a_class_b_parent_has_its_properties)
{
	const struct mock_iommu *m = mock_iommu(IOASID_TEST_IOMMU_B);
	uint8_t *mem = test_memory(2 * m->granule, m->granule, 7);
	struct ioasid_info info;
	long parent, child;
	int dev;

	REQ(REQ-NEST-CREATE, REQ-INFO-NESTING, REQ-TESTIF-DEVICE-PROPS,
	    REQ-NEST-SW-MAP-ARGS);
	ASSERT_NE(MAP_FAILED, mem);
	dev = testif_create_class_device(self->testif, IOASID_TEST_IOMMU_B);
	ASSERT_LE(0, dev);
	ASSERT_LE(1, device_bind(dev, self->fd));
	parent = ioasid_alloc_one(self->fd);
	ASSERT_EQ(0, device_attach(dev, parent));
	child = ioasid_nest(self->fd, parent);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
	EXPECT_EQ(m->pgsize_bitmap, info.out_pgsize_bitmap);
	EXPECT_EQ(m->addr_width, info.out_addr_width);
	EXPECT_EQ(parent, info.out_parent);
	/* its granule is the parent's: a 4 KiB mapping is refused */
	ASSERT_EQ(0, ioasid_map(self->fd, parent, mem, 0, 2 * m->granule,
				IOASID_DMA_READ));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, 0, 0, PG,
					     IOASID_DMA_READ));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, PG, 0,
					     m->granule, IOASID_DMA_READ));
	EXPECT_EQ(0, ioasid_map_parent(self->fd, child, m->granule, 0,
				       m->granule, IOASID_DMA_READ));
	ASSERT_EQ(0, device_attach(dev, child));
	EXPECT_EQ(-1, first_wrong_page(dev, NO_PASID, 0, mem + m->granule,
				       m->granule / PG));
	close(dev);
	munmap(mem, 2 * m->granule);
}

TEST_F(nest, nesting_is_one_level_deep)
{
	struct ioasid_info info;
	long child, next;

	REQ(REQ-NEST-CREATE-STATE, REQ-INFO-NESTING, REQ-ARG-NOCHANGE);
	child = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, child);
	EXPECT_EQ(-EINVAL, ioasid_nest(self->fd, child));
	ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
	EXPECT_EQ(0, info.out_children);
	EXPECT_EQ(0, info.out_nesting);
	EXPECT_EQ(1, children_of(self->fd, self->gpa));
	next = ioasid_alloc_one(self->fd);
	EXPECT_EQ(child + 1, next);
}

TEST_F(nest, a_parent_of_another_descriptor_names_nothing)
{
	int other = ioasid_open();
	long there, child;
	int dev, i;

	REQ(REQ-NEST-CREATE-STATE, REQ-IOASID-LOCAL, REQ-IOASID-UNKNOWN);
	ASSERT_LE(0, other);
	/* other has IOASIDs 1 (with a page table) to 4; fd has only 1 */
	ASSERT_EQ(0, testif_attached_device(self->testif, other, 0, &dev,
					    &there));
	for (i = 0; i < 3; i++)
		ASSERT_LE(2, ioasid_alloc_one(other));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, 3));
	/* a child in other is other's alone */
	child = ioasid_nest(other, there);
	ASSERT_EQ(5, child);
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, child));
	EXPECT_EQ(-ENOENT, ioasid_free_one(self->fd, child));
	EXPECT_EQ(0, children_of(self->fd, self->gpa));
	EXPECT_EQ(1, children_of(other, there));
	/* fd's devices cannot reach other's child */
	EXPECT_EQ(-ENOENT, device_attach_pasid(self->dev1, child, 1));
	close(dev);
	close(other);
}

TEST_F(nest, a_child_that_cannot_be_returned_is_not_made)
{
	struct ioasid_create_nesting *arg;
	long next;
	void *page;

	REQ(REQ-NEST-CREATE-COPY, REQ-IOASID-NEXT, REQ-ARG-NOCHANGE);
	page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	arg = page;
	arg->argsz = sizeof(*arg);
	arg->flags = 0;
	arg->parent = self->gpa;
	arg->out_ioasid = 0;
	ASSERT_EQ(0, mprotect(page, PG, PROT_READ));
	EXPECT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_CREATE_NESTING, arg));
	EXPECT_EQ(0, children_of(self->fd, self->gpa));
	/* the number the failed call reserved is not the next one */
	next = ioasid_alloc_one(self->fd);
	EXPECT_EQ(self->gpa + 2, next);
	EXPECT_EQ(-ENOENT, ioasid_free_one(self->fd, self->gpa + 1));
	/* the parent can still be freed once its device is gone */
	ASSERT_EQ(0, device_detach(self->dev1, self->gpa));
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->gpa));
	munmap(page, PG);
}

/*
 * A parent with children is busy, whichever child goes first; once they
 * are all gone it can be freed.
 */
TEST_F(nest, a_parent_is_freed_after_its_children)
{
	long c[3];
	int order, i;
	static const int orders[2][3] = { { 0, 1, 2 }, { 2, 0, 1 } };

	REQ(REQ-NEST-FREE-PARENT, REQ-FREE-ATTACHED, REQ-IOASID-FREE);
	ASSERT_EQ(0, device_detach(self->dev1, self->gpa));
	for (order = 0; order < 2; order++) {
		for (i = 0; i < 3; i++) {
			c[i] = ioasid_nest(self->fd, self->gpa);
			ASSERT_LE(1, c[i]);
		}
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
			EXPECT_EQ(3 - i, children_of(self->fd, self->gpa));
			EXPECT_EQ(0, ioasid_free_one(self->fd,
						     c[orders[order][i]]));
		}
		EXPECT_EQ(0, children_of(self->fd, self->gpa));
	}
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->gpa));
	EXPECT_EQ(-ENOENT, ioasid_nest(self->fd, self->gpa));
}

TEST_F(nest, a_child_with_a_route_is_busy)
{
	long child = ioasid_nest(self->fd, self->gpa);

	REQ(REQ-FREE-ATTACHED, REQ-NEST-FREE-PARENT);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, device_attach_pasid(self->dev1, child, 1));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, child));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->gpa));
	ASSERT_EQ(0, device_detach_pasid(self->dev1, child, 1));
	EXPECT_EQ(0, ioasid_free_one(self->fd, child));
}

TEST_F(nest, attaching_to_a_child_needs_the_parent)
{
	long child = ioasid_nest(self->fd, self->gpa);
	long other = ioasid_alloc_one(self->fd);
	struct ioasid_info info;

	REQ(REQ-NEST-ATTACH, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, child);
	/* dev2 is attached nowhere */
	EXPECT_EQ(-EINVAL, device_attach(self->dev2, child));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev2, child, 0));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev2, child, 15));
	/* dev2 is attached to another IOASID, not the parent */
	ASSERT_EQ(0, device_attach(self->dev2, other));
	EXPECT_EQ(-EINVAL, device_attach(self->dev2, child));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev2, child, 2));
	/* a PASID route of dev2 on the parent is not its default route */
	ASSERT_EQ(0, device_detach(self->dev2, other));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, self->gpa, 2));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev2, child, 3));
	EXPECT_EQ(-EINVAL, device_attach(self->dev2, child));
	/* nothing was attached to the child */
	ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
	EXPECT_EQ(0, info.out_routes);
	EXPECT_EQ(0, ioasid_free_one(self->fd, child));
	/* with the parent's default route, both kinds of route attach */
	child = ioasid_nest(self->fd, self->gpa);
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	EXPECT_EQ(0, device_attach_pasid(self->dev2, child, 3));
	EXPECT_EQ(0, device_attach(self->dev2, child));
	ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
	EXPECT_EQ(2, info.out_routes);
	ASSERT_EQ(0, ioasid_get_info(self->fd, self->gpa, &info));
	EXPECT_EQ(3, info.out_routes);	/* dev1, dev2 and its PASID 2 */
}

/*
 * The default route nested on a child: translated by the child while it
 * is attached there, by the parent alone before and after, with nothing
 * of the child's translation left cached after the detach.
 */
TEST_F(nest, the_default_route_moves_to_a_child_and_back)
{
	long child = ioasid_nest(self->fd, self->gpa);
	long second = ioasid_nest(self->fd, self->gpa);
	struct ioasid_info info;
	int round;

	REQ(REQ-NEST-ATTACH-RID, REQ-NEST-SW-MAP, REQ-ATTACH-ONCE,
	    REQ-DETACH-BLOCKS);
	ASSERT_LE(1, child);
	ASSERT_LE(1, second);
	/* the parent maps GPA(i) to ram page i */
	ASSERT_EQ(0, map_ram(0, 8, 0, IOASID_DMA_RW));
	/*
	 * The child maps GIOVA(0) .. GIOVA(3) to GPA(4) .. GPA(7), and
	 * GPA(0) .. GPA(3) (as child IOVAs) to GPA(7) .. GPA(4), so that one
	 * IOVA means another page in each.
	 */
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(4), GIOVA(0),
				       4 * PG, IOASID_DMA_RW));
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(7 - i),
					       GPA(i), PG, IOASID_DMA_READ));
	for (round = 0; round < 2; round++) {
		/* parent only: GPA(i) is page i, GIOVA is nothing */
		EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GPA(0),
					       RAM(0), 8));
		EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID,
						   GIOVA(0), 4));
		ASSERT_EQ(0, device_attach(self->dev1, child));
		EXPECT_EQ(-EBUSY, device_attach(self->dev1, second));
		EXPECT_EQ(-EBUSY, device_attach(self->dev1, child));
		/* child: GIOVA(i) is page 4 + i, GPA(i) is page 7 - i */
		EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GIOVA(0),
					       RAM(4), 4));
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID,
						       GPA(i), RAM(7 - i), 1));
		/* what the child does not map is not reached */
		EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID,
						   GPA(4), 4));
		ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
		EXPECT_EQ(1, info.out_routes);
		ASSERT_EQ(0, ioasid_get_info(self->fd, self->gpa, &info));
		EXPECT_EQ(1, info.out_routes);
		ASSERT_EQ(0, device_detach(self->dev1, child));
		EXPECT_EQ(-ENOENT, device_detach(self->dev1, child));
		ASSERT_EQ(0, ioasid_get_info(self->fd, child, &info));
		EXPECT_EQ(0, info.out_routes);
	}
	/* dev2's default route, on the parent now, may go to the second */
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	EXPECT_EQ(0, device_attach(self->dev2, second));
	EXPECT_EQ(-1, first_reachable_page(self->dev2, NO_PASID, GPA(0), 8));
	EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GPA(0), RAM(0),
				       8));
}

TEST_F(nest, the_parent_route_stays_while_child_routes_need_it)
{
	long child = ioasid_nest(self->fd, self->gpa);
	int which;

	REQ(REQ-NEST-DETACH-PARENT, REQ-DETACH, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, map_ram(0, 4, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(0), GIOVA(0),
				       4 * PG, IOASID_DMA_RW));
	for (which = 0; which < 3; which++) {
		/* the default route, a PASID route, or both, on the child */
		if (which != 1)
			ASSERT_EQ(0, device_attach(self->dev1, child));
		if (which != 0)
			ASSERT_EQ(0, device_attach_pasid(self->dev1, child, 5));
		EXPECT_EQ(-EBUSY, device_detach(self->dev1, self->gpa));
		/* nothing changed: the routes still translate */
		if (which != 1)
			EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID,
						       GIOVA(0), RAM(0), 4));
		if (which != 0)
			EXPECT_EQ(-1, first_wrong_page(self->dev1, 5, GIOVA(0),
						       RAM(0), 4));
		/* release in the order that is not the order of attaching */
		if (which != 1)
			ASSERT_EQ(0, device_detach(self->dev1, child));
		if (which == 2)
			EXPECT_EQ(-EBUSY, device_detach(self->dev1, self->gpa));
		if (which != 0)
			ASSERT_EQ(0, device_detach_pasid(self->dev1, child, 5));
	}
	EXPECT_EQ(0, device_detach(self->dev1, self->gpa));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID, GPA(0), 4));
}

/* The RFC's flow 5.5 without its page-table binding: a PASID on a child. */
TEST_F(nest, a_pasid_route_of_a_child_translates_through_both)
{
	long child = ioasid_nest(self->fd, self->gpa);

	REQ(REQ-NEST-SW-MAP, REQ-NEST-ATTACH, REQ-ATTACH);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, map_ram(0, 8, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(2), GIOVA(0),
				       6 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, child, 9));
	EXPECT_EQ(-1, first_wrong_page(self->dev1, 9, GIOVA(0), RAM(2), 6));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, 9, GPA(0), 8));
	/* the default route is the parent's still */
	EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GPA(0), RAM(0),
				       8));
	/* a DMA write through the child lands in the page the parent maps */
	{
		uint8_t data[64];

		memset(data, 0x3c, sizeof(data));
		ASSERT_EQ(IOASID_TEST_DMA_OK,
			  route_dma(self->dev1, 9, GIOVA(3) + 100, data,
				    sizeof(data), 1));
		EXPECT_EQ(0, memcmp(RAM(5) + 100, data, sizeof(data)));
	}
}

TEST_F(nest, child_mapping_bad_arguments)
{
	long child = ioasid_nest(self->fd, self->gpa);
	long bare = ioasid_alloc_one(self->fd);

	REQ(REQ-NEST-SW-MAP-ARGS, REQ-MAP-ARGS, REQ-MAP-RANGE,
	    REQ-MAP-OVERLAP, REQ-ARG-FLAGS, REQ-IOASID-NOCMD,
	    REQ-ARG-NOCHANGE);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, map_ram(0, 8, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach(self->dev1, child));
	/* the flag is what the child takes, and only the child */
	EXPECT_EQ(-EINVAL, ioasid_map_va(self->fd, child, GPA(0), GIOVA(0),
					 PG, IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map(self->fd, child, RAM(0), GIOVA(0), PG,
				      IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, self->gpa, GPA(0),
					     GIOVA(0), PG, IOASID_DMA_RW));
	EXPECT_EQ(-ENXIO, ioasid_map_parent(self->fd, bare, GPA(0), GIOVA(0),
					    PG, IOASID_DMA_RW));
	EXPECT_EQ(-EOPNOTSUPP, ioasid_map_parent(self->fd, child, GPA(0),
						 GIOVA(0), PG,
						 IOASID_DMA_RW | (1 << 3)));
	/* the rules of every mapping, with a parent IOVA */
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0),
					     GIOVA(0), PG, 0));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0),
					     GIOVA(0), 0, IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0) + 512,
					     GIOVA(0), PG, IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0),
					     GIOVA(0) + 512, PG,
					     IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0),
					     GIOVA(0), PG + 512,
					     IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, -PG, GIOVA(0),
					     2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-EINVAL, ioasid_map_parent(self->fd, child, GPA(0), -PG,
					     2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map_parent(self->fd, child, GPA(0),
					     MOCK_RESV_START, PG,
					     IOASID_DMA_RW));
	EXPECT_EQ(-ERANGE, ioasid_map_parent(self->fd, child, GPA(0),
					     1ull << 48, PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(0), GIOVA(2),
				       2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-EEXIST, ioasid_map_parent(self->fd, child, GPA(4),
					     GIOVA(3), 2 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-EEXIST, ioasid_map_parent(self->fd, child, GPA(4),
					     GIOVA(1), 2 * PG, IOASID_DMA_RW));
	/* nothing but the one mapping was made */
	EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID, GIOVA(0), 2));
	EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GIOVA(2), RAM(0),
				       2));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID, GIOVA(4), 4));
	EXPECT_EQ(2 * PG, ioasid_unmap_all(self->fd, child));
	/* the parent's mappings have no child mapping on them left */
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->gpa));
}

/*
 * Every child range over a parent with a hole and a read-only part, from
 * every parent page on and for every length up to the whole: it maps when
 * the parent maps every page of it with the permissions asked, and fails
 * with EFAULT, having changed nothing, otherwise.
 */
TEST_F(nest, a_child_maps_only_what_the_parent_maps)
{
	/* parent pages 0-3 read-write, 4-5 nothing, 6-9 read-only */
	static const int parent_prot[10] = {
		IOASID_DMA_RW, IOASID_DMA_RW, IOASID_DMA_RW, IOASID_DMA_RW,
		0, 0, IOASID_DMA_READ, IOASID_DMA_READ, IOASID_DMA_READ,
		IOASID_DMA_READ,
	};
	static const uint32_t asks[3] = {
		IOASID_DMA_READ, IOASID_DMA_WRITE, IOASID_DMA_RW,
	};
	long child = ioasid_nest(self->fd, self->gpa);
	int first, n, k, a, bad = 0;

	REQ(REQ-NEST-SW-MAP-FAULT, REQ-NEST-SW-MAP, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, map_ram(0, 4, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, map_ram(6, 4, 6, IOASID_DMA_READ));
	ASSERT_EQ(0, device_attach(self->dev1, child));
	for (a = 0; a < 3; a++) {
		for (first = 0; first < 11; first++) {
			for (n = 1; first + n <= 12; n++) {
				bool ok = true;
				long ret;

				for (k = first; k < first + n; k++)
					if (k >= 10 ||
					    (asks[a] & ~parent_prot[k]))
						ok = false;
				ret = ioasid_map_parent(self->fd, child,
							GPA(first), GIOVA(0),
							n * PG, asks[a]);
				if (ret != (ok ? 0 : -EFAULT)) {
					bad++;
					TH_LOG("ask %u pages %d+%d: %ld",
					       asks[a], first, n, ret);
				}
				if (ok) {
					if (asks[a] & IOASID_DMA_READ &&
					    first_wrong_page(self->dev1,
							     NO_PASID,
							     GIOVA(0),
							     RAM(first), n) != -1)
						bad++;
					if (ioasid_unmap_all(self->fd, child) !=
					    n * PG)
						bad++;
				} else if (first_reachable_page(self->dev1,
								NO_PASID,
								GIOVA(0),
								n) != -1) {
					bad++;
				}
			}
		}
	}
	EXPECT_EQ(0, bad);
	/* nothing is left on the parent's mappings */
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->gpa));
}

/*
 * One child mapping over several parent mappings, some from registered
 * memory and some pinned for themselves, starting inside the first.
 */
TEST_F(nest, a_child_mapping_spans_parent_mappings)
{
	long child = ioasid_nest(self->fd, self->gpa);

	REQ(REQ-NEST-SW-MAP, REQ-MAP-REGISTERED-USE, REQ-UNMAP);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, ioasid_register(self->fd, RAM(4), 4 * PG));
	ASSERT_EQ(0, map_ram(0, 2, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, map_ram(2, 2, 2, IOASID_DMA_RW));
	ASSERT_EQ(0, map_ram(4, 4, 4, IOASID_DMA_RW));
	ASSERT_EQ(0, map_ram(8, 8, 8, IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach_pasid(self->dev1, child, 1));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(1), GIOVA(0),
				       14 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev1, 1, GIOVA(0), RAM(1), 14));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, 1, GIOVA(14), 2));
	/* none of the four can go while the child's mapping is on them */
	EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa, GPA(0), 2 * PG));
	EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa, GPA(2), 2 * PG));
	EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa, GPA(4), 4 * PG));
	EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa, GPA(8), 8 * PG));
	EXPECT_EQ(14 * PG, ioasid_unmap(self->fd, child, GIOVA(0), 14 * PG));
	EXPECT_EQ(-1, first_reachable_page(self->dev1, 1, GIOVA(0), 14));
	EXPECT_EQ(16 * PG, ioasid_unmap_all(self->fd, self->gpa));
	EXPECT_EQ(0, ioasid_unregister(self->fd, RAM(4), 4 * PG));
}

TEST_F(nest, a_child_mapping_pins_and_charges_nothing)
{
	long child = ioasid_nest(self->fd, self->gpa);
	long locked = ioasid_pinned_kb();

	REQ(REQ-NEST-SW-CHARGE, REQ-UNMAP-UNPIN, REQ-PIN-USER);
	if (!(self->caps & IOASID_TEST_CAP_PINNED))
		SKIP(return, "the test interface cannot tell pinned pages");
	ASSERT_LE(1, child);
	ASSERT_LE(0, locked);
	ASSERT_EQ(0, map_ram(0, 8, 0, IOASID_DMA_RW));
	EXPECT_EQ(locked + 8 * PG / 1024, ioasid_pinned_kb());
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(0), GIOVA(0),
				       8 * PG, IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(2), GIOVA(8),
				       4 * PG, IOASID_DMA_READ));
	EXPECT_EQ(locked + 8 * PG / 1024, ioasid_pinned_kb());
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, RAM(0), 8, 1));
	EXPECT_EQ(12 * PG, ioasid_unmap_all(self->fd, child));
	/* the parent's pins and charge stay */
	EXPECT_EQ(locked + 8 * PG / 1024, ioasid_pinned_kb());
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, RAM(0), 8, 1));
	EXPECT_EQ(8 * PG, ioasid_unmap_all(self->fd, self->gpa));
	EXPECT_EQ(locked, ioasid_pinned_kb());
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, RAM(0), 8, 0));
}

/*
 * A parent mapping with child mappings on it stays until every one of
 * them is gone, whichever child removes its mapping first; the unmap that
 * is refused removes nothing, not even mappings of the range that have no
 * child mapping on them.
 */
TEST_F(nest, a_parent_mapping_stays_while_children_use_it)
{
	long c[2];
	int order, i;

	REQ(REQ-NEST-SW-UNMAP-PARENT, REQ-NEST-SW-UNMAP, REQ-UNMAP-BLOCKS,
	    REQ-ARG-NOCHANGE);
	for (i = 0; i < 2; i++) {
		c[i] = ioasid_nest(self->fd, self->gpa);
		ASSERT_LE(1, c[i]);
	}
	ASSERT_EQ(0, device_attach(self->dev1, c[0]));
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, c[1], 4));
	for (order = 0; order < 2; order++) {
		ASSERT_EQ(0, map_ram(0, 4, 0, IOASID_DMA_RW));
		ASSERT_EQ(0, map_ram(4, 4, 4, IOASID_DMA_RW));
		ASSERT_EQ(0, ioasid_map_parent(self->fd, c[0], GPA(1),
					       GIOVA(0), PG, IOASID_DMA_RW));
		ASSERT_EQ(0, ioasid_map_parent(self->fd, c[1], GPA(2),
					       GIOVA(0), 2 * PG,
					       IOASID_DMA_READ));
		for (i = 0; i < 2; i++) {
			int k = order ? 1 - i : i;

			EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa,
						       GPA(0), 4 * PG));
			EXPECT_EQ(-EBUSY, ioasid_unmap(self->fd, self->gpa,
						       GPA(0), 8 * PG));
			EXPECT_EQ(-EBUSY, ioasid_unmap_all(self->fd,
							   self->gpa));
			/* nothing was removed, through either level */
			EXPECT_EQ(-1, first_wrong_page(self->dev2, NO_PASID,
						       GPA(0), RAM(0), 8));
			if (order || !i)	/* c[0] has its mapping */
				EXPECT_EQ(-1, first_wrong_page(self->dev1,
							       NO_PASID,
							       GIOVA(0),
							       RAM(1), 1));
			if (!order || !i)	/* c[1] has its mapping */
				EXPECT_EQ(-1, first_wrong_page(self->dev2, 4,
							       GIOVA(0),
							       RAM(2), 2));
			EXPECT_LT(0, ioasid_unmap_all(self->fd, c[k]));
		}
		/* the child's DMA is blocked, the parent's is not */
		EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID,
						   GIOVA(0), 1));
		EXPECT_EQ(-1, first_reachable_page(self->dev2, 4, GIOVA(0),
						   2));
		EXPECT_EQ(-1, first_wrong_page(self->dev2, NO_PASID, GPA(0),
					       RAM(0), 8));
		EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->gpa, GPA(0),
					       4 * PG));
		EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->gpa));
	}
}

/*
 * Everything a descriptor can hold with nesting, left for the close:
 * children with both kinds of route and mappings on a parent with pinned
 * and registered memory.  Nothing stays pinned, whichever descriptor is
 * closed first.
 */
TEST_F(nest, closing_releases_every_nested_object)
{
	int order;

	REQ(REQ-IOASID-CLOSE, REQ-UNBIND-DETACHES, REQ-NEST-SW-CHARGE,
	    REQ-UNMAP-UNPIN);
	if (!(self->caps & IOASID_TEST_CAP_PINNED))
		SKIP(return, "the test interface cannot tell pinned pages");
	for (order = 0; order < 2; order++) {
		int fd = ioasid_open(), dev;
		long gpa, child;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, testif_attached_device(self->testif, fd, 4, &dev,
						    &gpa));
		ASSERT_EQ(0, ioasid_register(fd, RAM(0), 4 * PG));
		ASSERT_EQ(0, ioasid_map(fd, gpa, RAM(0), GPA(0), 8 * PG,
					IOASID_DMA_RW));
		child = ioasid_nest(fd, gpa);
		ASSERT_LE(1, child);
		ASSERT_LE(1, ioasid_nest(fd, gpa));
		ASSERT_EQ(0, ioasid_map_parent(fd, child, GPA(0), GIOVA(0),
					       8 * PG, IOASID_DMA_RW));
		ASSERT_EQ(0, device_attach(dev, child));
		ASSERT_EQ(0, device_attach_pasid(dev, child, 7));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, RAM(0), 8,
						    1));
		if (order) {
			close(fd);
			EXPECT_EQ(-1, first_wrong_page(dev, 7, GIOVA(0),
						       RAM(0), 8));
			close(dev);
		} else {
			close(dev);
			EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
							    RAM(0), 8, 1));
			close(fd);
		}
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, RAM(0), 8,
						    0));
	}
}

/*
 * The IOMMU fails to make a child's page table, or to enter a run of a
 * child's mapping: the command fails with ENOMEM and leaves nothing, and
 * the same command then works.
 */
TEST_F(nest, iommu_failures_leave_nothing_behind)
{
	long child, next;
	int nth;

	REQ(REQ-ERR-RESOURCE, REQ-ARG-NOCHANGE, REQ-NEST-CREATE,
	    REQ-NEST-SW-MAP, REQ-TESTIF-FAIL);
	if (!(self->caps & IOASID_TEST_CAP_FAIL))
		SKIP(return, "the test interface cannot fail IOMMU operations");
	ASSERT_EQ(0, testif_fail_next(self->testif,
				      IOASID_TEST_FAIL_PGTABLE_ALLOC, 1));
	EXPECT_EQ(-ENOMEM, ioasid_nest(self->fd, self->gpa));
	EXPECT_EQ(0, children_of(self->fd, self->gpa));
	child = ioasid_nest(self->fd, self->gpa);
	EXPECT_EQ(self->gpa + 1, child);
	/* four parent mappings, so that the child's is entered in four runs */
	for (nth = 0; nth < 4; nth++)
		ASSERT_EQ(0, map_ram(4 * nth, 4, 4 * nth, IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach(self->dev1, child));
	for (nth = 1; nth <= 4; nth++) {
		ASSERT_EQ(0, testif_fail_next(self->testif,
					      IOASID_TEST_FAIL_MAP, nth));
		EXPECT_EQ(-ENOMEM, ioasid_map_parent(self->fd, child, GPA(0),
						     GIOVA(0), 16 * PG,
						     IOASID_DMA_RW));
		EXPECT_EQ(-1, first_reachable_page(self->dev1, NO_PASID,
						   GIOVA(0), 16));
		EXPECT_EQ(0, ioasid_unmap_all(self->fd, child));
	}
	testif_fail_none(self->testif);
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, GPA(0), GIOVA(0),
				       16 * PG, IOASID_DMA_RW));
	EXPECT_EQ(-1, first_wrong_page(self->dev1, NO_PASID, GIOVA(0), RAM(0),
				       16));
	EXPECT_EQ(16 * PG, ioasid_unmap_all(self->fd, child));
	/* no parent mapping kept a count of the failed ones */
	EXPECT_EQ(16 * PG, ioasid_unmap_all(self->fd, self->gpa));
	next = ioasid_alloc_one(self->fd);
	EXPECT_EQ(child + 1, next);
}

/* The threads of the race below, and what each saw that it must not. */
struct nest_race {
	int fd, dev1, dev2;
	long gpa, child;
	uint8_t *ram;
	volatile int stop;
	int wrong[4];
	long rounds[4];
};

static void *race_child_mapper(void *arg)
{
	struct nest_race *r = arg;

	while (!r->stop) {
		long ret = ioasid_map_parent(r->fd, r->child, GPA(0), GIOVA(0),
					     4 * PG, IOASID_DMA_READ);

		if (ret == 0) {
			if (ioasid_unmap_all(r->fd, r->child) != 4 * PG)
				r->wrong[0]++;
		} else if (ret != -EFAULT) {	/* the parent's is away */
			r->wrong[0]++;
		}
		r->rounds[0]++;
	}
	return NULL;
}

static void *race_parent_unmapper(void *arg)
{
	struct nest_race *r = arg;

	while (!r->stop) {
		long ret = ioasid_unmap(r->fd, r->gpa, GPA(0), 4 * PG);

		if (ret == 4 * PG) {
			if (ioasid_map(r->fd, r->gpa, r->ram, GPA(0), 4 * PG,
				       IOASID_DMA_RW))
				r->wrong[1]++;
		} else if (ret != -EBUSY) {
			r->wrong[1]++;
		}
		r->rounds[1]++;
	}
	return NULL;
}

static void *race_mover(void *arg)
{
	struct nest_race *r = arg;

	while (!r->stop) {
		if (device_attach(r->dev1, r->child) ||
		    device_detach(r->dev1, r->child))
			r->wrong[2]++;
		r->rounds[2]++;
	}
	return NULL;
}

/* A DMA read of page @k at @iova: blocked, or the bytes of ram page @k. */
static bool race_dma_ok(struct nest_race *r, int dev, int pasid,
			uint64_t iova, int k)
{
	static __thread uint8_t page[PG];
	long st = route_dma(dev, pasid, iova, page, PG, 0);

	if (st == IOASID_TEST_DMA_NO_TRANSLATION)
		return true;
	return st == IOASID_TEST_DMA_OK && !memcmp(page, r->ram + k * PG, PG);
}

static void *race_dma(void *arg)
{
	struct nest_race *r = arg;
	int k;

	while (!r->stop) {
		for (k = 0; k < 4; k++) {
			/* dev2's PASID 1 on the child, dev1 moving */
			if (!race_dma_ok(r, r->dev2, 1, GIOVA(k), k) ||
			    !race_dma_ok(r, r->dev1, NO_PASID, GIOVA(k), k) ||
			    !race_dma_ok(r, r->dev1, NO_PASID, GPA(k), k))
				r->wrong[3]++;
		}
		r->rounds[3]++;
	}
	return NULL;
}

/*
 * Child mappings made and removed, the parent's mapping under them
 * removed and made again when no child mapping is on it, dev1's default
 * route moved to the child and back, and DMA through both levels, all at
 * once.  Every DMA finds either no translation or the page that the two
 * levels give the address; every command fails only as the state it met
 * explains.
 */
TEST_F(nest, parent_unmaps_child_maps_moves_and_dma_race)
{
	void *(*const fns[4])(void *) = {
		race_child_mapper, race_parent_unmapper, race_mover, race_dma,
	};
	struct nest_race r = { .fd = self->fd, .dev1 = self->dev1,
			       .dev2 = self->dev2, .gpa = self->gpa,
			       .ram = self->ram };
	struct timespec t0, t;
	pthread_t threads[4];
	int i;

	REQ(REQ-NEST-SW-UNMAP-PARENT, REQ-NEST-SW-MAP, REQ-NEST-SW-UNMAP,
	    REQ-NEST-ATTACH-RID, REQ-UNMAP-BLOCKS);
	r.child = ioasid_nest(self->fd, self->gpa);
	ASSERT_LE(1, r.child);
	ASSERT_EQ(0, map_ram(0, 4, 0, IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach(self->dev2, self->gpa));
	ASSERT_EQ(0, device_attach_pasid(self->dev2, r.child, 1));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, fns[i], &r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	r.stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		EXPECT_EQ(0, r.wrong[i]) TH_LOG("thread %d, %ld rounds", i,
						r.rounds[i]);
		EXPECT_LT(0, r.rounds[i]);
	}
	/* the end state: no child mapping, the parent's mapping there */
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, r.child));
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->gpa));
}

TEST_HARNESS_MAIN
