// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests of every count that has several users, each released
 * in several orders: the pins of a page mapped more than once, the charge
 * of pinned pages (VmPin), the mappings that use a registration, the
 * devices that keep a context alive, the routes attached to an IOASID, and
 * the members of an IOMMU group.
 *
 * Each fixture with FIXTURE_VARIANT_ADD() runs its tests once per release
 * order; after every step the test checks the whole state, page by page:
 * what is pinned, what DMA reaches, what is charged, what the IOASID
 * reports.  A step that must fail is checked for its errno and for having
 * changed nothing.
 *
 * The devices, their DMA and the pinned state of pages come from the
 * conformance test interface (capabilities DEVICE, DMA and PINNED);
 * without them every test here is skipped.  Every device sits behind a
 * class A mock IOMMU, whose granule is 4 KiB, the CPU's page size.
 */
#include <stdbool.h>
#include <stddef.h>

#include "ioasid_test.h"

#define PG		4096L
#define NPG		8		/* pages of a fixture's buffer */
#define X		0x100000ull	/* IOVAs the tests map at */
#define Y		0x400000ull
#define Z		0x800000ull
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define END		0		/* ends a list of steps */
#define CAPS		(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA | \
			 IOASID_TEST_CAP_PINNED)

/* out_routes and out_missing of @ioasid, checked against PARTIAL. */
#define EXPECT_ROUTES(fd, ioasid, routes, missing) do {			\
	struct ioasid_info __i;						\
									\
	ASSERT_EQ(0, ioasid_get_info(fd, ioasid, &__i));		\
	EXPECT_EQ(routes, __i.out_routes);				\
	EXPECT_EQ(missing, __i.out_missing);				\
	EXPECT_EQ((missing) ? IOASID_INFO_PARTIAL : 0,			\
		  __i.out_flags & IOASID_INFO_PARTIAL);			\
	EXPECT_TRUE(__i.out_flags & IOASID_INFO_PGTABLE);		\
} while (0)

/*
 * A page mapped several times, without registration: four mappings of
 * overlapping pages, two in IOASID a (reached by the device's RID) and two
 * in IOASID b (reached by its PASID 1), so that page 3 has four users and
 * pages 4 and 5 one.  Each release order ends with nothing pinned.
 */
static const struct mapping {
	int in_b;		/* 0: IOASID a, 1: IOASID b */
	uint64_t iova;
	long first, npages;	/* pages of the buffer */
} maps[] = {
	{ 0, X, 0, 4 },		/* M0 */
	{ 1, X, 0, 4 },		/* M1: the same pages, in the other IOASID */
	{ 0, Y, 2, 4 },		/* M2: some of them, at another IOVA of a */
	{ 1, Y, 3, 1 },		/* M3: page 3 once more */
};
#define NMAPS	((int)ARRAY_LEN(maps))

enum pin_step {
	UNMAP_M0 = 1, UNMAP_M1, UNMAP_M2, UNMAP_M3,
	UNMAP_ALL_A, UNMAP_ALL_B,	/* IOASID_UNMAP_ALL of a, of b */
	FREE_A, FREE_B,			/* detach the route, IOASID_FREE */
	CLOSE_FD,			/* close the IOASID descriptor */
	CLOSE_DEV,			/* close the device */
};

FIXTURE(pins) {
	int testif;
	int fd;
	int dev;	/* PASID width 8; RID attached to a, PASID 1 to b */
	long ioasid[2];	/* a, b; 0 once freed */
	bool alive[NMAPS];
	uint8_t *buf;	/* NPG pages */
	long pin_kb;	/* VmPin before the test */
	long lck_kb;	/* VmLck before the test */
};

FIXTURE_VARIANT(pins) {
	int steps[8];	/* enum pin_step, up to END */
};

FIXTURE_VARIANT_ADD(pins, unmap_a_first) {
	.steps = { UNMAP_M0, UNMAP_M2, UNMAP_M1, UNMAP_M3 },
};

FIXTURE_VARIANT_ADD(pins, unmap_b_first) {
	.steps = { UNMAP_M3, UNMAP_M1, UNMAP_M2, UNMAP_M0 },
};

FIXTURE_VARIANT_ADD(pins, unmap_interleaved) {
	.steps = { UNMAP_M2, UNMAP_M1, UNMAP_M0, UNMAP_M3 },
};

FIXTURE_VARIANT_ADD(pins, unmap_all) {
	.steps = { UNMAP_ALL_B, UNMAP_ALL_A },
};

FIXTURE_VARIANT_ADD(pins, free_a_first) {
	.steps = { FREE_A, UNMAP_M3, FREE_B },
};

FIXTURE_VARIANT_ADD(pins, free_b_first) {
	.steps = { FREE_B, UNMAP_M0, UNMAP_M2 },
};

FIXTURE_VARIANT_ADD(pins, close_fd_then_device) {
	.steps = { CLOSE_FD, CLOSE_DEV },
};

FIXTURE_VARIANT_ADD(pins, close_device_then_fd) {
	.steps = { UNMAP_M1, CLOSE_DEV, CLOSE_FD },
};

FIXTURE_VARIANT_ADD(pins, unmap_free_close) {
	.steps = { UNMAP_M0, FREE_B, CLOSE_FD, CLOSE_DEV },
};

FIXTURE_SETUP(pins)
{
	const char *why = NULL;

	self->fd = self->dev = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_pasid_device(self->testif, 8);
	ASSERT_LE(0, self->dev);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	self->ioasid[0] = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->ioasid[0]);
	self->ioasid[1] = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->ioasid[1]);
	ASSERT_EQ(0, device_attach(self->dev, self->ioasid[0]));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->ioasid[1], 1));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x10);
	self->pin_kb = ioasid_pinned_kb();
	ASSERT_LE(0, self->pin_kb);
	self->lck_kb = ioasid_vmlck_kb();
	ASSERT_LE(0, self->lck_kb);
}

