// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for attaching devices to IOASIDs: routes (RID and
 * PASID), their uniqueness, detaching, and how attachments constrain
 * IOASID_FREE and unbinding.  The devices come from the conformance test
 * interface; without it every test here is skipped.
 */
#include <stddef.h>

#include "ioasid_test.h"

FIXTURE(att) {
	int testif;
	int fd;
	int dev;	/* bound, PASID width 8 */
	int plain;	/* bound, no PASID support */
	long a, b;	/* two IOASIDs */
};

FIXTURE_SETUP(att)
{
	const char *why = NULL;

	self->fd = self->dev = self->plain = -1;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	self->dev = testif_create_pasid_device(self->testif, 8);
	ASSERT_LE(0, self->dev);
	self->plain = testif_create_device(self->testif);
	ASSERT_LE(0, self->plain);
	ASSERT_LE(1, device_bind(self->dev, self->fd));
	ASSERT_LE(1, device_bind(self->plain, self->fd));
	self->a = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->a);
	self->b = ioasid_alloc_one(self->fd);
	ASSERT_LE(1, self->b);
}

FIXTURE_TEARDOWN(att)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->plain >= 0)
		close(self->plain);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
}

TEST_F(att, attach_and_detach_the_default_route)
{
	REQ(REQ-ATTACH, REQ-DETACH);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, device_detach(self->dev, self->a));
	/* the route may be attached again, anywhere */
	ASSERT_EQ(0, device_attach(self->dev, self->b));
	ASSERT_EQ(0, device_detach(self->dev, self->b));
}

TEST_F(att, one_ioasid_serves_many_routes)
{
	unsigned int pasid;

	REQ(REQ-ATTACH);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, device_attach(self->plain, self->a));
	for (pasid = 0; pasid < 16; pasid++) {
		ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, pasid));
	}
	for (pasid = 0; pasid < 16; pasid++) {
		ASSERT_EQ(0, device_detach_pasid(self->dev, self->a, pasid));
	}
	ASSERT_EQ(0, device_detach(self->dev, self->a));
	ASSERT_EQ(0, device_detach(self->plain, self->a));
}

TEST_F(att, a_route_is_attached_once)
{
	REQ(REQ-ATTACH-ONCE, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	EXPECT_EQ(-EBUSY, device_attach(self->dev, self->a));
	EXPECT_EQ(-EBUSY, device_attach(self->dev, self->b));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->b, 5));
	EXPECT_EQ(-EBUSY, device_attach_pasid(self->dev, self->b, 5));
	EXPECT_EQ(-EBUSY, device_attach_pasid(self->dev, self->a, 5));
	/* the failures changed nothing: each route is where it was */
	EXPECT_EQ(-ENOENT, device_detach(self->dev, self->b));
	EXPECT_EQ(-ENOENT, device_detach_pasid(self->dev, self->a, 5));
	EXPECT_EQ(0, device_detach(self->dev, self->a));
	EXPECT_EQ(0, device_detach_pasid(self->dev, self->b, 5));
}

TEST_F(att, pasid_needs_support_and_range)
{
	REQ(REQ-ATTACH-PASID-WIDTH, REQ-ARG-NOCHANGE);
	/* a device without PASID support has a width of 0 */
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->plain, self->a, 1));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->plain, self->a, 0));
	EXPECT_EQ(-EINVAL, device_detach_pasid(self->plain, self->a, 0));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev, self->a, 256));
	EXPECT_EQ(-EINVAL, device_attach_pasid(self->dev, self->a, 0xfffff));
	EXPECT_EQ(-EINVAL, device_route(self->dev, IOASID_DEVICE_ATTACH,
					self->a, 0, 3));
	EXPECT_EQ(0, device_attach_pasid(self->dev, self->a, 255));
	EXPECT_EQ(0, device_detach_pasid(self->dev, self->a, 255));
	/* PASID 0 is a route of its own, apart from the default route */
	EXPECT_EQ(0, device_attach_pasid(self->dev, self->a, 0));
	EXPECT_EQ(0, device_attach(self->dev, self->b));
	EXPECT_EQ(-ENOENT, device_detach(self->dev, self->a));
	EXPECT_EQ(0, device_detach_pasid(self->dev, self->a, 0));
	EXPECT_EQ(0, device_detach(self->dev, self->b));
	/* nothing was attached by the failures */
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
}

TEST_F(att, unknown_and_foreign_ioasids)
{
	int other = ioasid_open();
	long theirs;

	REQ(REQ-ATTACH-STATE, REQ-IOASID-LOCAL, REQ-DETACH);
	ASSERT_LE(0, other);
	theirs = ioasid_alloc_one(other);
	ASSERT_LE(1, theirs);
	EXPECT_EQ(-ENOENT, device_attach(self->dev, 0));
	EXPECT_EQ(-ENOENT, device_attach(self->dev, 0x7fffffff));
	ASSERT_EQ(0, ioasid_free_one(self->fd, self->b));
	EXPECT_EQ(-ENOENT, device_attach(self->dev, self->b));
	/* a number of another descriptor names nothing here */
	if (theirs != self->a) {
		EXPECT_EQ(-ENOENT, device_attach(self->dev, theirs));
	}
	EXPECT_EQ(-ENOENT, device_detach(self->dev, self->a));
	EXPECT_EQ(-ENOENT, device_detach(self->dev, 0));
	close(other);
}

TEST_F(att, attach_needs_a_bound_device)
{
	REQ(REQ-ATTACH-STATE);
	ASSERT_EQ(0, device_unbind(self->plain));
	EXPECT_EQ(-EINVAL, device_attach(self->plain, self->a));
	EXPECT_EQ(-EINVAL, device_detach(self->plain, self->a));
}

TEST_F(att, attached_ioasid_cannot_be_freed)
{
	REQ(REQ-FREE-ATTACHED, REQ-ARG-NOCHANGE);
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->a, 1));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->a));
	ASSERT_EQ(0, device_detach_pasid(self->dev, self->a, 1));
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
}

TEST_F(att, unbind_and_close_detach_everything)
{
	REQ(REQ-UNBIND-DETACHES);
	ASSERT_EQ(0, device_attach(self->dev, self->a));
	ASSERT_EQ(0, device_attach_pasid(self->dev, self->b, 2));
	ASSERT_EQ(0, device_attach(self->plain, self->b));
	ASSERT_EQ(0, device_unbind(self->dev));
	/* a is free of attachments now; b still has plain's */
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
	EXPECT_EQ(-EBUSY, ioasid_free_one(self->fd, self->b));
	ASSERT_EQ(0, close(self->plain));
	self->plain = -1;
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->b));
}

TEST_F(att, attach_bad_arguments)
{
	struct ioasid_device_attach valid = {
		.argsz = sizeof(valid),
		.ioasid = self->a,
	};

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	check_bad_args(_metadata, self->dev, IOASID_DEVICE_ATTACH, &valid,
		       sizeof(valid), IOASID_ATTACH_PASID, NO_RESERVED);
	check_bad_args(_metadata, self->dev, IOASID_DEVICE_DETACH, &valid,
		       sizeof(valid), IOASID_ATTACH_PASID, NO_RESERVED);
	/* nothing got attached */
	EXPECT_EQ(0, ioasid_free_one(self->fd, self->a));
}

TEST_HARNESS_MAIN
