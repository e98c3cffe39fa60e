// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for PASID virtualization: the PASIDs that a DMA
 * carries on the wire for the user's PASIDs, on a physical function (the
 * user's own), on a mediated device (one of its parent's routing ID,
 * given by the core to every attached route, the default route too), and
 * on a mediated device with ENQCMD (the IOASID's global PASID); how they
 * are given back; the CPU's translation of guest PASIDs that the test
 * interface plays for KVM (IOASID_TEST_MAP_PASID, IOASID_TEST_UNMAP_PASID)
 * and the hold it takes; invalidation by the user's PASID; the exclusion
 * of PASID tables; the group rule; the creation of mediated devices; and
 * their lifetimes.
 *
 * The "pv" fixture needs test devices that issue DMA and mediated devices
 * (conformance test interface, capabilities DEVICE, DMA and MEDIATED), and
 * is skipped without them.  Tests of ENQCMD need capability ENQCMD, the
 * tests of invalidation and of PASID tables capability HW_NESTING (class N
 * devices and their stage-1 and PASID tables, in the formats of the test
 * interface's annex); they are skipped without it.
 *
 * The PASIDs on the wire are seen through the out_wire and
 * out_wire_pasid fields of IOASID_TEST_DMA, which every DMA of these
 * tests passes poisoned, so that a field the kernel did not write shows.
 *
 * The core gives the smallest free number (REQ-TESTIF-WIRE-ORDER, which
 * the tests of reuse rely on); the tests run one at a time, so that no
 * other program holds PASIDs of the host's spaces meanwhile, and each
 * test creates the parents whose routing IDs it counts.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "ioasid_test.h"

#define PG		TEST_PAGE
#define MEM_PAGES	16		/* pages of a data IOASID's memory */
#define MEM_LEN		(MEM_PAGES * PG)
#define IOVA0		0x100000ull	/* where a data IOASID maps it */
#define MAX_DEVS	32
#define MAX_MEMS	24
#define CLASS_A		IOASID_TEST_IOMMU_A
#define CLASS_B		IOASID_TEST_IOMMU_B
#define CLASS_N		IOASID_TEST_IOMMU_N
#define PASID_LIMIT	(1u << 20)

/*
 * What a read of the first 8 bytes of a page of fill_pages() memory
 * finds: the tag and the page index, as one number.  Tags are small.
 */
#define ID(tag, page)	((long)(tag) * 1000 + (page))
/* What dma_seen() reports for a DMA that returned status @st. */
#define NOT_OK(st)	(-10 - (long)(st))
#define BLOCKED_ID	NOT_OK(IOASID_TEST_DMA_NO_TRANSLATION)

#define CAPS_ENQCMD	IOASID_TEST_CAP_ENQCMD
#define CAPS_HW		IOASID_TEST_CAP_HW_NESTING

/*
 * What every "pv" test starts with: the test interface, an IOASID
 * descriptor fd, and "anchor", a class A device without PASIDs bound to
 * fd, whose default route data_ioasid() attaches to give a new IOASID
 * its page table before it maps memory, and then detaches.  The devices
 * a test creates and the memory it maps are released by the teardown.
 */
FIXTURE(pv) {
	int testif;
	uint64_t caps;
	int fd;
	int anchor;
	int devs[MAX_DEVS];
	unsigned int ndevs;
	uint8_t *mems[MAX_MEMS];
	unsigned int nmems;
};

FIXTURE_SETUP(pv)
{
	const char *why = NULL;

	self->fd = -1;
	self->anchor = -1;
	self->ndevs = 0;
	self->nmems = 0;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE |
				   IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_MEDIATED, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->caps = testif_caps(self->testif);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->anchor = testif_create_device(self->testif);
	ASSERT_LE(0, self->anchor);
	ASSERT_LE(1, device_bind(self->anchor, self->fd));
}

FIXTURE_TEARDOWN(pv)
{
	unsigned int i;

	for (i = self->ndevs; i-- > 0;)
		if (self->devs[i] >= 0)
			close(self->devs[i]);
	if (self->anchor >= 0)
		close(self->anchor);
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < self->nmems; i++)
		munmap(self->mems[i], MEM_LEN);
	if (self->testif >= 0)
		close(self->testif);
}

/* Keep @fd, if it is one, for the teardown to close; returns it. */
static int keep(FIXTURE_DATA(pv) *self, int fd)
{
	if (fd >= 0 && self->ndevs < MAX_DEVS)
		self->devs[self->ndevs++] = fd;
	return fd;
}

/* Close @fd, which keep() kept, before the teardown. */
static void drop(FIXTURE_DATA(pv) *self, int fd)
{
	unsigned int i;

	for (i = 0; i < self->ndevs; i++)
		if (self->devs[i] == fd)
			self->devs[i] = -1;
	close(fd);
}

/* A physical function created through @testif: its descriptor or -errno. */
static int pf_via(FIXTURE_DATA(pv) *self, int testif, uint32_t bits,
		  uint32_t class)
{
	return keep(self, testif_create_device_ex(testif, 0, bits, class, 0));
}

#define new_pf(bits, class)	pf_via(self, self->testif, bits, class)

/*
 * A mediated device of @parent created through @testif, with ENQCMD when
 * @enqcmd, bound to @fd unless @fd is -1: its descriptor or -errno.
 */
static int mdev_via(FIXTURE_DATA(pv) *self, int testif, int parent,
		    uint32_t class, uint32_t bits, int enqcmd, int fd)
{
	int dev = keep(self, testif_create_mediated(testif, parent, class,
						    bits, enqcmd));
	long ret;

	if (dev < 0 || fd < 0)
		return dev;
	ret = device_bind(dev, fd);
	return ret < 0 ? (int)ret : dev;
}

/* A mediated device of class A bound to the fixture's descriptor. */
#define new_mdev(parent, bits, enqcmd) \
	mdev_via(self, self->testif, parent, CLASS_A, bits, enqcmd, self->fd)

/* MEM_PAGES pages filled with fill_pages(@tag), or NULL. */
static uint8_t *new_mem(FIXTURE_DATA(pv) *self, uint32_t tag)
{
	uint8_t *p;

	if (self->nmems == MAX_MEMS)
		return NULL;
	p = test_memory(MEM_LEN, PG, 0);
	if (p == MAP_FAILED)
		return NULL;
	fill_pages(p, MEM_PAGES, tag);
	self->mems[self->nmems++] = p;
	return p;
}

/*
 * A new IOASID of class A that maps new memory filled with tag @tag at
 * IOVA0, read-write, with no route attached: its number or -errno, and
 * the memory in *@mem when @mem is not NULL.
 */
static long data_ioasid_mem(FIXTURE_DATA(pv) *self, uint32_t tag,
			    uint8_t **mem)
{
	uint8_t *p = new_mem(self, tag);
	long id, ret;

	if (!p)
		return -ENOMEM;
	id = ioasid_alloc_one(self->fd);
	if (id < 0)
		return id;
	ret = device_attach(self->anchor, id);
	if (!ret)
		ret = ioasid_map(self->fd, id, p, IOVA0, MEM_LEN,
				 IOASID_DMA_RW);
	if (!ret)
		ret = device_detach(self->anchor, id);
	if (mem)
		*mem = p;
	return ret ? ret : id;
}

#define data_ioasid(tag)	data_ioasid_mem(self, tag, NULL)

/* What one DMA did and saw. */
struct seen {
	long st;	/* IOASID_TEST_DMA_* or -errno */
	long wire;	/* PASID on the wire, NO_PASID, WIRE_NONE; -999 */
	long id;	/* ID() of the bytes read, NOT_OK(st), or -errno */
};

/*
 * A read of 8 bytes at @iova by @dev through route @pasid (NO_PASID: the
 * default route), with IOASID_TEST_DMA_ENQCMD when @enqcmd; out_wire and
 * out_wire_pasid are poisoned, so that a field the kernel did not write
 * shows.
 */
static struct seen dma_seen(int dev, int pasid, uint64_t iova, int enqcmd)
{
	uint32_t bytes[2] = { 0xdeadbeef, 0xdeadbeef };
	struct dma_wire w;
	struct seen s;
	long ret = route_dma_wire(dev, pasid, iova, bytes, sizeof(bytes), 0,
				  enqcmd, &w);

	if (ret < 0) {
		s.st = ret;
		s.wire = ret;
		s.id = ret;
		return s;
	}
	s.st = ret;
	s.wire = wire_decode(&w);
	s.id = s.st ? NOT_OK(s.st) : ID(bytes[0], bytes[1]);
	return s;
}

/* The PASID route @pasid of @dev carries on the wire, as dma_seen(). */
static long wire_of(int dev, int pasid)
{
	return dma_seen(dev, pasid, IOVA0, 0).wire;
}

/*
 * A read at @iova by @dev through route @pasid carries @wire and finds
 * @id: ID() of the page, or BLOCKED_ID for a DMA blocked for want of a
 * translation.
 */
static void expect_dma(struct __test_metadata *_metadata, int line, int dev,
		       int pasid, uint64_t iova, int enqcmd, long wire,
		       long id)
{
	struct seen s = dma_seen(dev, pasid, iova, enqcmd);

	EXPECT_EQ(wire, s.wire) TH_LOG("line %d: route %d", line, pasid);
	EXPECT_EQ(id, s.id) TH_LOG("line %d: route %d", line, pasid);
}

#define EXPECT_ROUTE(dev, pasid, wire, id) \
	expect_dma(_metadata, __LINE__, dev, pasid, IOVA0, 0, wire, id)
#define EXPECT_UNSENT(dev, pasid) \
	EXPECT_ROUTE(dev, pasid, WIRE_NONE, BLOCKED_ID)
#define EXPECT_ENQCMD(dev, vpasid, wire, id) \
	expect_dma(_metadata, __LINE__, dev, vpasid, IOVA0, 1, wire, id)
#define EXPECT_ENQCMD_UNSENT(dev, vpasid) \
	EXPECT_ENQCMD(dev, vpasid, WIRE_NONE, BLOCKED_ID)

/* A write of 4 bytes of @value at IOVA0 + 64: the status, or -errno. */
static long dma_poke(int dev, int pasid, int enqcmd, uint32_t value)
{
	struct ioasid_test_dma arg = {
		.argsz = sizeof(arg),
		.flags = IOASID_TEST_DMA_WRITE |
			 (pasid != NO_PASID ? IOASID_TEST_DMA_PASID : 0) |
			 (enqcmd ? IOASID_TEST_DMA_ENQCMD : 0),
		.pasid = pasid == NO_PASID ? 0 : pasid,
		.out_status = 0xffffffffu,
		.iova = IOVA0 + 64,
		.length = sizeof(value),
		.buffer = (uintptr_t)&value,
	};
	long ret = ioasid_ioctl(dev, IOASID_TEST_DMA, &arg);

	return ret < 0 ? ret : (long)arg.out_status;
}

/* The 4 bytes at offset 64 of @mem, where dma_poke() writes. */
static uint32_t poked(const uint8_t *mem)
{
	uint32_t v;

	memcpy(&v, mem + 64, sizeof(v));
	return v;
}

/* The number the next open() returns: no descriptor was made meanwhile. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* out_routes of @ioasid, or -errno. */
static long routes_of(int fd, long ioasid)
{
	struct ioasid_info info;
	long ret = ioasid_get_info(fd, ioasid, &info);

	return ret < 0 ? ret : (long)info.out_routes;
}

/* out_missing of @ioasid, or -errno. */
static long missing_of(int fd, long ioasid)
{
	struct ioasid_info info;
	long ret = ioasid_get_info(fd, ioasid, &info);

	return ret < 0 ? ret : (long)info.out_missing;
}

/* Whether the @n numbers at @w are distinct and from 1 to @max. */
static bool distinct_in(const long *w, int n, long max)
{
	int i, j;

	for (i = 0; i < n; i++) {
		if (w[i] < 1 || w[i] > max)
			return false;
		for (j = 0; j < i; j++)
			if (w[i] == w[j])
				return false;
	}
	return true;
}

/*
 * A physical function carries the user's PASID on the wire: route p
 * carries p (PASID 0 and the width's last PASID included), and the
 * default route no PASID at all; attached or not, since the device sends
 * its DMA either way and the IOMMU blocks it.  Reads and writes alike.
 */
TEST_F(pv, a_physical_function_carries_the_users_pasid)
{
	static const int pasids[] = { 0, 1, 5, 255 };
	uint8_t *ymem;
	long x, y;
	unsigned int i;
	int dev;

	REQ(REQ-PVIRT-DIRECT, REQ-TESTIF-DMA-WIRE, REQ-PVIRT-ROUTE);
	dev = new_pf(8, CLASS_A);
	ASSERT_LE(0, dev);
	ASSERT_LE(1, device_bind(dev, self->fd));
	x = data_ioasid(1);
	ASSERT_LE(1, x);
	y = data_ioasid_mem(self, 2, &ymem);
	ASSERT_LE(1, y);
	/* nothing attached: sent with the user's number, and blocked */
	EXPECT_ROUTE(dev, NO_PASID, NO_PASID, BLOCKED_ID);
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		EXPECT_ROUTE(dev, pasids[i], pasids[i], BLOCKED_ID);
	ASSERT_EQ(0, device_attach(dev, x));
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		ASSERT_EQ(0, device_attach_pasid(dev, y, pasids[i]));
	EXPECT_ROUTE(dev, NO_PASID, NO_PASID, ID(1, 0));
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		EXPECT_ROUTE(dev, pasids[i], pasids[i], ID(2, 0));
	EXPECT_ROUTE(dev, 7, 7, BLOCKED_ID);
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_poke(dev, 5, 0, 0x5a5a0005));
	EXPECT_EQ(0x5a5a0005, poked(ymem));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_poke(dev, 7, 0, 0x5a5a0007));
	EXPECT_EQ(0x5a5a0005, poked(ymem));
	/* detached again: the same numbers, blocked */
	ASSERT_EQ(0, device_detach(dev, x));
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		ASSERT_EQ(0, device_detach_pasid(dev, y, pasids[i]));
	EXPECT_ROUTE(dev, NO_PASID, NO_PASID, BLOCKED_ID);
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		EXPECT_ROUTE(dev, pasids[i], pasids[i], BLOCKED_ID);
}