FIXTURE_TEARDOWN(pins)
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

/* The buffer pages mapping @m maps, in the fixture at hand. */
#define pages_of(m)	(self->buf + (m)->first * PG)

/* How many live mappings hold page @p of the buffer. */
static int page_users(FIXTURE_DATA(pins) *self, long p)
{
	int k, users = 0;

	for (k = 0; k < NMAPS; k++)
		users += self->alive[k] && p >= maps[k].first &&
			 p < maps[k].first + maps[k].npages;
	return users;
}

/*
 * The whole state, after a step: a page is pinned exactly while a live
 * mapping holds it; while the device can issue DMA, each live mapping is
 * reached page by page through its route and each removed one is blocked;
 * with @charges, VmPin counts each page once per live mapping, and VmLck
 * has not moved.
 */
static void check_pins(struct __test_metadata *_metadata,
		       FIXTURE_DATA(pins) *self, bool charges, int step)
{
	long p, pages = 0;
	int k;

	for (p = 0; p < NPG; p++) {
		EXPECT_EQ(page_users(self, p) > 0,
			  testif_pinned(self->testif, self->buf + p * PG))
			TH_LOG("after step %d: page %ld", step, p);
	}
	for (k = 0; k < NMAPS; k++) {
		const struct mapping *m = &maps[k];
		int pasid = m->in_b ? 1 : NO_PASID;

		if (self->alive[k])
			pages += m->npages;
		/* no DMA without the device, or without the route */
		if (self->dev < 0 || !self->ioasid[m->in_b])
			continue;
		if (self->alive[k]) {
			EXPECT_EQ(-1, first_wrong_page(self->dev, pasid,
						       m->iova, pages_of(m),
						       m->npages))
				TH_LOG("after step %d: M%d", step, k);
		} else {
			EXPECT_EQ(-1, first_reachable_page(self->dev, pasid,
							   m->iova, m->npages))
				TH_LOG("after step %d: M%d", step, k);
		}
	}
	if (charges) {
		EXPECT_EQ(self->pin_kb + pages * PG / 1024, ioasid_pinned_kb())
			TH_LOG("after step %d: %ld pages mapped", step, pages);
		EXPECT_EQ(self->lck_kb, ioasid_vmlck_kb())
			TH_LOG("after step %d", step);
	}
}

/* Remove the mappings of IOASID @b (0: a, 1: b) from the model. */
static void drop_maps_of(FIXTURE_DATA(pins) *self, int b)
{
	int k;

	for (k = 0; k < NMAPS; k++)
		if (maps[k].in_b == b)
			self->alive[k] = false;
}

static void run_pins(struct __test_metadata *_metadata,
		     FIXTURE_DATA(pins) *self,
		     const FIXTURE_VARIANT(pins) *variant, bool charges)
{
	unsigned int i;
	long bytes;
	int k, b;

	check_pins(_metadata, self, charges, 0);
	for (k = 0; k < NMAPS; k++) {
		ASSERT_EQ(0, ioasid_map(self->fd, self->ioasid[maps[k].in_b],
					self->buf + maps[k].first * PG,
					maps[k].iova, maps[k].npages * PG,
					IOASID_DMA_RW));
		self->alive[k] = true;
		check_pins(_metadata, self, charges, 0);
	}
	for (i = 0; i < ARRAY_LEN(variant->steps) && variant->steps[i]; i++) {
		int step = variant->steps[i];

		switch (step) {
		case UNMAP_M0:
		case UNMAP_M1:
		case UNMAP_M2:
		case UNMAP_M3:
			k = step - UNMAP_M0;
			EXPECT_EQ(maps[k].npages * PG,
				  ioasid_unmap(self->fd,
					       self->ioasid[maps[k].in_b],
					       maps[k].iova,
					       maps[k].npages * PG));
			self->alive[k] = false;
			break;
		case UNMAP_ALL_A:
		case UNMAP_ALL_B:
			b = step == UNMAP_ALL_B;
			bytes = 0;
			for (k = 0; k < NMAPS; k++)
				if (maps[k].in_b == b && self->alive[k])
					bytes += maps[k].npages * PG;
			EXPECT_EQ(bytes, ioasid_unmap_all(self->fd,
							  self->ioasid[b]));
			drop_maps_of(self, b);
			break;
		case FREE_A:
		case FREE_B:
			b = step == FREE_B;
			ASSERT_EQ(0, device_route(self->dev,
						  IOASID_DEVICE_DETACH,
						  self->ioasid[b],
						  b ? IOASID_ATTACH_PASID : 0,
						  b));
			ASSERT_EQ(0, ioasid_free_one(self->fd,
						     self->ioasid[b]));
			self->ioasid[b] = 0;
			drop_maps_of(self, b);
			break;
		case CLOSE_FD:
			ASSERT_EQ(0, close(self->fd));
			self->fd = -1;
			break;
		case CLOSE_DEV:
			ASSERT_EQ(0, close(self->dev));
			self->dev = -1;
			break;
		}
		/* the context ends with the descriptor and the last device */
		if (self->fd < 0 && self->dev < 0)
			memset(self->alive, 0, sizeof(self->alive));
		check_pins(_metadata, self, charges, i + 1);
	}
	/* every order ends with nothing mapped */
	for (k = 0; k < NMAPS; k++) {
		EXPECT_FALSE(self->alive[k]) TH_LOG("M%d is left", k);
	}
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

TEST_F(pins, pinned_until_the_last_mapping_goes)
{
	REQ(REQ-UNMAP-UNPIN, REQ-TESTIF-PINNED, REQ-UNMAP-BLOCKS, REQ-UNMAP,
	    REQ-IOASID-CLOSE, REQ-DEV-CLOSE-CTX, REQ-DEV-CLOSE-DEVICE);
	run_pins(_metadata, self, variant, false);
}

TEST_F(pins, vmpin_counts_every_mapping)
{
	REQ(REQ-PIN-USER, REQ-PIN-UNCHARGE, REQ-MAP-UNREGISTERED,
	    REQ-UNMAP-UNPIN);
	run_pins(_metadata, self, variant, true);
}

/*
 * A registration of the whole buffer, used by four mappings in two
 * IOASIDs.  It cannot be unregistered until the last of them is gone.
 */
static const struct mapping reg_maps[] = {
	{ 0, X, 0, 4 },		/* M0 */
	{ 0, Y, 2, 6 },		/* M1 */
	{ 1, X, 0, NPG },	/* M2 */
	{ 1, Y, 6, 2 },		/* M3 */
};
#define NREG_MAPS	((int)ARRAY_LEN(reg_maps))

FIXTURE(reg) {
	int testif;
	int fd;
	int dev;	/* PASID width 8; RID attached to a, PASID 1 to b */
	long ioasid[2];
	bool alive[NREG_MAPS];
	uint8_t *buf;
};

FIXTURE_VARIANT(reg) {
	int steps[8];	/* enum pin_step without CLOSE_*, up to END */
};

FIXTURE_VARIANT_ADD(reg, unmap_in_order) {
	.steps = { UNMAP_M0, UNMAP_M1, UNMAP_M2, UNMAP_M3 },
};

FIXTURE_VARIANT_ADD(reg, unmap_in_reverse) {
	.steps = { UNMAP_M3, UNMAP_M2, UNMAP_M1, UNMAP_M0 },
};

FIXTURE_VARIANT_ADD(reg, unmap_all) {
	.steps = { UNMAP_ALL_B, UNMAP_ALL_A },
};

FIXTURE_VARIANT_ADD(reg, free_b_then_unmap) {
	.steps = { FREE_B, UNMAP_M1, UNMAP_M0 },
};

FIXTURE_VARIANT_ADD(reg, free_both) {
	.steps = { FREE_A, FREE_B },
};

FIXTURE_VARIANT_ADD(reg, unmap_then_unmap_all_then_free) {
	.steps = { UNMAP_M2, UNMAP_ALL_A, FREE_B },
};

FIXTURE_SETUP(reg)
{
	const char *why = NULL;

	self->fd = self->dev = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_pasid_device(self->testif, 8);
	ASSERT_LE(0, self->dev);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	self->ioasid[0] = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->ioasid[0]);
	self->ioasid[1] = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->ioasid[1]);
	ASSERT_EQ(0, device_attach(self->dev, self->ioasid[0]));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->ioasid[1], 1));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x20);
}

