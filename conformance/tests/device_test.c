// SPDX-License-Identifier: GPL-2.0
/*
 * Conformance tests for devices and IOASID descriptors: binding, device
 * labels, unbinding and what closing either side does.  The devices come
 * from the conformance test interface; without it every test here is
 * skipped.
 */
#include <limits.h>
#include <stddef.h>
#include <sys/mman.h>

#include "ioasid_test.h"

#define NDEV	8

FIXTURE(devs) {
	int testif;
	int fd;
	int dev[NDEV];
};

FIXTURE_SETUP(devs)
{
	const char *why = NULL;
	unsigned int i;

	for (i = 0; i < NDEV; i++)
		self->dev[i] = -1;
	self->fd = -1;
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
	self->fd = ioasid_open();
	ASSERT_LE(0, self->fd);
	for (i = 0; i < NDEV; i++) {
		self->dev[i] = testif_create_device(self->testif);
		ASSERT_LE(0, self->dev[i]);
	}
}

FIXTURE_TEARDOWN(devs)
{
	unsigned int i;

	for (i = 0; i < NDEV; i++)
		if (self->dev[i] >= 0)
			close(self->dev[i]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->testif >= 0)
		close(self->testif);
}

TEST_F(devs, bind_returns_distinct_labels)
{
	long label[NDEV];
	unsigned int i, j;

	REQ(REQ-DEV-BIND, REQ-TESTIF-DEVICE);
	for (i = 0; i < NDEV; i++) {
		label[i] = device_bind(self->dev[i], self->fd);
		ASSERT_LE(1, label[i]);
		ASSERT_GE(INT_MAX, label[i]);
		for (j = 0; j < i; j++) {
			ASSERT_NE(label[j], label[i]);
		}
	}
	for (i = 0; i < NDEV; i++) {
		ASSERT_EQ(0, device_unbind(self->dev[i]));
	}
}

TEST_F(devs, bind_twice_fails_with_ebusy)
{
	int other = ioasid_open();

	REQ(REQ-DEV-BIND-ONCE, REQ-ARG-NOCHANGE);
	ASSERT_LE(0, other);
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_EQ(-EBUSY, device_bind(self->dev[0], self->fd));
	ASSERT_EQ(-EBUSY, device_bind(self->dev[0], other));
	/* still bound exactly once: one unbind succeeds, the next fails */
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
	/* and now it may bind to the other descriptor */
	ASSERT_LE(1, device_bind(self->dev[0], other));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	close(other);
}

TEST_F(devs, bind_needs_an_ioasid_descriptor)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	REQ(REQ-DEV-BIND-BADF, REQ-ARG-NOCHANGE);
	ASSERT_LE(0, null);
	ASSERT_EQ(-EBADF, device_bind(self->dev[0], -1));
	ASSERT_EQ(-EBADF, device_bind(self->dev[0], INT_MAX));
	ASSERT_EQ(-EINVAL, device_bind(self->dev[0], null));
	/* neither the test interface nor a device is an IOASID descriptor */
	ASSERT_EQ(-EINVAL, device_bind(self->dev[0], self->testif));
	ASSERT_EQ(-EINVAL, device_bind(self->dev[0], self->dev[1]));
	close(null);
	/* the failures left the device unbound */
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
}

TEST_F(devs, unbind_then_rebind_anywhere)
{
	int other = ioasid_open();

	REQ(REQ-DEV-UNBIND);
	ASSERT_LE(0, other);
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
	ASSERT_LE(1, device_bind(self->dev[0], other));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	close(other);
}

TEST_F(devs, labels_are_handed_out_next_fit)
{
	int fresh = ioasid_open();
	long label, last;
	unsigned int i;

	REQ(REQ-DEV-LABEL-NEXT);
	ASSERT_LE(0, fresh);
	/* a new descriptor's first label is 1 */
	EXPECT_EQ(1, device_bind(self->dev[0], fresh));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	EXPECT_EQ(2, device_bind(self->dev[0], fresh));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	close(fresh);
	/* each label is the one after the last, unbound ones skipped */
	last = device_bind(self->dev[0], self->fd);
	ASSERT_LE(1, last);
	for (i = 1; i < 64; i++) {
		label = device_bind(self->dev[i % NDEV], self->fd);
		ASSERT_EQ(last + 1, label)
			TH_LOG("binding %u", i);
		last = label;
		if (i % NDEV == NDEV - 1) {
			unsigned int k;

			for (k = 0; k < NDEV; k++) {
				ASSERT_EQ(0, device_unbind(self->dev[k]));
			}
		}
	}
}

TEST_F(devs, labels_are_local_to_the_descriptor)
{
	int other = ioasid_open();
	long a, b;

	REQ(REQ-DEV-BIND, REQ-IOASID-LOCAL);
	ASSERT_LE(0, other);
	/* each descriptor numbers its own devices */
	a = device_bind(self->dev[0], self->fd);
	b = device_bind(self->dev[1], other);
	ASSERT_LE(1, a);
	ASSERT_LE(1, b);
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	ASSERT_EQ(0, device_unbind(self->dev[1]));
	close(other);
}

TEST_F(devs, closing_the_ioasid_descriptor_keeps_devices_bound)
{
	int again;

	REQ(REQ-DEV-CLOSE-CTX);
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_LE(1, device_bind(self->dev[1], self->fd));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	again = ioasid_open();
	ASSERT_LE(0, again);
	/* still bound to the closed descriptor's context */
	ASSERT_EQ(-EBUSY, device_bind(self->dev[0], again));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	ASSERT_EQ(0, device_unbind(self->dev[1]));
	/* now free to bind anywhere */
	ASSERT_LE(1, device_bind(self->dev[0], again));
	ASSERT_EQ(0, device_unbind(self->dev[0]));
	close(again);
}