/*
 * Every attached route of a mediated device, its default route included,
 * carries a PASID of its parent's routing ID, from 1 to 2^n - 1 for the
 * parent's width n, which no other attached route of the routing ID
 * carries: two mediated devices of one parent that attach the same
 * user's PASID carry two numbers.  A DMA with the user's PASID reaches
 * the memory of the IOASID to which that route is attached, for reads and
 * writes.  A default route attached to a parent and then to a child of it
 * keeps its number, and translates through the child.
 */
TEST_F(pv, mediated_routes_carry_distinct_pasids_of_the_routing_id)
{
	/* user's PASIDs of m1 (width 8), then m2; NO_PASID: the RID */
	static const int pasids[] = { NO_PASID, 0, 1, 9, 200,
				      NO_PASID, 1, 9, 200, 255 };
	enum { NR = ARRAY_SIZE(pasids), M1_ROUTES = 5 };
	uint8_t *mem[NR];
	long ids[NR], w[NR], child;
	int parent, m[2], i;

	REQ(REQ-PVIRT-RID, REQ-PVIRT-ROUTE, REQ-TESTIF-DMA-WIRE,
	    REQ-TESTIF-MEDIATED);
	parent = new_pf(4, CLASS_A);
	ASSERT_LE(0, parent);
	for (i = 0; i < 2; i++) {
		m[i] = new_mdev(parent, 8, 0);
		ASSERT_LE(0, m[i]);
	}
	for (i = 0; i < NR; i++) {
		ids[i] = data_ioasid_mem(self, 10 + i, &mem[i]);
		ASSERT_LE(1, ids[i]);
	}
	for (i = 0; i < NR; i++) {
		int dev = m[i >= M1_ROUTES];

		if (pasids[i] == NO_PASID) {
			ASSERT_EQ(0, device_attach(dev, ids[i]));
		} else {
			ASSERT_EQ(0, device_attach_pasid(dev, ids[i],
							 pasids[i]));
		}
	}
	for (i = 0; i < NR; i++) {
		w[i] = wire_of(m[i >= M1_ROUTES], pasids[i]);
		EXPECT_NE(NO_PASID, w[i]) TH_LOG("route %d", i);
	}
	EXPECT_TRUE(distinct_in(w, NR, 15))
		TH_LOG("%ld %ld %ld %ld %ld / %ld %ld %ld %ld %ld", w[0], w[1],
		       w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]);
	for (i = 0; i < NR; i++)
		EXPECT_ROUTE(m[i >= M1_ROUTES], pasids[i], w[i],
			     ID(10 + i, 0));
	/* routes nobody attached */
	EXPECT_UNSENT(m[0], 2);
	EXPECT_UNSENT(m[1], 0);
	/* writes reach the route's memory and no other */
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_poke(m[1], 9, 0, 0xa9a9a9a9));
	EXPECT_EQ(0xa9a9a9a9, poked(mem[7]));
	EXPECT_NE(0xa9a9a9a9, poked(mem[3]));
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_poke(m[0], NO_PASID, 0, 0xd0d0d0d0));
	EXPECT_EQ(0xd0d0d0d0, poked(mem[0]));
	EXPECT_NE(0xd0d0d0d0, poked(mem[5]));
	/*
	 * m1's default route on a child of its IOASID, which maps IOVA0 to
	 * the parent's page 1: the same number, the child's translation
	 */
	child = ioasid_nest(self->fd, ids[0]);
	ASSERT_LE(1, child);
	ASSERT_EQ(0, ioasid_map_parent(self->fd, child, IOVA0 + PG, IOVA0, PG,
				       IOASID_DMA_RW));
	ASSERT_EQ(0, device_attach(m[0], child));
	EXPECT_ROUTE(m[0], NO_PASID, w[0], ID(10, 1));
	for (i = 1; i < NR; i++)
		EXPECT_ROUTE(m[i >= M1_ROUTES], pasids[i], w[i],
			     ID(10 + i, 0));
	/* and a PASID route of m1 on the child too */
	ASSERT_EQ(0, device_attach_pasid(m[0], child, 3));
	EXPECT_ROUTE(m[0], 3, wire_of(m[0], 3), ID(10, 1));
	EXPECT_NE(w[0], wire_of(m[0], 3));
	EXPECT_TRUE(wire_of(m[0], 3) >= 1 && wire_of(m[0], 3) <= 15);
	ASSERT_EQ(0, device_detach_pasid(m[0], child, 3));
	ASSERT_EQ(0, device_detach(m[0], child));
	EXPECT_ROUTE(m[0], NO_PASID, w[0], ID(10, 0));
	EXPECT_UNSENT(m[0], 3);
}

/*
 * A mediated device sends nothing through a route that is not attached:
 * not while it is unbound, nor bound with the route unattached, nor after
 * the route is detached or the device unbound.  The DMA is blocked for
 * want of a translation, at its first address, and writes nothing.
 */
TEST_F(pv, an_unattached_mediated_route_sends_nothing)
{
	struct dma_fault f;
	uint8_t *xmem, buf[8];
	int parent, m;
	long x, y, w;

	REQ(REQ-TESTIF-DMA-WIRE, REQ-PVIRT-ROUTE, REQ-TESTIF-MEDIATED,
	    REQ-UNBIND-DETACHES);
	parent = new_pf(4, CLASS_A);
	ASSERT_LE(0, parent);
	m = mdev_via(self, self->testif, parent, CLASS_A, 4, 0, -1);
	ASSERT_LE(0, m);
	x = data_ioasid_mem(self, 1, &xmem);
	ASSERT_LE(1, x);
	y = data_ioasid(2);
	ASSERT_LE(1, y);
	/* unbound */
	EXPECT_UNSENT(m, NO_PASID);
	EXPECT_UNSENT(m, 3);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  route_dma_fault(m, 3, IOVA0 + 8, buf, sizeof(buf), 0, &f));
	EXPECT_EQ(IOVA0 + 8, f.iova);
	EXPECT_EQ(IOASID_TEST_STAGE_NONE, f.stage);
	/* bound, nothing attached */
	ASSERT_LE(1, device_bind(m, self->fd));
	EXPECT_UNSENT(m, NO_PASID);
	EXPECT_UNSENT(m, 3);
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION,
		  dma_poke(m, NO_PASID, 0, 0x11111111));
	/* the default route attached: it alone is sent */
	ASSERT_EQ(0, device_attach(m, x));
	w = wire_of(m, NO_PASID);
	EXPECT_TRUE(w >= 1 && w <= 15) TH_LOG("wire %ld", w);
	EXPECT_ROUTE(m, NO_PASID, w, ID(1, 0));
	EXPECT_UNSENT(m, 3);
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION, dma_poke(m, 3, 0, 0x3333));
	EXPECT_NE(0x3333, poked(xmem));
	/* route 3 attached, then detached */
	ASSERT_EQ(0, device_attach_pasid(m, y, 3));
	EXPECT_ROUTE(m, 3, wire_of(m, 3), ID(2, 0));
	EXPECT_NE(w, wire_of(m, 3));
	EXPECT_TRUE(wire_of(m, 3) >= 1 && wire_of(m, 3) <= 15);
	ASSERT_EQ(0, device_detach_pasid(m, y, 3));
	EXPECT_UNSENT(m, 3);
	EXPECT_ROUTE(m, NO_PASID, w, ID(1, 0));
	ASSERT_EQ(0, device_detach(m, x));
	EXPECT_UNSENT(m, NO_PASID);
	/* attached again, then unbound */
	ASSERT_EQ(0, device_attach(m, x));
	ASSERT_EQ(0, device_attach_pasid(m, y, 3));
	EXPECT_ROUTE(m, NO_PASID, wire_of(m, NO_PASID), ID(1, 0));
	ASSERT_EQ(0, device_unbind(m));
	EXPECT_UNSENT(m, NO_PASID);
	EXPECT_UNSENT(m, 3);
	EXPECT_EQ(0, routes_of(self->fd, x));
	EXPECT_EQ(0, routes_of(self->fd, y));
}

/* The routes of the exhaustion test: device, user's PASID, IOASID. */
#define NSLOTS		5
#define NWIRES		3	/* PASIDs of a routing ID of width 2 */

struct slots {
	int dev[NSLOTS];
	int pasid[NSLOTS];
	long ioasid[NSLOTS];
	long wire[NSLOTS];	/* the model: 0 while not attached */
};

/* The smallest number from 1 to NWIRES that no slot carries, or 0. */
static long lowest_free(const struct slots *s)
{
	long n;
	int i;

	for (n = 1; n <= NWIRES; n++) {
		for (i = 0; i < NSLOTS; i++)
			if (s->wire[i] == n)
				break;
		if (i == NSLOTS)
			return n;
	}
	return 0;
}