FIXTURE_TEARDOWN(reg)
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

/*
 * While any mapping uses the registration: UNREGISTER fails with EBUSY
 * and changes nothing; the registration is still there (a new one over
 * it overlaps), every page of it pinned, each live mapping reached page
 * by page and each removed one blocked, and nothing charged more.
 */
static void check_busy(struct __test_metadata *_metadata,
		       FIXTURE_DATA(reg) *self, long pin_kb, long lck_kb,
		       int step)
{
	int k;

	EXPECT_EQ(-EBUSY, ioasid_unregister(self->fd, self->buf, NPG * PG))
		TH_LOG("after step %d", step);
	EXPECT_EQ(-EEXIST, ioasid_register(self->fd, self->buf + PG, PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 1))
		TH_LOG("after step %d", step);
	for (k = 0; k < NREG_MAPS; k++) {
		const struct mapping *m = &reg_maps[k];
		int pasid = m->in_b ? 1 : NO_PASID;

		if (!self->ioasid[m->in_b])
			continue;
		if (self->alive[k]) {
			EXPECT_EQ(-1, first_wrong_page(self->dev, pasid,
						       m->iova, pages_of(m),
						       m->npages))
				TH_LOG("after step %d: M%d", step, k);
		} else {
			EXPECT_EQ(-1, first_reachable_page(self->dev, pasid,
							   m->iova, m->npages))
				TH_LOG("after step %d: M%d", step, k);
		}
	}
	EXPECT_EQ(pin_kb, ioasid_pinned_kb()) TH_LOG("after step %d", step);
	EXPECT_EQ(lck_kb, ioasid_vmlck_kb()) TH_LOG("after step %d", step);
}