TEST_F(devs, closing_a_bound_device_unbinds_it)
{
	REQ(REQ-DEV-CLOSE-DEVICE, REQ-TESTIF-DEVICE);
	/*
	 * A binding that survived the close would hold the IOASID
	 * descriptor's file, and with it the core module: the driver's
	 * module unload at the end of the run, and kmemleak on the debug
	 * kernel, report it.  Here: the close works, and the device's
	 * siblings are unaffected.
	 */
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	ASSERT_LE(1, device_bind(self->dev[1], self->fd));
	ASSERT_EQ(0, close(self->dev[0]));
	self->dev[0] = -1;
	ASSERT_EQ(-EBUSY, device_bind(self->dev[1], self->fd));
	ASSERT_EQ(0, device_unbind(self->dev[1]));
}

TEST_F(devs, device_commands_are_not_ioasid_commands)
{
	struct ioasid_device_bind bind = {
		.argsz = sizeof(bind),
		.ioasid_fd = self->fd,
	};
	struct ioasid_device_unbind unbind = { .argsz = sizeof(unbind) };

	REQ(REQ-IOCTL-UNKNOWN);
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->fd, IOASID_DEVICE_BIND, &bind));
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->fd, IOASID_DEVICE_UNBIND,
					&unbind));
	/* and IOASID commands are not device commands */
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->dev[0], IOASID_GET_API_VERSION,
					NULL));
}

TEST_F(devs, bind_bad_arguments)
{
	struct ioasid_device_bind valid = {
		.argsz = sizeof(valid),
		.ioasid_fd = self->fd,
	};

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	check_bad_args(_metadata, self->dev[0], IOASID_DEVICE_BIND, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	/* none of them bound the device */
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
}

TEST_F(devs, unbind_bad_arguments)
{
	struct ioasid_device_unbind valid = { .argsz = sizeof(valid) };

	REQ(REQ-ARG-SIZE-MIN, REQ-ARG-SIZE-MAX, REQ-ARG-TAIL, REQ-ARG-FLAGS,
	    REQ-ARG-FAULT, REQ-ARG-NOCHANGE);
	ASSERT_LE(1, device_bind(self->dev[0], self->fd));
	check_bad_args(_metadata, self->dev[0], IOASID_DEVICE_UNBIND, &valid,
		       sizeof(valid), 0, NO_RESERVED);
	/* none of them unbound it */
	ASSERT_EQ(0, device_unbind(self->dev[0]));
}

TEST_F(devs, bind_that_cannot_respond_binds_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ioasid_device_bind *arg;
	void *map;

	REQ(REQ-ARG-FAULT, REQ-ARG-NOCHANGE, REQ-DEV-BIND);
	map = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	arg = map;
	arg->argsz = sizeof(*arg);
	arg->ioasid_fd = self->fd;
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->dev[0], IOASID_DEVICE_BIND, arg));
	munmap(map, page);
	ASSERT_EQ(-EINVAL, device_unbind(self->dev[0]));
}

FIXTURE(testif) {
	int testif;
};

FIXTURE_SETUP(testif)
{
	const char *why = NULL;

	self->testif = testif_open(0, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(testif)
{
	if (self->testif >= 0)
		close(self->testif);
}

TEST_F(testif, get_caps)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };

	REQ(REQ-TESTIF-CAPS);
	ASSERT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_GET_CAPS, &caps));
	ASSERT_EQ(IOASID_TEST_VERSION, caps.out_version);
	if (!(caps.out_caps & IOASID_TEST_CAP_DEVICE)) {
		struct ioasid_test_create_device dev = { .argsz = sizeof(dev) };

		ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->testif,
						IOASID_TEST_CREATE_DEVICE,
						&dev));
	}
}

TEST_F(testif, create_device_properties)
{
	struct ioasid_test_create_device dev = {
		.argsz = sizeof(dev),
		.pasid_bits = 21,
	};

	REQ(REQ-TESTIF-DEVICE);
	/* PCI PASIDs have at most 20 bits */
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->testif,
					IOASID_TEST_CREATE_DEVICE, &dev));
	dev.pasid_bits = 20;
	dev.__reserved2 = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->testif,
					IOASID_TEST_CREATE_DEVICE, &dev));
	dev.__reserved2 = 0;
	ASSERT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_CREATE_DEVICE,
				  &dev));
	ASSERT_LE(0, dev.out_fd);
	close(dev.out_fd);
	/* a first-version argument, without pasid_bits, still works */
	dev.argsz = 16;
	ASSERT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_CREATE_DEVICE,
				  &dev));
	close(dev.out_fd);
}

TEST_F(testif, bad_arguments)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };
	struct ioasid_test_create_device dev = { .argsz = sizeof(dev) };

	REQ(REQ-TESTIF-CAPS, REQ-ARG-SIZE-MIN, REQ-ARG-FLAGS,
	    REQ-ARG-RESERVED);
	check_bad_args(_metadata, self->testif, IOASID_TEST_GET_CAPS, &caps,
		       sizeof(caps), 0,
		       offsetof(struct ioasid_test_get_caps, __reserved));
	ASSERT_EQ(0, ioasid_ioctl(self->testif, IOASID_TEST_GET_CAPS, &caps));
	if (caps.out_caps & IOASID_TEST_CAP_DEVICE)
		check_bad_args_min(_metadata, self->testif,
				   IOASID_TEST_CREATE_DEVICE, &dev,
				   sizeof(dev), 16, IOASID_TEST_DEVICE_GROUP |
				   IOASID_TEST_DEVICE_MEDIATED |
				   IOASID_TEST_DEVICE_ENQCMD,
				   offsetof(struct ioasid_test_create_device,
					    __reserved));
}

TEST_HARNESS_MAIN