/*
 * Every slot as the model says: an attached one carries its number and
 * reads its IOASID's memory (tag 20 + slot), the others send nothing.
 */
static void expect_slots(struct __test_metadata *_metadata, int line,
			 const struct slots *s)
{
	int i;

	for (i = 0; i < NSLOTS; i++) {
		struct seen v = dma_seen(s->dev[i], s->pasid[i], IOVA0, 0);

		if (s->wire[i]) {
			EXPECT_EQ(s->wire[i], v.wire)
				TH_LOG("line %d: slot %d", line, i);
			EXPECT_EQ(ID(20 + i, 0), v.id)
				TH_LOG("line %d: slot %d", line, i);
		} else {
			EXPECT_EQ(WIRE_NONE, v.wire)
				TH_LOG("line %d: slot %d", line, i);
			EXPECT_EQ(BLOCKED_ID, v.id)
				TH_LOG("line %d: slot %d", line, i);
		}
	}
}

#define EXPECT_SLOTS(s)	expect_slots(_metadata, __LINE__, s)

static long slot_route(const struct slots *s, int i, unsigned long cmd)
{
	return device_route(s->dev[i], cmd, s->ioasid[i],
			    s->pasid[i] == NO_PASID ? 0 : IOASID_ATTACH_PASID,
			    s->pasid[i] == NO_PASID ? 0 : s->pasid[i]);
}

/*
 * Attach slot @i: it must get the smallest free number, or fail with
 * ENOSPC, changing nothing, when none is free.
 */
static void slot_attach(struct __test_metadata *_metadata, int line, int fd,
			struct slots *s, int i)
{
	long want = lowest_free(s);
	long routes = routes_of(fd, s->ioasid[i]);

	if (!want) {
		EXPECT_EQ(-ENOSPC, slot_route(s, i, IOASID_DEVICE_ATTACH))
			TH_LOG("line %d: slot %d", line, i);
		EXPECT_EQ(routes, routes_of(fd, s->ioasid[i]))
			TH_LOG("line %d: slot %d", line, i);
	} else {
		EXPECT_EQ(0, slot_route(s, i, IOASID_DEVICE_ATTACH))
			TH_LOG("line %d: slot %d", line, i);
		s->wire[i] = want;
	}
	expect_slots(_metadata, line, s);
}

static void slot_detach(struct __test_metadata *_metadata, int line,
			struct slots *s, int i)
{
	EXPECT_EQ(0, slot_route(s, i, IOASID_DEVICE_DETACH))
		TH_LOG("line %d: slot %d", line, i);
	s->wire[i] = 0;
	expect_slots(_metadata, line, s);
}

#define ATTACH(i)	slot_attach(_metadata, __LINE__, self->fd, &s, i)
#define DETACH(i)	slot_detach(_metadata, __LINE__, &s, i)

/*
 * A routing ID of width 2 has PASIDs 1 to 3 for the routes of its
 * mediated devices: a fourth route fails with ENOSPC, attaches nothing
 * (it sends nothing, the IOASID counts no route, an IOASID that had no
 * page table still has none) and leaves the other routes as they were.
 * A detach gives its number back: detached in several orders, the routes
 * attached again take the smallest free number, and exactly as many
 * attach as numbers were given back.  On an IOASID of another kind of
 * IOMMU, the attach fails with ENOSPC while no number is free, and with
 * EMEDIUMTYPE, giving the number back, while one is.  Mediated devices of
 * another parent have PASIDs 1 to 3 of their own meanwhile.
 */
TEST_F(pv, a_routing_id_runs_out_and_gets_its_pasids_back)
{
	static const int slot_dev[NSLOTS] = { 0, 0, 1, 1, 0 };	/* m1, m2 */
	static const int slot_pasid[NSLOTS] = { NO_PASID, 1, NO_PASID, 5, 2 };
	struct slots s;
	int parent, m1, m2, other, n, bpf;
	long bare, bb, q[4];
	int i;

	REQ(REQ-PVIRT-SPACE, REQ-PVIRT-RELEASE, REQ-PVIRT-RID,
	    REQ-TESTIF-WIRE-ORDER, REQ-ARG-NOCHANGE, REQ-IOASID-NOCMD,
	    REQ-ATTACH-COMPAT);
	parent = new_pf(2, CLASS_A);
	ASSERT_LE(0, parent);
	m1 = new_mdev(parent, 4, 0);
	ASSERT_LE(0, m1);
	m2 = new_mdev(parent, 4, 0);
	ASSERT_LE(0, m2);
	for (i = 0; i < NSLOTS; i++) {
		s.dev[i] = slot_dev[i] ? m2 : m1;
		s.pasid[i] = slot_pasid[i];
		s.ioasid[i] = data_ioasid(20 + i);
		ASSERT_LE(1, s.ioasid[i]);
		s.wire[i] = 0;
	}
	EXPECT_SLOTS(&s);
	ATTACH(0);
	ATTACH(1);
	ATTACH(2);
	ATTACH(3);		/* ENOSPC */
	ATTACH(4);		/* ENOSPC */
	ATTACH(3);		/* ENOSPC again: the failures left nothing */
	/* an IOASID without a page table gets none */
	bare = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, bare);
	EXPECT_EQ(-ENOSPC, device_attach_pasid(m2, bare, 6));
	EXPECT_EQ(0, ioasid_info_flags(self->fd, bare));
	EXPECT_EQ(0, routes_of(self->fd, bare));
	EXPECT_EQ(-ENXIO, ioasid_map(self->fd, bare, self->mems[0], IOVA0,
				     PG, IOASID_DMA_RW));
	EXPECT_UNSENT(m2, 6);
	EXPECT_SLOTS(&s);
	/* the middle number back, and taken */
	DETACH(1);
	ATTACH(3);
	ATTACH(1);		/* ENOSPC */
	/* both ends back: the smaller first */
	DETACH(0);
	DETACH(2);
	ATTACH(4);
	ATTACH(1);
	ATTACH(0);		/* ENOSPC */
	/* everything back, last attached first */
	DETACH(1);
	DETACH(4);
	DETACH(3);
	ATTACH(2);
	ATTACH(0);
	ATTACH(3);
	ATTACH(4);		/* ENOSPC */
	/* two back, the larger first */
	DETACH(3);
	DETACH(0);
	ATTACH(1);
	ATTACH(4);
	ATTACH(0);		/* ENOSPC */
	/* first attached first */
	DETACH(2);
	DETACH(1);
	DETACH(4);
	for (i = 0; i < NSLOTS; i++)
		EXPECT_EQ(0, s.wire[i]);
	ATTACH(3);
	ATTACH(4);
	ATTACH(0);
	/*
	 * an IOASID of another kind of IOMMU: ENOSPC comes first; with a
	 * number free, EMEDIUMTYPE, and the number is given back
	 */
	bpf = new_pf(0, CLASS_B);
	ASSERT_LE(0, bpf);
	ASSERT_LE(1, device_bind(bpf, self->fd));
	bb = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, bb);
	ASSERT_EQ(0, device_attach(bpf, bb));
	ASSERT_EQ(0, device_detach(bpf, bb));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(m2, bb, 6));
	EXPECT_SLOTS(&s);
	DETACH(4);
	EXPECT_EQ(-EMEDIUMTYPE, device_attach_pasid(m2, bb, 6));
	EXPECT_EQ(-EMEDIUMTYPE, device_attach(m2, bb));
	EXPECT_UNSENT(m2, 6);
	EXPECT_EQ(0, routes_of(self->fd, bb));
	EXPECT_SLOTS(&s);
	ATTACH(4);
	ATTACH(1);		/* ENOSPC */
	/* another parent's routing ID has numbers of its own */
	other = new_pf(2, CLASS_A);
	ASSERT_LE(0, other);
	n = new_mdev(other, 4, 0);
	ASSERT_LE(0, n);
	for (i = 0; i < 4; i++) {
		q[i] = data_ioasid(30 + i);
		ASSERT_LE(1, q[i]);
	}
	ASSERT_EQ(0, device_attach(n, q[0]));
	for (i = 1; i < 3; i++)
		ASSERT_EQ(0, device_attach_pasid(n, q[i], i));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(n, q[3], 3));
	EXPECT_ROUTE(n, NO_PASID, 1, ID(30, 0));
	EXPECT_ROUTE(n, 1, 2, ID(31, 0));
	EXPECT_ROUTE(n, 2, 3, ID(32, 0));
	EXPECT_UNSENT(n, 3);
	EXPECT_SLOTS(&s);
	ATTACH(1);		/* ENOSPC: the other parent's are not ours */
}

/*
 * The PASID routes of mediated devices with ENQCMD that are attached to
 * one IOASID carry one number, the IOASID's global PASID, whichever
 * device and routing ID they belong to and whatever the user's PASIDs;
 * another IOASID has another one.  No routing ID gives a route a number of
 * its own that is a global PASID, and no global PASID is a number that a
 * routing ID gives, whichever was given first.  A plain mediated device's
 * PASID route to the same IOASID carries a number of its routing ID.  A
 * global PASID beyond a routing ID's width fails the attach of a route
 * that would carry it with ENOSPC, changing nothing.
 */