TEST_F(reg, unregister_is_busy_until_the_last_mapping_goes)
{
	long pin0 = ioasid_pinned_kb(), lck0 = ioasid_vmlck_kb(), pin_kb, lck_kb, bytes;
	unsigned int i;
	int k, b;

	REQ(REQ-MEM-BUSY, REQ-MAP-REGISTERED-USE, REQ-MEM-UNREGISTER-MM,
	    REQ-MEM-OVERLAP-MM, REQ-ARG-NOCHANGE, REQ-TESTIF-PINNED);
	ASSERT_LE(0, pin0);
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, NPG * PG));
	/* the charge of the registration, whatever counter shows it */
	pin_kb = ioasid_pinned_kb();
	lck_kb = ioasid_vmlck_kb();
	for (k = 0; k < NREG_MAPS; k++) {
		ASSERT_EQ(0, ioasid_map(self->fd,
					self->ioasid[reg_maps[k].in_b],
					self->buf + reg_maps[k].first * PG,
					reg_maps[k].iova,
					reg_maps[k].npages * PG,
					IOASID_DMA_RW));
		self->alive[k] = true;
	}
	check_busy(_metadata, self, pin_kb, lck_kb, 0);
	for (i = 0; i < ARRAY_LEN(variant->steps) && variant->steps[i]; i++) {
		int step = variant->steps[i];
		bool any = false;

		switch (step) {
		case UNMAP_M0:
		case UNMAP_M1:
		case UNMAP_M2:
		case UNMAP_M3:
			k = step - UNMAP_M0;
			EXPECT_EQ(reg_maps[k].npages * PG,
				  ioasid_unmap(self->fd,
					       self->ioasid[reg_maps[k].in_b],
					       reg_maps[k].iova,
					       reg_maps[k].npages * PG));
			self->alive[k] = false;
			break;
		case UNMAP_ALL_A:
		case UNMAP_ALL_B:
			b = step == UNMAP_ALL_B;
			bytes = 0;
			for (k = 0; k < NREG_MAPS; k++)
				if (reg_maps[k].in_b == b && self->alive[k]) {
					bytes += reg_maps[k].npages * PG;
					self->alive[k] = false;
				}
			EXPECT_EQ(bytes, ioasid_unmap_all(self->fd,
							  self->ioasid[b]));
			break;
		case FREE_A:
		case FREE_B:
			b = step == FREE_B;
			ASSERT_EQ(0, device_route(self->dev,
						  IOASID_DEVICE_DETACH,
						  self->ioasid[b],
						  b ? IOASID_ATTACH_PASID : 0,
						  b));
			ASSERT_EQ(0, ioasid_free_one(self->fd,
						     self->ioasid[b]));
			self->ioasid[b] = 0;
			for (k = 0; k < NREG_MAPS; k++)
				if (reg_maps[k].in_b == b)
					self->alive[k] = false;
			break;
		}
		for (k = 0; k < NREG_MAPS; k++)
			any |= self->alive[k];
		if (any)
			check_busy(_metadata, self, pin_kb, lck_kb, i + 1);
	}
	for (k = 0; k < NREG_MAPS; k++) {
		EXPECT_FALSE(self->alive[k]) TH_LOG("M%d is left", k);
	}
	/* the last use is gone: it unregisters, unpins, uncharges */
	EXPECT_EQ(pin_kb, ioasid_pinned_kb());
	EXPECT_EQ(0, ioasid_unregister(self->fd, self->buf, NPG * PG));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
	EXPECT_EQ(pin0, ioasid_pinned_kb());
	EXPECT_EQ(lck0, ioasid_vmlck_kb());
	EXPECT_EQ(-ENOENT, ioasid_unregister(self->fd, self->buf, NPG * PG));
}

/* A plain fixture: a device with two IOASIDs, and two buffers. */
FIXTURE(cnt) {
	int testif;
	int fd;
	int dev;	/* PASID width 8; RID attached to a, PASID 1 to b */
	long a, b;
	uint8_t *buf;	/* NPG pages */
	uint8_t *other;	/* NPG pages */
	long pin_kb;
	long lck_kb;
};

FIXTURE_SETUP(cnt)
{
	const char *why = NULL;

	self->fd = self->dev = -1;
	self->buf = self->other = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_pasid_device(self->testif, 8);
	ASSERT_LE(0, self->dev);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->b, 1));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x30);
	self->other = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->other);
	fill_pages(self->other, NPG, 0x40);
	self->pin_kb = ioasid_pinned_kb();
	ASSERT_LE(0, self->pin_kb);
	self->lck_kb = ioasid_vmlck_kb();
	ASSERT_LE(0, self->lck_kb);
}

FIXTURE_TEARDOWN(cnt)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
	if (self->other != MAP_FAILED)
		munmap(self->other, NPG * PG);
}

/* Pages charged since the setup, as VmPin shows them; VmLck unmoved. */
#define EXPECT_CHARGED(pages) do {					\
	EXPECT_EQ(self->pin_kb + (pages) * PG / 1024, ioasid_pinned_kb());	\
	EXPECT_EQ(self->lck_kb, ioasid_vmlck_kb());				\
} while (0)

TEST_F(cnt, a_registration_is_charged_once)
{
	REQ(REQ-PIN-USER, REQ-PIN-UNCHARGE, REQ-MEM-PIN,
	    REQ-MAP-REGISTERED-USE, REQ-MEM-UNREGISTER-MM);
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, NPG * PG));
	EXPECT_CHARGED(NPG);
	/* five mappings of registered pages, in both IOASIDs */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, X, NPG * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf + 2 * PG, Y,
				2 * PG, IOASID_DMA_READ));
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->buf, X, NPG * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->buf + 7 * PG, Y, PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->buf + 3 * PG, Z,
				4 * PG, IOASID_DMA_WRITE));
	EXPECT_CHARGED(NPG);
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, X, self->buf, NPG));
	EXPECT_EQ(-1, first_wrong_page(self->dev, 1, X, self->buf, NPG));
	/* removing them in any order gives nothing back */
	EXPECT_EQ(PG, ioasid_unmap(self->fd, self->b, Y, PG));
	EXPECT_CHARGED(NPG);
	EXPECT_EQ(NPG * PG + 2 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_CHARGED(NPG);
	EXPECT_EQ(-EBUSY, ioasid_unregister(self->fd, self->buf, NPG * PG));
	EXPECT_CHARGED(NPG);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 1));
	EXPECT_EQ(-1, first_wrong_page(self->dev, 1, X, self->buf, NPG));
	ASSERT_EQ(0, device_detach_pasid(self->dev, self->b, 1));
	ASSERT_EQ(0, ioasid_free_one(self->fd, self->b));
	EXPECT_CHARGED(NPG);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 1));
	/* the registration gives back exactly what it took */
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, NPG * PG));
	EXPECT_CHARGED(0);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

