// SPDX-License-Identifier: GPL-2.0
/*
 * Fail-nth sweeps of every command (see fail_nth.h).  Each command added
 * to the interface gets its sweep here in the same change.
 */
#include <sys/mman.h>

#include "fail_nth.h"

/* Opening and closing the device. */
FAIL_NTH_TEST(open_close, "REQ-DEV-OPEN, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* IOASID_GET_API_VERSION on a fresh descriptor. */
FAIL_NTH_TEST(get_api_version, "REQ-API-VERSION, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioasid_ioctl(fd, IOASID_GET_API_VERSION, NULL);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == IOASID_API_VERSION ? 0 : -EBADE;
}

/* IOASID_CHECK_EXTENSION, with an argument longer than the kernel knows. */
FAIL_NTH_TEST(check_extension, "REQ-EXT-RESULT, REQ-ARG-TAIL, REQ-ERR-RESOURCE")
{
	struct {
		struct ioasid_check_extension arg;
		uint8_t tail[32];
	} big = { .arg = { .argsz = sizeof(big), .extension = 7 } };
	int fd = ioasid_open();
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioasid_ioctl(fd, IOASID_CHECK_EXTENSION, &big);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == 0 ? 0 : -EBADE;
}

/* IOASID_ALLOC and IOASID_FREE. */
FAIL_NTH_TEST(alloc_free, "REQ-IOASID-ALLOC, REQ-IOASID-FREE, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	long id, ret;

	if (fd < 0)
		return -errno;
	id = ioasid_alloc_one(fd);
	if (id < 0) {
		close(fd);
		return id;
	}
	ret = ioasid_free_one(fd, id);
	if (!ret) {
		/*
		 * Once freed, the number is gone.  The check is a command
		 * too, so it may take the injected failure itself.
		 */
		long again = ioasid_free_one(fd, id);

		if (again != -ENOENT && again != -ENOMEM && again != -EFAULT)
			ret = -EBADE;
	}
	close(fd);
	return ret;
}

/* Closing a descriptor that still holds IOASIDs. */
FAIL_NTH_TEST(alloc_then_close, "REQ-IOASID-CLOSE, REQ-ERR-RESOURCE")
{
	int fd = ioasid_open();
	unsigned int i;
	long id = 0;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 4 && id >= 0; i++)
		id = ioasid_alloc_one(fd);
	close(fd);
	return id < 0 ? id : 0;
}

/* Memory for the registration sweeps: 8 touched, writable pages. */
static uint8_t *sweep_memory(size_t *length)
{
	static uint8_t *buf;

	*length = 8 * sysconf(_SC_PAGESIZE);
	if (!buf) {
		buf = mmap(NULL, *length, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			buf = NULL;
			return NULL;
		}
		memset(buf, 1, *length);
	}
	return buf;
}

static long mem_cmd(int fd, unsigned long cmd, void *vaddr, size_t length)
{
	struct ioasid_register_memory arg = {
		.argsz = sizeof(arg),
		.vaddr = (uintptr_t)vaddr,
		.length = length,
	};

	return ioasid_ioctl(fd, cmd, &arg);
}

/* IOASID_REGISTER_MEMORY and IOASID_UNREGISTER_MEMORY. */
FAIL_NTH_TEST(register_memory, "REQ-MEM-REGISTER, REQ-MEM-UNREGISTER, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	int fd = ioasid_open();
	long ret;

	if (!buf)
		return -ENOMEM;
	if (fd < 0)
		return -errno;
	ret = mem_cmd(fd, IOASID_REGISTER_MEMORY, buf, length);
	if (!ret)
		ret = mem_cmd(fd, IOASID_UNREGISTER_MEMORY, buf, length);
	close(fd);
	return ret;
}

/* Registrations left for the close to undo. */
FAIL_NTH_TEST(register_then_close, "REQ-MEM-CLOSE, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	int fd = ioasid_open();
	long ret;

	if (!buf)
		return -ENOMEM;
	if (fd < 0)
		return -errno;
	ret = mem_cmd(fd, IOASID_REGISTER_MEMORY, buf, length / 2);
	if (!ret)
		ret = mem_cmd(fd, IOASID_REGISTER_MEMORY, buf + length / 2,
			      length / 2);
	close(fd);
	return ret;
}

/*
 * Creating a test device, binding it, unbinding it, and binding it again
 * before closing everything (the last binding ends with the close).
 * Without the test interface (or its device capability) the scenario
 * returns -ENODEV on its first, uninjected run and the sweep is skipped:
 * sweeping nothing must not count as a pass.
 */
FAIL_NTH_TEST(device_bind, "REQ-DEV-BIND, REQ-DEV-UNBIND, REQ-DEV-CLOSE-DEVICE, REQ-ERR-RESOURCE")
{
	int testif = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
	int fd, dev;
	long ret;

	if (testif < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	fd = ioasid_open();
	if (fd < 0) {
		ret = -errno;
		goto out_testif;
	}
	dev = testif_create_device(testif);
	if (dev < 0) {
		/* no device capability: nothing to sweep */
		ret = dev == -ENOTTY ? -ENODEV : dev;
		goto out_fd;
	}
	ret = device_bind(dev, fd);
	if (ret < 0)
		goto out_dev;
	ret = device_unbind(dev);
	if (ret)
		goto out_dev;
	ret = device_bind(dev, fd);
	if (ret > 0)
		ret = 0;
out_dev:
	close(dev);
out_fd:
	close(fd);
out_testif:
	close(testif);
	return ret;
}

/* Attaching and detaching routes, and an unbind that detaches the rest. */
FAIL_NTH_TEST(attach_detach, "REQ-ATTACH, REQ-DETACH, REQ-UNBIND-DETACHES, REQ-ERR-RESOURCE")
{
	int testif = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
	int fd = -1, dev = -1;
	long ret, id;

	if (testif < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	fd = ioasid_open();
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	dev = testif_create_pasid_device(testif, 4);
	if (dev < 0) {
		ret = dev == -ENOTTY ? -ENODEV : dev;
		goto out;
	}
	ret = device_bind(dev, fd);
	if (ret < 0)
		goto out;
	id = ioasid_alloc_one(fd);
	if (id < 0) {
		ret = id;
		goto out;
	}
	ret = device_attach(dev, id);
	if (!ret)
		ret = device_attach_pasid(dev, id, 3);
	if (!ret)
		ret = device_detach(dev, id);
	if (!ret)
		ret = device_unbind(dev);
out:
	if (dev >= 0)
		close(dev);
	if (fd >= 0)
		close(fd);
	close(testif);
	return ret;
}

TEST_HARNESS_MAIN