TEST_F(pv, enqcmd_routes_share_their_ioasids_global_pasid)
{
	int p1, p2, p3, pn, e1, e1b, e2, m3, m4, m1, en, rdev[6];
	long x, y, z, d, w, v, gx, gy, gw, r[8];
	int i, j;

	REQ(REQ-PVIRT-GLOBAL, REQ-PVIRT-SPACE, REQ-PVIRT-RID,
	    REQ-PVIRT-ROUTE, REQ-ARG-NOCHANGE);
	NEED_CAPS(CAPS_ENQCMD, "ENQCMD");
	p1 = new_pf(8, CLASS_A);
	p2 = new_pf(8, CLASS_A);
	p3 = new_pf(8, CLASS_A);
	pn = new_pf(2, CLASS_A);
	ASSERT_LE(0, p1);
	ASSERT_LE(0, p2);
	ASSERT_LE(0, p3);
	ASSERT_LE(0, pn);
	e1 = new_mdev(p1, 8, 1);
	e1b = new_mdev(p1, 8, 1);
	e2 = new_mdev(p2, 8, 1);
	m1 = new_mdev(p1, 8, 0);
	m3 = new_mdev(p3, 8, 0);
	m4 = new_mdev(p3, 8, 0);
	en = new_mdev(pn, 8, 1);
	ASSERT_LE(0, e1);
	ASSERT_LE(0, e1b);
	ASSERT_LE(0, e2);
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m3);
	ASSERT_LE(0, m4);
	ASSERT_LE(0, en);
	x = data_ioasid(1);
	y = data_ioasid(2);
	z = data_ioasid(3);
	d = data_ioasid(4);
	w = data_ioasid(5);
	ASSERT_LE(1, x);
	ASSERT_LE(1, y);
	ASSERT_LE(1, z);
	ASSERT_LE(1, d);
	ASSERT_LE(1, w);
	/* a number of p3's own first */
	ASSERT_EQ(0, device_attach(m3, z));
	r[0] = wire_of(m3, NO_PASID);
	ASSERT_LE(1, r[0]);
	/* three devices, two routing IDs, two user's PASIDs, one IOASID */
	ASSERT_EQ(0, device_attach_pasid(e1, x, 3));
	gx = wire_of(e1, 3);
	EXPECT_LE(1, gx);
	EXPECT_NE(r[0], gx);
	ASSERT_EQ(0, device_attach_pasid(e1b, x, 7));
	ASSERT_EQ(0, device_attach_pasid(e2, x, 3));
	EXPECT_ROUTE(e1, 3, gx, ID(1, 0));
	EXPECT_ROUTE(e1b, 7, gx, ID(1, 0));
	EXPECT_ROUTE(e2, 3, gx, ID(1, 0));
	/* another IOASID, another number */
	ASSERT_EQ(0, device_attach_pasid(e1, y, 4));
	ASSERT_EQ(0, device_attach_pasid(e2, y, 9));
	gy = wire_of(e1, 4);
	EXPECT_LE(1, gy);
	EXPECT_NE(gx, gy);
	EXPECT_NE(r[0], gy);
	EXPECT_ROUTE(e1, 4, gy, ID(2, 0));
	EXPECT_ROUTE(e2, 9, gy, ID(2, 0));
	/* routing IDs' own numbers given after: none is a global PASID */
	ASSERT_EQ(0, device_attach(m4, d));
	ASSERT_EQ(0, device_attach(e1, d));
	ASSERT_EQ(0, device_attach(e1b, d));
	ASSERT_EQ(0, device_attach(e2, d));
	ASSERT_EQ(0, device_attach_pasid(m1, x, 3));
	rdev[0] = m3;
	rdev[1] = m4;
	rdev[2] = e1;
	rdev[3] = e1b;
	rdev[4] = e2;
	rdev[5] = m1;
	for (i = 0; i < 6; i++) {
		int pasid = i == 5 ? 3 : NO_PASID;

		r[i] = wire_of(rdev[i], pasid);
		EXPECT_LE(1, r[i]) TH_LOG("route %d", i);
		EXPECT_NE(gx, r[i]) TH_LOG("route %d", i);
		EXPECT_NE(gy, r[i]) TH_LOG("route %d", i);
		EXPECT_ROUTE(rdev[i], pasid, r[i],
			     ID(i == 0 ? 3 : i == 5 ? 1 : 4, 0));
	}
	/* distinct on each routing ID: p3 (0, 1), p1 (2, 3, 5) */
	EXPECT_NE(r[0], r[1]);
	EXPECT_NE(r[2], r[3]);
	EXPECT_NE(r[2], r[5]);
	EXPECT_NE(r[3], r[5]);
	/* the narrow routing ID: 1 to 3, which gx and gy fit */
	ASSERT_GT(4, gx);
	ASSERT_GT(4, gy);
	ASSERT_EQ(0, device_attach_pasid(en, x, 6));
	EXPECT_ROUTE(en, 6, gx, ID(1, 0));
	/*
	 * w's global PASID is a new number, beyond the narrow width: learnt,
	 * kept by w without a route, refused to en, and carried again
	 */
	ASSERT_EQ(0, device_attach_pasid(e2, w, 2));
	gw = wire_of(e2, 2);
	EXPECT_LE(4, gw);
	ASSERT_EQ(0, device_detach_pasid(e2, w, 2));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(en, w, 2));
	EXPECT_UNSENT(en, 2);
	EXPECT_EQ(0, routes_of(self->fd, w));
	EXPECT_EQ(0, testif_map_pasid(self->testif, self->fd, w, 2));
	EXPECT_ENQCMD(e2, 2, gw, BLOCKED_ID);
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, 2));
	ASSERT_EQ(0, device_attach_pasid(e2, w, 2));
	EXPECT_ROUTE(e2, 2, gw, ID(5, 0));
	/* and refused while w has it */
	EXPECT_EQ(-ENOSPC, device_attach_pasid(en, w, 2));
	EXPECT_UNSENT(en, 2);
	EXPECT_ROUTE(e2, 2, gw, ID(5, 0));
	EXPECT_EQ(1, routes_of(self->fd, w));
	EXPECT_ROUTE(en, 6, gx, ID(1, 0));
	/*
	 * v's first route is en's: the global PASID it would make lies
	 * beyond the width, so v is left without one, and the number goes
	 * to v's next route, of a wide routing ID
	 */
	v = data_ioasid(6);
	ASSERT_LE(1, v);
	EXPECT_EQ(-ENOSPC, device_attach_pasid(en, v, 2));
	EXPECT_UNSENT(en, 2);
	EXPECT_EQ(-ENODATA, testif_map_pasid(self->testif, self->fd, v, 2));
	ASSERT_EQ(0, device_attach_pasid(e2, v, 5));
	EXPECT_LE(4, wire_of(e2, 5));
	EXPECT_NE(gw, wire_of(e2, 5));
	EXPECT_ROUTE(e2, 5, wire_of(e2, 5), ID(6, 0));
	/* every number once more: the global ones apart from the others */
	r[6] = gx;
	r[7] = gy;
	for (i = 0; i < 6; i++)
		for (j = 6; j < 8; j++)
			EXPECT_NE(r[j], r[i]);
	EXPECT_NE(gw, gx);
	EXPECT_NE(gw, gy);
	for (i = 0; i < 6; i++)
		EXPECT_NE(gw, r[i]);
	EXPECT_ROUTE(e1, 3, gx, ID(1, 0));
	EXPECT_ROUTE(e1b, 7, gx, ID(1, 0));
	EXPECT_ROUTE(e2, 3, gx, ID(1, 0));
	EXPECT_ROUTE(e1, 4, gy, ID(2, 0));
}

/*
 * Two mediated devices with ENQCMD of one parent attach a route each to
 * one IOASID: both carry its global PASID.  When one is detached, the
 * other still translates; when both are, neither sends anything, and the
 * IOASID keeps its global PASID, which a route attached again carries and
 * no other IOASID gets; when the IOASID is freed, the next IOASID that
 * gets a global PASID gets the same number.
 */
TEST_F(pv, a_shared_global_pasid_outlives_one_of_its_routes)
{
	uint8_t *xmem;
	int parent, e1, e2;
	long x, y, g;

	REQ(REQ-PVIRT-RELEASE, REQ-PVIRT-GLOBAL, REQ-PVIRT-ROUTE,
	    REQ-TESTIF-WIRE-ORDER);
	NEED_CAPS(CAPS_ENQCMD, "ENQCMD");
	parent = new_pf(8, CLASS_A);
	ASSERT_LE(0, parent);
	e1 = new_mdev(parent, 8, 1);
	e2 = new_mdev(parent, 8, 1);
	ASSERT_LE(0, e1);
	ASSERT_LE(0, e2);
	x = data_ioasid_mem(self, 1, &xmem);
	y = data_ioasid(2);
	ASSERT_LE(1, x);
	ASSERT_LE(1, y);
	ASSERT_EQ(0, device_attach_pasid(e1, x, 2));
	ASSERT_EQ(0, device_attach_pasid(e2, x, 6));
	g = wire_of(e1, 2);
	EXPECT_LE(1, g);
	EXPECT_ROUTE(e1, 2, g, ID(1, 0));
	EXPECT_ROUTE(e2, 6, g, ID(1, 0));
	EXPECT_EQ(2, routes_of(self->fd, x));
	/* one detached: the other's translation stays */
	ASSERT_EQ(0, device_detach_pasid(e1, x, 2));
	EXPECT_UNSENT(e1, 2);
	EXPECT_ROUTE(e2, 6, g, ID(1, 0));
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_poke(e2, 6, 0, 0x66666666));
	EXPECT_EQ(0x66666666, poked(xmem));
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION, dma_poke(e1, 2, 0, 0x2222));
	EXPECT_EQ(0x66666666, poked(xmem));
	/* attached again: the same number, which x kept */
	ASSERT_EQ(0, device_attach_pasid(e1, x, 2));
	EXPECT_ROUTE(e1, 2, g, ID(1, 0));
	/* the other order */
	ASSERT_EQ(0, device_detach_pasid(e2, x, 6));
	EXPECT_UNSENT(e2, 6);
	EXPECT_ROUTE(e1, 2, g, ID(1, 0));
	ASSERT_EQ(0, device_detach_pasid(e1, x, 2));
	EXPECT_UNSENT(e1, 2);
	EXPECT_UNSENT(e2, 6);
	EXPECT_EQ(0, routes_of(self->fd, x));
	/* x keeps g without a route: a monitor can still map it */
	EXPECT_EQ(0, testif_map_pasid(self->testif, self->fd, x, 1));
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, 1));
	/* kept: y gets another number, x's route g again */
	ASSERT_EQ(0, device_attach_pasid(e2, y, 6));
	EXPECT_NE(g, wire_of(e2, 6));
	EXPECT_LE(1, wire_of(e2, 6));
	EXPECT_ROUTE(e2, 6, wire_of(e2, 6), ID(2, 0));
	ASSERT_EQ(0, device_attach_pasid(e1, x, 2));
	EXPECT_ROUTE(e1, 2, g, ID(1, 0));
	/* x freed: given back, the next global PASID is the same number */
	ASSERT_EQ(0, device_detach_pasid(e1, x, 2));
	ASSERT_EQ(0, ioasid_free_one(self->fd, x));
	x = data_ioasid(3);
	ASSERT_LE(1, x);
	ASSERT_EQ(0, device_attach_pasid(e1, x, 2));
	EXPECT_ROUTE(e1, 2, g, ID(3, 0));
}

/*
 * IOASID_TEST_MAP_PASID enters an IOASID's global PASID for a guest's
 * PASID in the CPU's table of its open file, once the IOASID has one;
 * an ENQCMD DMA of a mediated device with ENQCMD created through that
 * file carries it and reaches the IOASID's memory, whatever route the
 * device uses.  Every bad argument fails with its errno and changes no
 * table; IOASID_TEST_DMA_ENQCMD is refused on other devices and without
 * IOASID_TEST_DMA_PASID; an ENQCMD DMA of a guest's PASID that the table
 * does not translate, or that another file's table does, is not sent.
 */