TEST_F(cnt, unregistered_memory_beside_a_registration)
{
	REQ(REQ-MAP-UNREGISTERED, REQ-MAP-REGISTERED-USE, REQ-PIN-USER,
	    REQ-PIN-UNCHARGE, REQ-UNMAP-UNPIN, REQ-TESTIF-PINNED);
	/* buf is registered; other is not */
	ASSERT_EQ(0, ioasid_register(self->fd, self->buf, 4 * PG));
	EXPECT_CHARGED(4);
	/* other's pages are pinned and charged per mapping */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->other, X, 4 * PG,
				IOASID_DMA_RW));
	EXPECT_CHARGED(8);
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->other + 2 * PG, X,
				4 * PG, IOASID_DMA_RW));
	EXPECT_CHARGED(12);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->other, 6, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->other + 6 * PG,
					    NPG - 6, 0));
	/* the registered pages add nothing; the rest of buf is not pinned */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, Y, 4 * PG,
				IOASID_DMA_RW));
	EXPECT_CHARGED(12);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, 4, 1));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf + 4 * PG,
					    NPG - 4, 0));
	/* beyond the registration, buf is pinned for the mapping */
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->buf + 4 * PG, Y,
				4 * PG, IOASID_DMA_RW));
	EXPECT_CHARGED(16);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 1));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, X, self->other, 4));
	EXPECT_EQ(-1, first_wrong_page(self->dev, 1, X, self->other + 2 * PG,
				       4));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, Y, self->buf, 4));
	EXPECT_EQ(-1, first_wrong_page(self->dev, 1, Y, self->buf + 4 * PG, 4));
	/* each unmap gives back its own pages' charge, and pins */
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->a, X, 4 * PG));
	EXPECT_CHARGED(12);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->other, 2, 0));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->other + 2 * PG,
					    4, 1));
	EXPECT_EQ(4 * PG, ioasid_unmap(self->fd, self->b, Y, 4 * PG));
	EXPECT_CHARGED(8);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf + 4 * PG,
					    NPG - 4, 0));
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->b));
	EXPECT_CHARGED(4);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->other, NPG, 0));
	EXPECT_EQ(-EBUSY, ioasid_unregister(self->fd, self->buf, 4 * PG));
	EXPECT_CHARGED(4);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, 4, 1));
	EXPECT_EQ(-1, first_wrong_page(self->dev, NO_PASID, Y, self->buf, 4));
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_CHARGED(4);
	ASSERT_EQ(0, ioasid_unregister(self->fd, self->buf, 4 * PG));
	EXPECT_CHARGED(0);
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

/*
 * Three devices bound to one descriptor, which is closed: the context
 * lives on until the last of them is unbound or closed.  d0 and d1 have no
 * PASID support; d2 has, and its PASID 1 is attached to b.
 */
#define NDEV		3
#define UNBIND(k)	(1 + (k))	/* device_unbind() of device k */
#define CLOSE(k)	(11 + (k))	/* close() of device k */

FIXTURE(life) {
	int testif;
	int fd;
	int dev[NDEV];
	bool bound[NDEV];
	long a, b;
	uint8_t *buf;	/* pages 0-3 mapped at X in a, 4-7 at X in b */
};

FIXTURE_VARIANT(life) {
	int steps[NDEV];
};

FIXTURE_VARIANT_ADD(life, unbind_in_order) {
	.steps = { UNBIND(0), UNBIND(1), UNBIND(2) },
};

FIXTURE_VARIANT_ADD(life, close_in_reverse) {
	.steps = { CLOSE(2), CLOSE(1), CLOSE(0) },
};

FIXTURE_VARIANT_ADD(life, unbind_close_unbind) {
	.steps = { UNBIND(1), CLOSE(0), UNBIND(2) },
};

FIXTURE_VARIANT_ADD(life, close_unbind_close) {
	.steps = { CLOSE(2), UNBIND(0), CLOSE(1) },
};

FIXTURE_SETUP(life)
{
	const char *why = NULL;
	int k;

	self->fd = -1;
	for (k = 0; k < NDEV; k++)
		self->dev[k] = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	for (k = 0; k < NDEV; k++) {
		self->dev[k] = testif_create_pasid_device(self->testif,
							  k == 2 ? 8 : 0);
		ASSERT_LE(0, self->dev[k]);
		ASSERT_LE(1, device_bind(self->dev[k], self->fd));
		self->bound[k] = true;
	}
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
	ASSERT_EQ(0, device_attach(self->dev[0], self->a));
	ASSERT_EQ(0, device_attach(self->dev[1], self->b));
	ASSERT_EQ(0, device_attach(self->dev[2], self->a));
	ASSERT_EQ(0, device_attach_pasid(self->dev[2], self->b, 1));
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x50);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, X, 4 * PG,
				IOASID_DMA_RW));
	ASSERT_EQ(0, ioasid_map(self->fd, self->b, self->buf + 4 * PG, X,
				4 * PG, IOASID_DMA_RW));
}

FIXTURE_TEARDOWN(life)
{
	int k;

	for (k = 0; k < NDEV; k++)
		if (self->dev[k] >= 0)
			close(self->dev[k]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
}

/* The IOASID (a or b) the default route of device @k is attached to. */
static long life_ioasid(FIXTURE_DATA(life) *self, int k)
{
	return k == 1 ? self->b : self->a;
}

/* The buffer pages the mapping of @ioasid holds. */
static const uint8_t *life_pages(FIXTURE_DATA(life) *self, long ioasid)
{
	return self->buf + (ioasid == self->b ? 4 * PG : 0);
}

/*
 * The context is alive: every page is pinned; each bound device reaches
 * its mappings page by page, through every route, and can still detach
 * and attach them, also to the other IOASID; an unbound device reaches
 * nothing and can attach nothing.
 */
static void check_alive(struct __test_metadata *_metadata,
			FIXTURE_DATA(life) *self, int step)
{
	int k;

	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 1))
		TH_LOG("after step %d", step);
	for (k = 0; k < NDEV; k++) {
		long mine = life_ioasid(self, k);
		long theirs = mine == self->a ? self->b : self->a;
		int d = self->dev[k];

		if (d < 0)
			continue;
		if (!self->bound[k]) {
			EXPECT_EQ(-EINVAL, device_attach(d, mine));
			EXPECT_EQ(-1, first_reachable_page(d, NO_PASID, X, 4))
				TH_LOG("after step %d: device %d", step, k);
			continue;
		}
		EXPECT_EQ(-1, first_wrong_page(d, NO_PASID, X,
					       life_pages(self, mine), 4))
			TH_LOG("after step %d: device %d", step, k);
		if (k == 2) {
			const uint8_t *b_pages = life_pages(self, self->b);

			EXPECT_EQ(-1, first_wrong_page(d, 1, X, b_pages, 4))
				TH_LOG("after step %d: device %d", step, k);
		}
		/* its IOASIDs still take routes: move it over and back */
		ASSERT_EQ(0, device_detach(d, mine));
		EXPECT_EQ(-1, first_reachable_page(d, NO_PASID, X, 4));
		ASSERT_EQ(0, device_attach(d, theirs));
		EXPECT_EQ(-1, first_wrong_page(d, NO_PASID, X,
					       life_pages(self, theirs), 4));
		ASSERT_EQ(0, device_detach(d, theirs));
		ASSERT_EQ(0, device_attach(d, mine));
		EXPECT_EQ(-1, first_wrong_page(d, NO_PASID, X,
					       life_pages(self, mine), 4));
	}
}

TEST_F(life, the_context_lives_until_the_last_device_goes)
{
	unsigned int i;
	int k, other;

	REQ(REQ-DEV-CLOSE-CTX, REQ-DEV-CLOSED-CTX-CMDS, REQ-DEV-CLOSE-DEVICE,
	    REQ-UNBIND-DETACHES, REQ-IOASID-CLOSE, REQ-DEV-UNBIND,
	    REQ-UNMAP-UNPIN, REQ-TESTIF-PINNED);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	check_alive(_metadata, self, 0);
	for (i = 0; i < ARRAY_LEN(variant->steps); i++) {
		int step = variant->steps[i];

		if (step >= CLOSE(0)) {
			k = step - CLOSE(0);
			ASSERT_EQ(0, close(self->dev[k]));
			self->dev[k] = -1;
		} else {
			k = step - UNBIND(0);
			ASSERT_EQ(0, device_unbind(self->dev[k]));
		}
		self->bound[k] = false;
		if (i + 1 < ARRAY_LEN(variant->steps))
			check_alive(_metadata, self, i + 1);
	}
	/* the last device went: the context, and its mappings, are gone */
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
	/* a device that is left reaches nothing, and may bind anew */
	other = ioasid_open();
	ASSERT_LE(0, other);
	for (k = 0; k < NDEV; k++) {
		if (self->dev[k] < 0)
			continue;
		EXPECT_EQ(-1, first_reachable_page(self->dev[k], NO_PASID, X,
						   4));
		EXPECT_LE(1, device_bind(self->dev[k], other));
	}
	close(other);
}

/*
 * One IOASID with five routes: the RID and PASIDs 1 and 2 of d0, which
 * supports PASIDs, and the RIDs of d1 and d2.  IOASID_FREE is refused
 * until the last of them is detached.
 */
enum route_step {
	DETACH_R0 = 1,		/* d0's RID */
	DETACH_P1,		/* d0's PASID 1 */
	DETACH_P2,		/* d0's PASID 2 */
	DETACH_R1,		/* d1's RID */
	DETACH_R2,		/* d2's RID */
	UNBIND_D0,		/* every route of d0 at once */
	CLOSE_D1,
	CLOSE_D2,
};

#define NROUTES	5

static const struct { int dev, pasid; } routes[NROUTES] = {
	{ 0, NO_PASID }, { 0, 1 }, { 0, 2 }, { 1, NO_PASID }, { 2, NO_PASID },
};

FIXTURE(rts) {
	int testif;
	int fd;
	int dev[NDEV];
	bool attached[NROUTES];
	long a;
	uint8_t *buf;	/* mapped whole at X in a */
	long pin_kb;	/* VmPin once it is mapped */
	long lck_kb;
};

FIXTURE_VARIANT(rts) {
	int steps[NROUTES];	/* enum route_step, up to END */
};

FIXTURE_VARIANT_ADD(rts, rids_then_pasids) {
	.steps = { DETACH_R0, DETACH_R1, DETACH_R2, DETACH_P1, DETACH_P2 },
};

FIXTURE_VARIANT_ADD(rts, pasids_first) {
	.steps = { DETACH_P2, DETACH_P1, DETACH_R2, DETACH_R0, DETACH_R1 },
};

FIXTURE_VARIANT_ADD(rts, unbind_the_pasid_device_first) {
	.steps = { UNBIND_D0, DETACH_R2, DETACH_R1 },
};

FIXTURE_VARIANT_ADD(rts, close_plain_devices_first) {
	.steps = { CLOSE_D1, CLOSE_D2, DETACH_P1, DETACH_R0, DETACH_P2 },
};

FIXTURE_VARIANT_ADD(rts, mixed) {
	.steps = { DETACH_R1, DETACH_P1, DETACH_R0, CLOSE_D2, UNBIND_D0 },
};

FIXTURE_SETUP(rts)
{
	const char *why = NULL;
	int k;

	self->fd = -1;
	for (k = 0; k < NDEV; k++)
		self->dev[k] = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	for (k = 0; k < NDEV; k++) {
		self->dev[k] = testif_create_pasid_device(self->testif,
							  k == 0 ? 8 : 0);
		ASSERT_LE(0, self->dev[k]);
		ASSERT_LE(1, device_bind(self->dev[k], self->fd));
	}
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	for (k = 0; k < NROUTES; k++) {
		int d = self->dev[routes[k].dev];

		if (routes[k].pasid == NO_PASID) {
			ASSERT_EQ(0, device_attach(d, self->a));
		} else {
			ASSERT_EQ(0, device_attach_pasid(d, self->a,
							 routes[k].pasid));
		}
		self->attached[k] = true;
	}
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x60);
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, X, NPG * PG,
				IOASID_DMA_RW));
	self->pin_kb = ioasid_pinned_kb();
	self->lck_kb = ioasid_vmlck_kb();
}