TEST_F(pv, map_pasid_translates_the_guests_pasid)
{
	struct ioasid_test_map_pasid mvalid = {
		.argsz = sizeof(mvalid),
	};
	struct ioasid_test_unmap_pasid uvalid = {
		.argsz = sizeof(uvalid),
	};
	int parent, e, m, pf, other, e2, closed;
	uint8_t *xmem, *ymem;
	long x, y, gone, g, gy;

	REQ(REQ-TESTIF-CPU-PASID, REQ-TESTIF-DMA-WIRE, REQ-PVIRT-GLOBAL,
	    REQ-TESTIF-WIRE-ORDER,
	    REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-RESERVED, REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	NEED_CAPS(CAPS_ENQCMD, "ENQCMD");
	ASSERT_EQ(24, sizeof(mvalid));
	ASSERT_EQ(16, sizeof(uvalid));
	parent = new_pf(8, CLASS_A);
	ASSERT_LE(0, parent);
	e = new_mdev(parent, 20, 1);
	m = new_mdev(parent, 8, 0);
	pf = new_pf(8, CLASS_A);
	ASSERT_LE(0, e);
	ASSERT_LE(0, m);
	ASSERT_LE(0, pf);
	ASSERT_LE(1, device_bind(pf, self->fd));
	x = data_ioasid_mem(self, 1, &xmem);
	y = data_ioasid_mem(self, 2, &ymem);
	gone = data_ioasid(3);
	ASSERT_LE(1, x);
	ASSERT_LE(1, y);
	ASSERT_LE(1, gone);
	ASSERT_EQ(0, ioasid_free_one(self->fd, gone));
	/* no global PASID while no ENQCMD route is attached */
	EXPECT_EQ(-ENODATA, testif_map_pasid(self->testif, self->fd, x, 10));
	ASSERT_EQ(0, device_attach(pf, x));
	ASSERT_EQ(0, device_attach_pasid(pf, x, 10));
	ASSERT_EQ(0, device_attach_pasid(m, x, 10));
	ASSERT_EQ(0, device_attach(e, x));	/* a number of the RID's */
	EXPECT_EQ(-ENODATA, testif_map_pasid(self->testif, self->fd, x, 10));
	EXPECT_ENQCMD_UNSENT(e, 10);
	/* an ENQCMD route: a global PASID, which the CPU now translates */
	ASSERT_EQ(0, device_attach_pasid(e, x, 4));
	g = wire_of(e, 4);
	EXPECT_LE(1, g);
	EXPECT_ENQCMD_UNSENT(e, 10);
	ASSERT_EQ(0, testif_map_pasid(self->testif, self->fd, x, 10));
	EXPECT_ENQCMD(e, 10, g, ID(1, 0));
	EXPECT_EQ(IOASID_TEST_DMA_OK, dma_poke(e, 10, 1, 0x10101010));
	EXPECT_EQ(0x10101010, poked(xmem));
	EXPECT_ENQCMD_UNSENT(e, 4);
	/* y gets one too, for guest PASID 11 */
	ASSERT_EQ(0, device_attach_pasid(e, y, 5));
	gy = wire_of(e, 5);
	EXPECT_NE(g, gy);
	ASSERT_EQ(0, testif_map_pasid(self->testif, self->fd, y, 11));
	EXPECT_ENQCMD(e, 11, gy, ID(2, 0));
	/* errors, each leaving the table as it is */
	EXPECT_EQ(-EBUSY, testif_map_pasid(self->testif, self->fd, y, 10));
	EXPECT_EQ(-EBUSY, testif_map_pasid(self->testif, self->fd, x, 10));
	EXPECT_EQ(-ENOENT, testif_map_pasid(self->testif, self->fd, gone, 12));
	EXPECT_EQ(-ENOENT, testif_map_pasid(self->testif, self->fd, 0, 12));
	EXPECT_EQ(-ENOENT, testif_map_pasid(self->testif, self->fd,
					    0x7fffffff, 12));
	EXPECT_EQ(-EINVAL, testif_map_pasid(self->testif, self->testif, x,
					    12));
	EXPECT_EQ(-EINVAL, testif_map_pasid(self->testif, e, x, 12));
	closed = next_fd();
	ASSERT_LE(0, closed);
	EXPECT_EQ(-EBADF, testif_map_pasid(self->testif, closed, x, 12));
	EXPECT_EQ(-EBADF, testif_map_pasid(self->testif, -1, x, 12));
	EXPECT_EQ(-EINVAL, testif_map_pasid(self->testif, self->fd, x,
					    PASID_LIMIT));
	EXPECT_EQ(-EINVAL, testif_map_pasid(self->testif, self->fd, x,
					    0xffffffffu));
	EXPECT_EQ(-ENOENT, testif_unmap_pasid(self->testif, 12));
	EXPECT_EQ(-EINVAL, testif_unmap_pasid(self->testif, PASID_LIMIT));
	EXPECT_EQ(-EINVAL, testif_unmap_pasid(self->testif, 0xffffffffu));
	mvalid.ioasid_fd = self->fd;
	mvalid.ioasid = x;
	mvalid.vpasid = 12;
	check_bad_args(_metadata, self->testif, IOASID_TEST_MAP_PASID,
		       &mvalid, sizeof(mvalid), 0,
		       offsetof(struct ioasid_test_map_pasid, __reserved));
	uvalid.vpasid = 10;
	check_bad_args(_metadata, self->testif, IOASID_TEST_UNMAP_PASID,
		       &uvalid, sizeof(uvalid), 0,
		       offsetof(struct ioasid_test_unmap_pasid, __reserved));
	EXPECT_ENQCMD(e, 10, g, ID(1, 0));
	EXPECT_ENQCMD(e, 11, gy, ID(2, 0));
	EXPECT_ENQCMD_UNSENT(e, 12);
	/* the refused entry is free still, and so is the last PASID */
	EXPECT_EQ(0, testif_map_pasid(self->testif, self->fd, y, 12));
	EXPECT_ENQCMD(e, 12, gy, ID(2, 0));
	EXPECT_EQ(0, testif_map_pasid(self->testif, self->fd, x,
				      PASID_LIMIT - 1));
	EXPECT_ENQCMD(e, PASID_LIMIT - 1, g, ID(1, 0));
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, PASID_LIMIT - 1));
	EXPECT_ENQCMD_UNSENT(e, PASID_LIMIT - 1);
	/* ENQCMD on other devices, or without a PASID */
	EXPECT_EQ(-EINVAL, dma_poke(pf, 10, 1, 0xbad));
	EXPECT_EQ(-EINVAL, dma_poke(m, 10, 1, 0xbad));
	EXPECT_EQ(-EINVAL, dma_poke(e, NO_PASID, 1, 0xbad));
	EXPECT_EQ(-EINVAL, dma_seen(pf, 10, IOVA0, 1).st);
	EXPECT_EQ(-EINVAL, dma_seen(m, 10, IOVA0, 1).st);
	EXPECT_EQ(-EINVAL, dma_seen(e, NO_PASID, IOVA0, 1).st);
	EXPECT_EQ(0x10101010, poked(xmem));
	/* a guest's PASID that the table does not translate */
	EXPECT_ENQCMD_UNSENT(e, 13);
	EXPECT_EQ(IOASID_TEST_DMA_NO_TRANSLATION, dma_poke(e, 13, 1, 0x1313));
	EXPECT_NE(0x1313, poked(xmem));
	EXPECT_NE(0x1313, poked(ymem));
	/* another file's table: its device does not see this one's entries */
	other = keep(self, open("/dev/ioasid-test", O_RDWR | O_CLOEXEC));
	ASSERT_LE(0, other);
	e2 = mdev_via(self, other, parent, CLASS_A, 8, 1, self->fd);
	ASSERT_LE(0, e2);
	EXPECT_ENQCMD_UNSENT(e2, 10);
	EXPECT_ENQCMD_UNSENT(e2, 11);
	ASSERT_EQ(0, testif_map_pasid(other, self->fd, y, 10));
	EXPECT_ENQCMD(e2, 10, gy, ID(2, 0));
	EXPECT_ENQCMD(e, 10, g, ID(1, 0));
	/* unmapped: not sent any more, and unmapped once only */
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, 10));
	EXPECT_ENQCMD_UNSENT(e, 10);
	EXPECT_ENQCMD(e2, 10, gy, ID(2, 0));
	EXPECT_EQ(-ENOENT, testif_unmap_pasid(self->testif, 10));
	EXPECT_ENQCMD(e, 11, gy, ID(2, 0));
	/* the mediated path through the route is the same number */
	EXPECT_ROUTE(e, 4, g, ID(1, 0));
	EXPECT_ROUTE(e, 5, gy, ID(2, 0));
	/*
	 * everything given back: the failures held nothing, so that with
	 * every route detached and x and y freed, no number is in use and
	 * the new global PASIDs are 1 and 2 (REQ-TESTIF-WIRE-ORDER)
	 */
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, 11));
	EXPECT_EQ(0, testif_unmap_pasid(self->testif, 12));
	EXPECT_EQ(0, testif_unmap_pasid(other, 10));
	ASSERT_EQ(0, device_detach_pasid(e, x, 4));
	ASSERT_EQ(0, device_detach_pasid(e, y, 5));
	ASSERT_EQ(0, device_detach(e, x));
	ASSERT_EQ(0, device_detach_pasid(m, x, 10));
	ASSERT_EQ(0, device_detach_pasid(pf, x, 10));
	ASSERT_EQ(0, device_detach(pf, x));
	ASSERT_EQ(0, ioasid_free_one(self->fd, x));
	ASSERT_EQ(0, ioasid_free_one(self->fd, y));
	y = data_ioasid(5);
	x = data_ioasid(6);
	ASSERT_LE(1, y);
	ASSERT_LE(1, x);
	ASSERT_EQ(0, device_attach_pasid(e2, y, 1));
	EXPECT_ROUTE(e2, 1, 1, ID(5, 0));
	ASSERT_EQ(0, device_attach_pasid(e, x, 1));
	EXPECT_ROUTE(e, 1, 2, ID(6, 0));
}

/*
 * An attach that fails in the IOMMU changes nothing: the route of a
 * mediated device keeps no number, and an ENQCMD route leaves its IOASID
 * without a global PASID.  The numbers given afterwards are those of a
 * history without the failures: the routing ID's own 1 first, then the
 * global PASID 2, which avoids it.
 */
TEST_F(pv, a_failed_attach_keeps_no_number)
{
	int parent, e, m;
	long x;

	REQ(REQ-ARG-NOCHANGE, REQ-PVIRT-RELEASE, REQ-TESTIF-FAIL,
	    REQ-TESTIF-WIRE-ORDER);
	NEED_CAPS(CAPS_ENQCMD | IOASID_TEST_CAP_FAIL, "ENQCMD and FAIL");
	parent = new_pf(8, CLASS_A);
	ASSERT_LE(0, parent);
	e = new_mdev(parent, 8, 1);
	m = new_mdev(parent, 8, 0);
	ASSERT_LE(0, e);
	ASSERT_LE(0, m);
	x = data_ioasid(1);
	ASSERT_LE(1, x);
	/* the first ENQCMD route of x fails: x has no global PASID */
	ASSERT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_ATTACH,
				      1));
	EXPECT_EQ(-ENOMEM, device_attach_pasid(e, x, 3));
	testif_fail_none(self->testif);
	EXPECT_UNSENT(e, 3);
	EXPECT_EQ(0, routes_of(self->fd, x));
	EXPECT_EQ(-ENODATA, testif_map_pasid(self->testif, self->fd, x, 3));
	/* a mediated default route fails: it keeps no number */
	ASSERT_EQ(0, testif_fail_next(self->testif, IOASID_TEST_FAIL_ATTACH,
				      1));
	EXPECT_EQ(-ENOMEM, device_attach(m, x));
	testif_fail_none(self->testif);
	EXPECT_UNSENT(m, NO_PASID);
	EXPECT_EQ(0, routes_of(self->fd, x));
	/* as if neither had been tried */
	ASSERT_EQ(0, device_attach(m, x));
	EXPECT_ROUTE(m, NO_PASID, 1, ID(1, 0));
	ASSERT_EQ(0, device_attach_pasid(e, x, 3));
	EXPECT_ROUTE(e, 3, 2, ID(1, 0));
}

/*
 * A mapping holds the global PASID: with the IOASID's routes detached and
 * the IOASID freed, the ENQCMD DMA of the guest's PASID still carries the
 * number, and is blocked, since no route carries it; no other IOASID and
 * no routing ID gets it, not while the file that mapped it is closed but
 * devices created through it live.  It is given back when the entry is
 * unmapped, or when the file and its devices are all closed: then a new
 * global PASID is that number again.  A second open of the test interface
 * observes.
 */
TEST_F(pv, a_mapped_global_pasid_is_held)
{
	int parent, e, m, q, f, n, b;
	long x, y, z, zw, v, u, t, g, gy, gv;

	REQ(REQ-PVIRT-RELEASE, REQ-TESTIF-CPU-PASID, REQ-PVIRT-GLOBAL,
	    REQ-PVIRT-RID, REQ-TESTIF-WIRE-ORDER);
	NEED_CAPS(CAPS_ENQCMD, "ENQCMD");
	b = keep(self, open("/dev/ioasid-test", O_RDWR | O_CLOEXEC));
	ASSERT_LE(0, b);
	parent = new_pf(8, CLASS_A);
	ASSERT_LE(0, parent);
	e = new_mdev(parent, 8, 1);
	m = new_mdev(parent, 8, 0);
	ASSERT_LE(0, e);
	ASSERT_LE(0, m);
	q = pf_via(self, b, 8, CLASS_A);
	ASSERT_LE(0, q);
	f = mdev_via(self, b, q, CLASS_A, 8, 1, self->fd);
	n = mdev_via(self, b, q, CLASS_A, 8, 0, self->fd);
	ASSERT_LE(0, f);
	ASSERT_LE(0, n);
	x = data_ioasid(1);
	y = data_ioasid(2);
	z = data_ioasid(3);
	zw = data_ioasid(4);
	ASSERT_LE(1, x);
	ASSERT_LE(1, y);
	ASSERT_LE(1, z);
	ASSERT_LE(1, zw);
	ASSERT_EQ(0, device_attach_pasid(e, x, 2));
	g = wire_of(e, 2);
	EXPECT_LE(1, g);
	ASSERT_EQ(0, testif_map_pasid(self->testif, self->fd, x, 5));
	EXPECT_ENQCMD(e, 5, g, ID(1, 0));
	/* x detached and freed: the entry still carries g, to no one */
	ASSERT_EQ(0, device_detach_pasid(e, x, 2));
	ASSERT_EQ(0, ioasid_free_one(self->fd, x));
	EXPECT_ENQCMD(e, 5, g, BLOCKED_ID);
	/* g is no one else's: not y's, nor a routing ID's own */
	ASSERT_EQ(0, device_attach_pasid(f, y, 3));
	gy = wire_of(f, 3);
	EXPECT_LE(1, gy);
	EXPECT_NE(g, gy);
	ASSERT_EQ(0, device_attach_pasid(e, y, 2));
	EXPECT_ROUTE(e, 2, gy, ID(2, 0));
	ASSERT_EQ(0, device_attach(m, z));
	ASSERT_EQ(0, device_attach(n, z));
	ASSERT_EQ(0, device_attach(e, z));
	EXPECT_NE(g, wire_of(m, NO_PASID));
	EXPECT_NE(g, wire_of(n, NO_PASID));
	EXPECT_NE(g, wire_of(e, NO_PASID));
	EXPECT_ROUTE(m, NO_PASID, wire_of(m, NO_PASID), ID(3, 0));
	EXPECT_ENQCMD(e, 5, g, BLOCKED_ID);
	ASSERT_EQ(0, device_detach(m, z));
	ASSERT_EQ(0, device_detach(n, z));
	ASSERT_EQ(0, device_detach(e, z));
	/* unmapped: the next global PASID is g again */
	ASSERT_EQ(0, testif_unmap_pasid(self->testif, 5));
	EXPECT_ENQCMD_UNSENT(e, 5);
	ASSERT_EQ(0, device_attach_pasid(f, z, 4));
	EXPECT_ROUTE(f, 4, g, ID(3, 0));
	ASSERT_EQ(0, device_attach_pasid(e, z, 1));
	EXPECT_ROUTE(e, 1, g, ID(3, 0));
	/* held again; the file closed, its devices open: held still */
	ASSERT_EQ(0, testif_map_pasid(self->testif, self->fd, z, 6));
	EXPECT_ENQCMD(e, 6, g, ID(3, 0));
	ASSERT_EQ(0, device_detach_pasid(f, z, 4));
	ASSERT_EQ(0, device_detach_pasid(e, z, 1));
	ASSERT_EQ(0, ioasid_free_one(self->fd, z));
	v = data_ioasid(5);
	u = data_ioasid(6);
	ASSERT_LE(1, v);
	ASSERT_LE(1, u);
	close(self->testif);
	self->testif = -1;
	ASSERT_EQ(0, device_attach_pasid(f, v, 5));
	gv = wire_of(f, 5);
	EXPECT_LE(1, gv);
	EXPECT_NE(g, gv);
	EXPECT_NE(gy, gv);
	ASSERT_EQ(0, device_attach(n, zw));
	EXPECT_NE(g, wire_of(n, NO_PASID));
	ASSERT_EQ(0, device_detach(n, zw));
	EXPECT_ENQCMD(e, 6, g, BLOCKED_ID);
	EXPECT_ENQCMD_UNSENT(f, 6);
	/*
	 * the file's devices closed but the anchor, which was created
	 * through it too: held still; the anchor closed: g is free
	 */
	drop(self, e);
	drop(self, m);
	drop(self, parent);
	EXPECT_ENQCMD_UNSENT(f, 6);
	ASSERT_EQ(0, device_attach_pasid(f, u, 6));
	EXPECT_NE(g, wire_of(f, 6));
	ASSERT_EQ(0, device_detach_pasid(f, u, 6));
	/* t gets its page table while the anchor lives */
	t = data_ioasid(7);
	ASSERT_LE(1, t);
	close(self->anchor);
	self->anchor = -1;
	ASSERT_EQ(0, device_attach_pasid(f, t, 7));
	EXPECT_ROUTE(f, 7, g, ID(7, 0));
	/* u kept the number it got while g was held */
	ASSERT_EQ(0, device_attach_pasid(f, u, 8));
	EXPECT_NE(g, wire_of(f, 8));
	EXPECT_ROUTE(f, 8, wire_of(f, 8), ID(6, 0));
	EXPECT_ROUTE(f, 3, gy, ID(2, 0));
	EXPECT_ROUTE(f, 5, gv, ID(5, 0));
}

/* Hardware nesting: guest RAM, stage-1 tables and PASID tables. */
#define RAM_PAGES	4
#define RAM_TAG		40
#define GPA(i)		(0x100000ull + (uint64_t)(i) * PG)
#define TABLES		0x200000ull	/* GPA of the stage-1 pool */
#define S1_PAGES	4
#define PTAB		0x300000ull	/* GPA of a PASID table page */
#define PTAB2		0x301000ull	/* and of a second one */
#define GIOVA(j)	(0x40000000ull + (uint64_t)(j) * PG)

/*
 * A class N setup: guest RAM of RAM_PAGES distinct pages mapped at
 * GPA(i) in gpa, to which @dev's default route was attached; a stage-1
 * pool mapped read-only at TABLES that maps GIOVA(0) to GPA(0); two
 * zeroed PASID table pages mapped read-only at PTAB and PTAB2, whose
 * entry 0 names the pool's root.
 */
struct hw {
	uint8_t *ram;
	uint64_t *ptabs;
	struct s1_tables t;
};

static void hw_release(struct hw *h)
{
	if (h->ram && h->ram != MAP_FAILED)
		munmap(h->ram, RAM_PAGES * PG);
	if (h->ptabs && (void *)h->ptabs != MAP_FAILED)
		munmap(h->ptabs, 2 * PG);
	s1_release(&h->t);
}

static long hw_setup(struct hw *h, int fd, long gpa)
{
	long ret = 0;
	int i;

	h->ram = test_memory(RAM_PAGES * PG, PG, 0);
	h->ptabs = (uint64_t *)test_memory(2 * PG, PG, 0);
	if (h->ram == MAP_FAILED || (void *)h->ptabs == MAP_FAILED ||
	    s1_init(&h->t, S1_PAGES, TABLES))
		return -ENOMEM;
	fill_pages(h->ram, RAM_PAGES, RAM_TAG);
	for (i = 0; i < RAM_PAGES && !ret; i++)
		ret = ioasid_map(fd, gpa, h->ram + i * PG, GPA(i), PG,
				 IOASID_DMA_RW);
	for (i = 0; i < S1_PAGES && !ret; i++)
		ret = ioasid_map(fd, gpa, (uint8_t *)h->t.mem + i * PG,
				 TABLES + i * PG, PG, IOASID_DMA_READ);
	if (!ret)
		ret = ioasid_map(fd, gpa, h->ptabs, PTAB, 2 * PG,
				 IOASID_DMA_READ);
	if (!ret)
		ret = s1_map(&h->t, GIOVA(0), GPA(0), S1_RW, 0);
	h->ptabs[0] = PASID_ENTRY(TABLES);
	h->ptabs[PG / 8] = PASID_ENTRY(TABLES);
	return ret;
}

/* Point the leaf of GIOVA(0) at GPA(@page), with one store. */
static void hw_point(struct hw *h, int page)
{
	uint64_t *e = s1_entry(&h->t, GIOVA(0), 0);

	__atomic_store_n(e, (GPA(page) & S1_ADDR) | S1_RW, __ATOMIC_RELEASE);
}

#define VP		200	/* a user's PASID beyond any wire of width 4 */

/* A read at GIOVA(0) by route @pasid of @dev finds @id. */
static void expect_giova(struct __test_metadata *_metadata, int line,
			 int dev, int pasid, long id)
{
	expect_dma(_metadata, line, dev, pasid, GIOVA(0), 0,
		   wire_of(dev, pasid), id);
}

#define EXPECT_GIOVA(dev, pasid, id) \
	expect_giova(_metadata, __LINE__, dev, pasid, id)

/*
 * An invalidation of a child of hardware nesting with IOASID_INV_PASID
 * selects the routes attached to it with the user's PASID it names, on
 * mediated devices whose routes carry other numbers on the wire: with
 * GIOVA(0) cached through route VP of two mediated devices of one class N
 * parent and its stage-1 entry changed, an invalidation of another PASID
 * (the number route VP of either carries on the wire among them) leaves
 * the old translation in use; one of PASID VP makes both devices walk the
 * new entry.
 */
TEST_F(pv, invalidation_selects_routes_by_the_users_pasid)
{
	struct hw h = {};
	long gpa, gva, w5[2];
	int parent, m[2], i;

	REQ(REQ-PVIRT-INV, REQ-NEST-INV, REQ-PVIRT-ROUTE, REQ-TESTIF-FORMAT);
	NEED_CAPS(CAPS_HW, "HW_NESTING");
	parent = new_pf(4, CLASS_N);
	ASSERT_LE(0, parent);
	for (i = 0; i < 2; i++) {
		m[i] = mdev_via(self, self->testif, parent, CLASS_N, 8, 0,
				self->fd);
		ASSERT_LE(0, m[i]);
	}
	gpa = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, gpa);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, device_attach(m[i], gpa));
	ASSERT_EQ(0, hw_setup(&h, self->fd, gpa));
	gva = ioasid_nest(self->fd, gpa);
	ASSERT_LE(1, gva);
	ASSERT_EQ(0, ioasid_bind_test(self->fd, gva, TABLES));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, device_attach_pasid(m[i], gva, VP));
		w5[i] = wire_of(m[i], VP);
		ASSERT_LE(1, w5[i]);
		ASSERT_NE(VP, w5[i]);
	}
	EXPECT_NE(w5[0], w5[1]);
	for (i = 0; i < 2; i++) {
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 0));
		EXPECT_EQ(ID(RAM_TAG, 2),
			  dma_seen(m[i], NO_PASID, GPA(2), 0).id);
	}
	hw_point(&h, 1);
	for (i = 0; i < 2; i++)
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 0));
	/* PASIDs that no route of gva has */
	EXPECT_EQ(0, ioasid_inv_pasid(self->fd, gva, w5[0]));
	EXPECT_EQ(0, ioasid_inv_pasid(self->fd, gva, w5[1]));
	EXPECT_EQ(0, ioasid_inv_pasid(self->fd, gva, 4));
	for (i = 0; i < 2; i++)
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 0));
	/* route VP */
	EXPECT_EQ(0, ioasid_inv_pasid(self->fd, gva, VP));
	for (i = 0; i < 2; i++)
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 1));
	/* once more, with everything invalidated */
	hw_point(&h, 3);
	for (i = 0; i < 2; i++)
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 1));
	EXPECT_EQ(0, ioasid_inv_all(self->fd, gva));
	for (i = 0; i < 2; i++)
		EXPECT_GIOVA(m[i], VP, ID(RAM_TAG, 3));
	hw_release(&h);
}