FIXTURE_TEARDOWN(rts)
{
	int k;

	for (k = 0; k < NDEV; k++)
		if (self->dev[k] >= 0)
			close(self->dev[k]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
}

/* Detach route @k through IOASID_DEVICE_DETACH. */
static long detach_route(FIXTURE_DATA(rts) *self, int k)
{
	int d = self->dev[routes[k].dev];

	self->attached[k] = false;
	if (routes[k].pasid == NO_PASID)
		return device_detach(d, self->a);
	return device_detach_pasid(d, self->a, routes[k].pasid);
}

TEST_F(rts, free_is_busy_until_the_last_route_goes)
{
	int k, left = NROUTES;
	unsigned int i;

	REQ(REQ-FREE-ATTACHED, REQ-INFO-ROUTES, REQ-UNBIND-DETACHES,
	    REQ-DEV-CLOSE-DEVICE, REQ-ARG-NOCHANGE, REQ-IOASID-FREE,
	    REQ-UNMAP-UNPIN, REQ-TESTIF-PINNED);
	EXPECT_ROUTES(self->fd, self->a, NROUTES, 0);
	for (i = 0; i < ARRAY_LEN(variant->steps) && variant->steps[i]; i++) {
		int step = variant->steps[i];

		/* refused, and nothing changed */
		EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->a))
			TH_LOG("before step %u", i + 1);
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf,
						    NPG, 1));
		EXPECT_EQ(self->pin_kb, ioasid_pinned_kb());
		EXPECT_EQ(self->lck_kb, ioasid_vmlck_kb());
		for (k = 0; k < NROUTES; k++) {
			int d = self->dev[routes[k].dev];
			int pasid = routes[k].pasid;

			if (d < 0)
				continue;
			if (self->attached[k]) {
				EXPECT_EQ(-1, first_wrong_page(d, pasid, X,
							       self->buf, NPG))
					TH_LOG("before step %u: route %d",
					       i + 1, k);
			} else {
				EXPECT_EQ(-1, first_reachable_page(d, pasid, X,
								   NPG))
					TH_LOG("before step %u: route %d",
					       i + 1, k);
			}
		}

		switch (step) {
		case DETACH_R0:
		case DETACH_P1:
		case DETACH_P2:
		case DETACH_R1:
		case DETACH_R2:
			EXPECT_EQ(0, detach_route(self, step - DETACH_R0));
			break;
		case UNBIND_D0:
			EXPECT_EQ(0, device_unbind(self->dev[0]));
			self->attached[0] = false;
			self->attached[1] = false;
			self->attached[2] = false;
			break;
		case CLOSE_D1:
		case CLOSE_D2:
			k = step - CLOSE_D1 + 1;
			EXPECT_EQ(0, close(self->dev[k]));
			self->dev[k] = -1;
			self->attached[k + 2] = false;
			break;
		}
		left = 0;
		for (k = 0; k < NROUTES; k++)
			left += self->attached[k];
		EXPECT_ROUTES(self->fd, self->a, left, 0);
	}
	EXPECT_EQ(0, left);
	/* the last route is gone: freed, with its mapping */
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
	{
		struct ioasid_info info;

		EXPECT_EQ(-ENOENT, ioasid_get_info(self->fd, self->a, &info));
	}
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

/*
 * A group of three devices: g0, and g1 and g2 that join its group.  The
 * variant gives the order in which they attach, and the order in which
 * they leave, by detach or by unbind (GONE_UNBIND).
 */
#define GONE_UNBIND	0x10

FIXTURE(grp) {
	int testif;
	int fd;
	int dev[NDEV];
	bool attached[NDEV];
	long a;
	uint8_t *buf;		/* NPG pages */
};

FIXTURE_VARIANT(grp) {
	int attach[NDEV];
	int leave[NDEV];	/* device, | GONE_UNBIND to unbind it */
};

FIXTURE_VARIANT_ADD(grp, in_order) {
	.attach = { 0, 1, 2 },
	.leave = { 0, 1, 2 },
};

FIXTURE_VARIANT_ADD(grp, in_reverse) {
	.attach = { 2, 1, 0 },
	.leave = { 2, 1, 0 },
};

FIXTURE_VARIANT_ADD(grp, mixed) {
	.attach = { 1, 2, 0 },
	.leave = { 2, 0, 1 },
};

FIXTURE_VARIANT_ADD(grp, unbind) {
	.attach = { 0, 2, 1 },
	.leave = { 1 | GONE_UNBIND, 0, 2 | GONE_UNBIND },
};