/*
 * A guest that owns only a part of a routing ID cannot own its PASID
 * table: the default or a PASID route of a mediated device fails to
 * attach to a child with a PASID table with EINVAL, changing nothing,
 * where a physical function's attaches; and IOASID_BIND_PASID_TABLE on
 * a child to which a route of a mediated device is attached fails with
 * EINVAL and binds nothing, where it binds once the route is detached.
 */
TEST_F(pv, pasid_tables_exclude_mediated_devices)
{
	struct hw h = {};
	long gpa, ptab, c2, w;
	int parent, m, pf;

	REQ(REQ-PVIRT-TABLE, REQ-ARG-NOCHANGE, REQ-NEST-PT-BIND);
	NEED_CAPS(CAPS_HW, "HW_NESTING");
	parent = new_pf(4, CLASS_N);
	ASSERT_LE(0, parent);
	m = mdev_via(self, self->testif, parent, CLASS_N, 4, 0, self->fd);
	ASSERT_LE(0, m);
	pf = new_pf(4, CLASS_N);
	ASSERT_LE(0, pf);
	ASSERT_LE(1, device_bind(pf, self->fd));
	gpa = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, gpa);
	ASSERT_EQ(0, device_attach(m, gpa));
	ASSERT_EQ(0, device_attach(pf, gpa));
	ASSERT_EQ(0, hw_setup(&h, self->fd, gpa));
	w = wire_of(m, NO_PASID);
	ASSERT_LE(1, w);
	ptab = ioasid_nest(self->fd, gpa);
	ASSERT_LE(1, ptab);
	ASSERT_EQ(0, pasid_table_bind(self->fd, ptab, PTAB, 4));
	/* no route of the mediated device on a child with a PASID table */
	EXPECT_EQ(-EINVAL, device_attach(m, ptab));
	EXPECT_EQ(-EINVAL, device_attach_pasid(m, ptab, 3));
	EXPECT_EQ(0, routes_of(self->fd, ptab));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED |
		  IOASID_INFO_PASID_TABLE, ioasid_info_flags(self->fd, ptab));
	expect_dma(_metadata, __LINE__, m, NO_PASID, GPA(2), 0, w,
		   ID(RAM_TAG, 2));
	EXPECT_UNSENT(m, 3);
	/* a physical function's default route attaches */
	ASSERT_EQ(0, device_attach(pf, ptab));
	expect_dma(_metadata, __LINE__, pf, NO_PASID, GIOVA(0), 0, NO_PASID,
		   ID(RAM_TAG, 0));
	EXPECT_EQ(-EINVAL, device_attach(m, ptab));
	EXPECT_EQ(1, routes_of(self->fd, ptab));
	/* no PASID table on a child with a route of the mediated device */
	c2 = ioasid_nest(self->fd, gpa);
	ASSERT_LE(1, c2);
	ASSERT_EQ(0, device_attach(m, c2));
	EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, c2, PTAB2, 4));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED,
		  ioasid_info_flags(self->fd, c2));
	expect_dma(_metadata, __LINE__, m, NO_PASID, GIOVA(0), 0, w,
		   BLOCKED_ID);
	ASSERT_EQ(0, device_detach(m, c2));
	ASSERT_EQ(0, device_attach_pasid(m, c2, 3));
	EXPECT_EQ(-EINVAL, pasid_table_bind(self->fd, c2, PTAB2, 4));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED,
		  ioasid_info_flags(self->fd, c2));
	EXPECT_EQ(1, routes_of(self->fd, c2));
	/* the route detached, the same bind succeeds */
	ASSERT_EQ(0, device_detach_pasid(m, c2, 3));
	EXPECT_EQ(0, pasid_table_bind(self->fd, c2, PTAB2, 4));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_NESTED |
		  IOASID_INFO_PASID_TABLE, ioasid_info_flags(self->fd, c2));
	EXPECT_EQ(-EINVAL, device_attach_pasid(m, c2, 3));
	EXPECT_EQ(-EINVAL, device_attach(m, c2));
	EXPECT_EQ(0, routes_of(self->fd, c2));
	expect_dma(_metadata, __LINE__, m, NO_PASID, GPA(2), 0, w,
		   ID(RAM_TAG, 2));
	hw_release(&h);
}

/*
 * The default route of a mediated device counts for no IOMMU group: alone
 * on an IOASID it leaves the IOASID whole, also when its parent is one of
 * a group of two, and mappings are accepted; it does not stand for its
 * parent either, whose group peer's default route alone on the IOASID
 * still makes it partial.
 */
TEST_F(pv, a_mediated_default_route_is_outside_the_group_rule)
{
	int parent, peer, m, m2;
	long x;

	REQ(REQ-PVIRT-GROUP, REQ-GROUP, REQ-MAP-PARTIAL, REQ-INFO);
	parent = new_pf(4, CLASS_A);
	ASSERT_LE(0, parent);
	peer = testif_create_group_device(self->testif, CLASS_A, 4, parent);
	keep(self, peer);
	ASSERT_LE(0, peer);
	ASSERT_LE(1, device_bind(peer, self->fd));
	m = new_mdev(parent, 4, 0);
	m2 = new_mdev(parent, 4, 0);
	ASSERT_LE(0, m);
	ASSERT_LE(0, m2);
	ASSERT_NE(NULL, new_mem(self, 1));
	x = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, x);
	ASSERT_EQ(0, device_attach(m, x));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, x));
	EXPECT_EQ(0, missing_of(self->fd, x));
	ASSERT_EQ(0, ioasid_map(self->fd, x, self->mems[0], IOVA0, MEM_LEN,
				IOASID_DMA_RW));
	EXPECT_ROUTE(m, NO_PASID, wire_of(m, NO_PASID), ID(1, 0));
	ASSERT_EQ(0, device_attach(m2, x));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, x));
	EXPECT_EQ(0, missing_of(self->fd, x));
	/* the peer: the parent is missing, whatever its mediated devices */
	ASSERT_EQ(0, device_attach(peer, x));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA |
		  IOASID_INFO_PARTIAL, ioasid_info_flags(self->fd, x));
	EXPECT_EQ(1, missing_of(self->fd, x));
	EXPECT_EQ(-EPERM, ioasid_map(self->fd, x, self->mems[0],
				     IOVA0 + MEM_LEN, PG, IOASID_DMA_RW));
	EXPECT_ROUTE(m, NO_PASID, wire_of(m, NO_PASID), ID(1, 0));
	ASSERT_EQ(0, device_detach(peer, x));
	EXPECT_EQ(0, missing_of(self->fd, x));
	EXPECT_EQ(0, ioasid_map(self->fd, x, self->mems[0], IOVA0 + MEM_LEN,
				PG, IOASID_DMA_RW));
	/* detached: the mediated device's PASID routes count for nothing */
	ASSERT_EQ(0, device_detach(m, x));
	ASSERT_EQ(0, device_attach_pasid(m, x, 2));
	EXPECT_EQ(0, missing_of(self->fd, x));
	EXPECT_EQ(IOASID_INFO_PGTABLE | IOASID_INFO_MAP_DMA,
		  ioasid_info_flags(self->fd, x));
}

/*
 * IOASID_TEST_CREATE_DEVICE with an argument that is valid but for one
 * field: the errno, and no descriptor made, and no device (the parent
 * binds once its real mediated devices are closed).
 */
static void expect_create_fails(struct __test_metadata *_metadata, int line,
				FIXTURE_DATA(pv) *self,
				const struct ioasid_test_create_device *arg,
				long err)
{
	struct ioasid_test_create_device a = *arg;
	int before = next_fd();
	long ret;

	a.argsz = sizeof(a);
	a.out_fd = -7;
	ret = ioasid_ioctl(self->testif, IOASID_TEST_CREATE_DEVICE, &a);
	EXPECT_EQ(err, ret) TH_LOG("line %d", line);
	if (ret >= 0)
		keep(self, a.out_fd);
	EXPECT_EQ(before, next_fd()) TH_LOG("line %d", line);
}

#define EXPECT_CREATE_FAILS(err) \
	expect_create_fails(_metadata, __LINE__, self, &arg, err)

#define MEDIATED	IOASID_TEST_DEVICE_MEDIATED
#define ENQCMD		IOASID_TEST_DEVICE_ENQCMD

/*
 * A mediated device needs a parent that is an open test device, a
 * physical function with PASIDs behind an IOMMU of the same class, and
 * not bound; it is in a group of its own, and names none.  Without
 * MEDIATED, parent_fd and
 * ENQCMD are refused, and __reserved3 always.  No failure makes a device.
 * A parent with mediated devices does not bind until they are closed.
 */
TEST_F(pv, mediated_devices_are_created_under_rules)
{
	struct ioasid_test_create_device arg;
	int parent, bparent, narrow, m, m2, closed, other;

	REQ(REQ-TESTIF-MEDIATED, REQ-TESTIF-DEVICE, REQ-TESTIF-DEVICE-PROPS);
	parent = new_pf(4, CLASS_A);
	narrow = new_pf(0, CLASS_A);
	bparent = new_pf(4, CLASS_B);
	other = new_pf(4, CLASS_A);
	ASSERT_LE(0, parent);
	ASSERT_LE(0, narrow);
	ASSERT_LE(0, bparent);
	ASSERT_LE(0, other);
	m = new_mdev(parent, 4, 0);
	ASSERT_LE(0, m);
	memset(&arg, 0, sizeof(arg));
	arg.flags = MEDIATED;
	arg.pasid_bits = 4;
	arg.iommu_class = CLASS_A;
	/* not open */
	closed = next_fd();
	ASSERT_LE(0, closed);
	arg.parent_fd = closed;
	EXPECT_CREATE_FAILS(-EBADF);
	arg.parent_fd = -1;
	EXPECT_CREATE_FAILS(-EBADF);
	/* not a test device, a mediated device, no PASIDs, another class */
	arg.parent_fd = self->fd;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = self->testif;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = m;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = narrow;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = bparent;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = parent;
	arg.iommu_class = CLASS_B;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.iommu_class = 7;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.iommu_class = CLASS_A;
	/* in a group, or naming one without the flag */
	arg.flags = MEDIATED | IOASID_TEST_DEVICE_GROUP;
	arg.group_fd = parent;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.group_fd = other;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.flags = MEDIATED;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.group_fd = 0;
	/* __reserved3, and a width above 20 */
	arg.__reserved3 = 1;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.__reserved3 = 0;
	arg.pasid_bits = 21;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.pasid_bits = 4;
	/* a bound parent */
	ASSERT_LE(1, device_bind(other, self->fd));
	arg.parent_fd = other;
	EXPECT_CREATE_FAILS(-EBUSY);
	if (self->caps & CAPS_ENQCMD) {
		arg.flags = MEDIATED | ENQCMD;
		EXPECT_CREATE_FAILS(-EBUSY);
		arg.flags = MEDIATED;
	}
	ASSERT_EQ(0, device_unbind(other));
	m2 = keep(self, testif_create_mediated(self->testif, other, CLASS_A,
					       4, 0));
	EXPECT_LE(0, m2);
	EXPECT_EQ(-EBUSY, device_bind(other, self->fd));
	/* without MEDIATED */
	arg.flags = 0;
	arg.parent_fd = parent;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = 0;
	arg.flags = ENQCMD;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.parent_fd = parent;
	EXPECT_CREATE_FAILS(-EINVAL);
	arg.flags = 0;
	arg.parent_fd = 0;
	arg.__reserved3 = 1;
	EXPECT_CREATE_FAILS(-EINVAL);
	/* the same argument without the fault creates a device */
	arg.__reserved3 = 0;
	arg.flags = MEDIATED;
	arg.parent_fd = parent;
	arg.argsz = sizeof(arg);
	ASSERT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_CREATE_DEVICE,
				  &arg));
	ASSERT_LE(0, keep(self, arg.out_fd));
	EXPECT_NE(-1, fcntl(arg.out_fd, F_GETFD));
	EXPECT_TRUE(fcntl(arg.out_fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_LE(1, device_bind(arg.out_fd, self->fd));
	/* a parent with mediated devices binds once they are gone */
	EXPECT_EQ(-EBUSY, device_bind(parent, self->fd));
	drop(self, m);
	EXPECT_EQ(-EBUSY, device_bind(parent, self->fd));
	drop(self, arg.out_fd);
	EXPECT_LE(1, device_bind(parent, self->fd));
	drop(self, m2);
	EXPECT_LE(1, device_bind(other, self->fd));
	/* and, bound, gets none */
	EXPECT_EQ(-EBUSY, testif_create_mediated(self->testif, parent,
						 CLASS_A, 4, 0));
	EXPECT_EQ(0, device_unbind(parent));
	m = keep(self, testif_create_mediated(self->testif, parent, CLASS_A,
					      4, 0));
	EXPECT_LE(0, m);
	if (self->caps & CAPS_HW) {
		int pn = new_pf(4, CLASS_N);

		ASSERT_LE(0, pn);
		EXPECT_LE(0, keep(self, testif_create_mediated(self->testif,
							       pn, CLASS_N,
							       4, 0)));
		EXPECT_EQ(-EINVAL, testif_create_mediated(self->testif, pn,
							  CLASS_A, 4, 0));
	}
}

/*
 * A mediated device holds its parent's routing ID: with the parent's
 * descriptor closed, it still translates, carrying the same numbers, and
 * attaches more.  With the IOASID descriptor closed too, its routes still
 * translate and its commands still work.  Unbinding or closing a mediated
 * device gives its numbers back for another one of the parent's.
 */
TEST_F(pv, mediated_devices_outlive_their_parent_and_descriptor)
{
	int parent, m1, m2;
	long x, y, z, w1, w2, x2, w[3];

	REQ(REQ-DEV-CLOSE-CTX, REQ-DEV-CLOSED-CTX-CMDS, REQ-PVIRT-RELEASE,
	    REQ-UNBIND-DETACHES, REQ-DEV-CLOSE-DEVICE, REQ-TESTIF-MEDIATED);
	parent = new_pf(2, CLASS_A);
	ASSERT_LE(0, parent);
	m1 = new_mdev(parent, 4, 0);
	m2 = new_mdev(parent, 4, 0);
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	x = data_ioasid(1);
	y = data_ioasid(2);
	z = data_ioasid(3);
	ASSERT_LE(1, x);
	ASSERT_LE(1, y);
	ASSERT_LE(1, z);
	ASSERT_EQ(0, device_attach(m1, x));
	ASSERT_EQ(0, device_attach_pasid(m1, y, 1));
	w1 = wire_of(m1, NO_PASID);
	w2 = wire_of(m1, 1);
	w[0] = w1;
	w[1] = w2;
	EXPECT_TRUE(distinct_in(w, 2, 3));
	/* the parent closed */
	drop(self, parent);
	EXPECT_ROUTE(m1, NO_PASID, w1, ID(1, 0));
	EXPECT_ROUTE(m1, 1, w2, ID(2, 0));
	ASSERT_EQ(0, device_attach(m2, z));
	w[2] = wire_of(m2, NO_PASID);
	EXPECT_TRUE(distinct_in(w, 3, 3));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(m2, y, 2));
	EXPECT_UNSENT(m2, 2);
	/* the IOASID descriptor closed: the context lives on */
	ASSERT_EQ(0, device_unbind(self->anchor));
	close(self->fd);
	self->fd = -1;
	EXPECT_ROUTE(m1, NO_PASID, w1, ID(1, 0));
	EXPECT_ROUTE(m1, 1, w2, ID(2, 0));
	EXPECT_ROUTE(m2, NO_PASID, wire_of(m2, NO_PASID), ID(3, 0));
	/* m1 unbound: its numbers are m2's to take */
	ASSERT_EQ(0, device_unbind(m1));
	EXPECT_UNSENT(m1, NO_PASID);
	EXPECT_UNSENT(m1, 1);
	ASSERT_EQ(0, device_attach_pasid(m2, y, 2));
	ASSERT_EQ(0, device_attach_pasid(m2, x, 3));
	w[0] = wire_of(m2, NO_PASID);
	w[1] = wire_of(m2, 2);
	w[2] = wire_of(m2, 3);
	EXPECT_TRUE(distinct_in(w, 3, 3));
	EXPECT_ROUTE(m2, 2, wire_of(m2, 2), ID(2, 0));
	EXPECT_ROUTE(m2, 3, wire_of(m2, 3), ID(1, 0));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(m2, z, 4));
	/* m2 closed, the last binding of the context: m1's to take */
	drop(self, m2);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(1, device_bind(self->anchor, self->fd));
	x2 = data_ioasid(4);
	ASSERT_LE(1, x2);
	ASSERT_LE(1, device_bind(m1, self->fd));
	ASSERT_EQ(0, device_attach(m1, x2));
	ASSERT_EQ(0, device_attach_pasid(m1, x2, 1));
	ASSERT_EQ(0, device_attach_pasid(m1, x2, 2));
	w[0] = wire_of(m1, NO_PASID);
	w[1] = wire_of(m1, 1);
	w[2] = wire_of(m1, 2);
	EXPECT_TRUE(distinct_in(w, 3, 3));
	EXPECT_ROUTE(m1, 2, wire_of(m1, 2), ID(4, 0));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(m1, x2, 3));
}

/* The race below: what each thread did, and saw that it must not. */
#define RACE_SECONDS	2
#define RACE_ROUNDS	100000

struct race {
	int m1, m2;
	long x, y;
	const uint8_t *xmem, *ymem;	/* what m1 and m2 must read */
	int stop;
	long reads, ok, wrong, blocked, errors;	/* the reader's */
	long rounds, failures, m1_wrong, m2_wrong;	/* the mover's */
};

/* Read all of X through route 1 of m1 until told to stop. */
static void *race_reader(void *arg)
{
	static uint8_t buf[MEM_LEN];
	struct race *r = arg;
	long st;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		st = route_dma(r->m1, 1, IOVA0, buf, MEM_LEN, 0);
		if (st == IOASID_TEST_DMA_OK)
			memcmp(buf, r->xmem, MEM_LEN) ? r->wrong++ : r->ok++;
		else if (st == IOASID_TEST_DMA_NO_TRANSLATION)
			r->blocked++;
		else
			r->errors++;
		r->reads++;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Move the parent's only PASID between m1's route 1 (on X) and m2's route
 * 1 (on Y), reading through the device that has it.
 */
static void *race_mover(void *arg)
{
	static uint8_t buf[MEM_LEN];
	struct race *r = arg;
	double end = now() + RACE_SECONDS;
	int i;

	for (i = 0; i < RACE_ROUNDS && now() < end; i++) {
		if (device_detach_pasid(r->m1, r->x, 1))
			r->failures++;
		if (device_attach_pasid(r->m2, r->y, 1))
			r->failures++;
		if (route_dma(r->m2, 1, IOVA0, buf, MEM_LEN, 0) !=
		    IOASID_TEST_DMA_OK || memcmp(buf, r->ymem, MEM_LEN))
			r->m2_wrong++;
		if (device_detach_pasid(r->m2, r->y, 1))
			r->failures++;
		if (device_attach_pasid(r->m1, r->x, 1))
			r->failures++;
		if (route_dma(r->m1, 1, IOVA0, buf, MEM_LEN, 0) !=
		    IOASID_TEST_DMA_OK || memcmp(buf, r->xmem, MEM_LEN))
			r->m1_wrong++;
		r->rounds++;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Two mediated devices of a parent of width 1, whose routing ID has one
 * PASID: while one thread reads through route 1 of m1, another moves the
 * number between m1's route 1, on X, and m2's, on Y, over and over.  A
 * read by m1 that is not blocked always finds X's memory, never Y's,
 * although the number it carried on the wire may be m2's a moment later.
 */
TEST_F(pv, a_route_moving_between_devices_races_with_dma)
{
	struct race r = { .stop = 0 };
	pthread_t reader, mover;
	uint8_t *xmem, *ymem;
	int parent;

	REQ(REQ-PVIRT-ROUTE, REQ-PVIRT-RELEASE, REQ-DETACH-BLOCKS);
	parent = new_pf(1, CLASS_A);
	ASSERT_LE(0, parent);
	r.m1 = new_mdev(parent, 4, 0);
	r.m2 = new_mdev(parent, 4, 0);
	ASSERT_LE(0, r.m1);
	ASSERT_LE(0, r.m2);
	r.x = data_ioasid_mem(self, 1, &xmem);
	r.y = data_ioasid_mem(self, 2, &ymem);
	ASSERT_LE(1, r.x);
	ASSERT_LE(1, r.y);
	r.xmem = xmem;
	r.ymem = ymem;
	ASSERT_EQ(0, device_attach_pasid(r.m1, r.x, 1));
	EXPECT_ROUTE(r.m1, 1, 1, ID(1, 0));
	EXPECT_EQ(-ENOSPC, device_attach_pasid(r.m2, r.y, 1));
	ASSERT_EQ(0, pthread_create(&reader, NULL, race_reader, &r));
	ASSERT_EQ(0, pthread_create(&mover, NULL, race_mover, &r));
	pthread_join(mover, NULL);
	pthread_join(reader, NULL);
	TH_LOG("%ld rounds; %ld reads: %ld of X, %ld blocked", r.rounds,
	       r.reads, r.ok, r.blocked);
	EXPECT_EQ(0, r.wrong);
	EXPECT_EQ(0, r.errors);
	EXPECT_EQ(0, r.failures);
	EXPECT_EQ(0, r.m1_wrong);
	EXPECT_EQ(0, r.m2_wrong);
	EXPECT_LT(0, r.rounds);
	EXPECT_LT(0, r.reads);
	EXPECT_ROUTE(r.m1, 1, 1, ID(1, 0));
	EXPECT_UNSENT(r.m2, 1);
}

TEST_HARNESS_MAIN