FIXTURE_SETUP(grp)
{
	const char *why = NULL;
	int k;

	self->fd = -1;
	for (k = 0; k < NDEV; k++)
		self->dev[k] = -1;
	self->buf = MAP_FAILED;
	self->testif = testif_open(CAPS, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev[0] = testif_create_device(self->testif);
	ASSERT_LE(0, self->dev[0]);
	for (k = 1; k < NDEV; k++) {
		self->dev[k] = testif_create_group_device(self->testif,
							  IOASID_TEST_IOMMU_A,
							  0, self->dev[0]);
		ASSERT_LE(0, self->dev[k]);
	}
	for (k = 0; k < NDEV; k++)
		ASSERT_LE(1, device_bind(self->dev[k], self->fd));
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->buf = test_memory(NPG * PG, PG, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	fill_pages(self->buf, NPG, 0x70);
}

FIXTURE_TEARDOWN(grp)
{
	int k;

	for (k = 0; k < NDEV; k++)
		if (self->dev[k] >= 0)
			close(self->dev[k]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, NPG * PG);
}

static int grp_attached(FIXTURE_DATA(grp) *self)
{
	int k, n = 0;

	for (k = 0; k < NDEV; k++)
		n += self->attached[k];
	return n;
}

/* Device k of the group leaves as the variant says. */
static long grp_leave(FIXTURE_DATA(grp) *self, int how)
{
	int k = how & ~GONE_UNBIND;

	self->attached[k] = false;
	if (how & GONE_UNBIND)
		return device_unbind(self->dev[k]);
	return device_detach(self->dev[k], self->a);
}

/*
 * The group state of a: out_routes is the members attached, out_missing
 * the members not attached while one is; while it is partial, a new
 * mapping (of the pages from @fresh on) is refused and changes nothing,
 * and the @mapped pages mapped at X stay reached by every attached member
 * and pinned, and blocked for the others.
 */
static void check_group(struct __test_metadata *_metadata,
			FIXTURE_DATA(grp) *self, long fresh, long mapped)
{
	int n = grp_attached(self), k;
	int missing = n ? NDEV - n : 0;

	EXPECT_ROUTES(self->fd, self->a, n, missing);
	if (missing) {
		EXPECT_EQ(-EPERM, ioasid_map(self->fd, self->a,
					     self->buf + fresh * PG, Y,
					     (NPG - fresh) * PG,
					     IOASID_DMA_RW));
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    self->buf + fresh * PG,
						    NPG - fresh, 0));
	}
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, mapped,
					    1));
	for (k = 0; k < NDEV; k++) {
		if (!mapped)
			break;
		if (self->attached[k]) {
			EXPECT_EQ(-1, first_wrong_page(self->dev[k], NO_PASID,
						       X, self->buf, mapped))
				TH_LOG("device %d", k);
		} else {
			EXPECT_EQ(-1, first_reachable_page(self->dev[k],
							   NO_PASID, X,
							   mapped))
				TH_LOG("device %d", k);
		}
	}
}

TEST_F(grp, partial_counts_down_and_up)
{
	long pin_kb = ioasid_pinned_kb(), lck_kb = ioasid_vmlck_kb();
	unsigned int i;
	int k;

	REQ(REQ-GROUP, REQ-INFO-ROUTES, REQ-MAP-PARTIAL, REQ-ARG-NOCHANGE,
	    REQ-UNBIND-DETACHES, REQ-TESTIF-PINNED);
	for (i = 0; i < NDEV; i++) {
		k = variant->attach[i];
		ASSERT_EQ(0, device_attach(self->dev[k], self->a));
		self->attached[k] = true;
		/* out_missing goes 2, 1, 0 */
		check_group(_metadata, self, 0, 0);
		EXPECT_EQ(pin_kb, ioasid_pinned_kb());
		EXPECT_EQ(lck_kb, ioasid_vmlck_kb());
	}
	/* complete: pages 0-3 map, and every member reaches them */
	ASSERT_EQ(0, ioasid_map(self->fd, self->a, self->buf, X, 4 * PG,
				IOASID_DMA_RW));
	check_group(_metadata, self, 4, 4);
	pin_kb = ioasid_pinned_kb();
	lck_kb = ioasid_vmlck_kb();
	for (i = 0; i < NDEV; i++) {
		EXPECT_EQ(0, grp_leave(self, variant->leave[i]));
		/* out_missing goes 1, 2, then 0 with nobody attached */
		check_group(_metadata, self, 4, 4);
		EXPECT_EQ(pin_kb, ioasid_pinned_kb());
		EXPECT_EQ(lck_kb, ioasid_vmlck_kb());
	}
	EXPECT_EQ(4 * PG, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

TEST_F(grp, unmap_is_allowed_while_partial)
{
	/* three mappings of two pages; one goes after each member */
	const uint64_t iova[NDEV] = { X, Y, Z };
	unsigned int i;
	int k, j, n;

	REQ(REQ-UNMAP-PARTIAL, REQ-MAP-PARTIAL, REQ-GROUP, REQ-UNMAP,
	    REQ-UNMAP-BLOCKS, REQ-UNMAP-UNPIN);
	for (i = 0; i < NDEV; i++) {
		k = variant->attach[i];
		ASSERT_EQ(0, device_attach(self->dev[k], self->a));
		self->attached[k] = true;
	}
	for (j = 0; j < NDEV; j++) {
		ASSERT_EQ(0, ioasid_map(self->fd, self->a,
					self->buf + 2 * j * PG, iova[j],
					2 * PG, IOASID_DMA_RW));
	}
	for (i = 0; i < NDEV; i++) {
		EXPECT_EQ(0, grp_leave(self, variant->leave[i]));
		n = grp_attached(self);
		EXPECT_ROUTES(self->fd, self->a, n, n ? NDEV - n : 0);
		if (n) {
			EXPECT_EQ(-EPERM, ioasid_map(self->fd, self->a,
						     self->buf + 6 * PG, 0,
						     2 * PG, IOASID_DMA_RW));
			EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
							    self->buf + 6 * PG,
							    2, 0));
		}
		/* the IOASID is partial (but at the end), and unmap works */
		EXPECT_EQ(2 * PG, ioasid_unmap(self->fd, self->a, iova[i],
					       2 * PG))
			TH_LOG("after member %u left", i + 1);
		EXPECT_EQ(-1, first_pinned_mismatch(self->testif,
						    self->buf + 2 * i * PG,
						    2, 0));
		for (k = 0; k < NDEV; k++) {
			if (!self->attached[k])
				continue;
			EXPECT_EQ(-1, first_reachable_page(self->dev[k],
							   NO_PASID, iova[i],
							   2));
			for (j = i + 1; j < NDEV; j++) {
				EXPECT_EQ(-1, first_wrong_page(self->dev[k],
							       NO_PASID,
							       iova[j],
							       self->buf +
							       2 * j * PG, 2))
					TH_LOG("device %d, mapping %d", k, j);
			}
		}
	}
	EXPECT_EQ(0, ioasid_unmap_all(self->fd, self->a));
	EXPECT_EQ(-1, first_pinned_mismatch(self->testif, self->buf, NPG, 0));
}

TEST_HARNESS_MAIN
