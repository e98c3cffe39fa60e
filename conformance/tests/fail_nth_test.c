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
FAIL_NTH_TEST(register_memory, "REQ-MEM-PIN, REQ-MEM-UNREGISTER-MM, REQ-ERR-RESOURCE")
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

/*
 * The sweeps below need the conformance test interface with the
 * capabilities @need: its descriptor, or -ENODEV without them (so that
 * the first, uninjected run makes the sweep skip).
 */
static int sweep_testif(uint64_t need)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };
	int testif = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
	long ret;

	if (testif < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	ret = ioasid_ioctl(testif, IOASID_TEST_GET_CAPS, &caps);
	if (!ret && (caps.out_caps & need) != need)
		ret = -ENODEV;
	if (ret) {
		close(testif);
		return ret;
	}
	return testif;
}

/*
 * The locked memory of this process (VmPin, kB) must be what it was at the
 * first run of the sweep: a run that failed must not have left a page
 * charged.  Read with plain system calls, which may take the injected
 * failure themselves; then the scenario reports that failure.  Returns 0,
 * -EBADE when the charge changed, or -errno.
 */
static long sweep_locked_unchanged(void)
{
	static long baseline = -1;
	char status[4096], *line;
	ssize_t len, got = 0;
	long kb;
	int fd;

	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((len = read(fd, status + got, sizeof(status) - 1 - got)) > 0)
		got += len;
	if (len < 0) {
		len = -errno;
		close(fd);
		return len;
	}
	close(fd);
	status[got] = '\0';
	line = strstr(status, "\nVmPin:");
	if (!line || sscanf(line, "\nVmPin: %ld kB", &kb) != 1)
		return -EFAULT;	/* a short read: a failed user copy */
	if (baseline < 0)
		baseline = kb;
	return kb == baseline ? 0 : -EBADE;
}

/* A test device (class A, PASID width 4) bound to a new descriptor. */
struct sweep_ctx {
	int testif;
	int fd;
	int dev;
	long id;	/* an IOASID of fd, or 0 */
};

static void sweep_ctx_close(struct sweep_ctx *c)
{
	if (c->dev >= 0)
		close(c->dev);
	if (c->fd >= 0)
		close(c->fd);
	if (c->testif >= 0)
		close(c->testif);
}

/*
 * Set @c up: the test interface with @need, a descriptor, a bound device
 * behind an IOMMU of @iommu_class and an IOASID, which the device's
 * default route is attached to when @attach.  0 or -errno, with
 * everything released on failure.
 */
static long sweep_ctx_open_class(struct sweep_ctx *c, uint64_t need,
				 bool attach, uint32_t iommu_class)
{
	long ret;

	c->fd = c->dev = -1;
	c->id = 0;
	c->testif = sweep_testif(IOASID_TEST_CAP_DEVICE | need);
	if (c->testif < 0)
		return c->testif;
	c->fd = ioasid_open();
	if (c->fd < 0) {
		ret = -errno;
		goto fail;
	}
	c->dev = testif_create_device_ex(c->testif, 0, 4, iommu_class, 0);
	if (c->dev < 0) {
		ret = c->dev;
		goto fail;
	}
	ret = device_bind(c->dev, c->fd);
	if (ret < 0)
		goto fail;
	c->id = ioasid_alloc_one(c->fd);
	if (c->id < 0) {
		ret = c->id;
		goto fail;
	}
	if (attach) {
		ret = device_attach(c->dev, c->id);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	sweep_ctx_close(c);
	return ret;
}

/* sweep_ctx_open_class() with a device of class A. */
static long sweep_ctx_open(struct sweep_ctx *c, uint64_t need, bool attach)
{
	return sweep_ctx_open_class(c, need, attach, IOASID_TEST_IOMMU_A);
}

/*
 * The start of a sweep that pins: the charge is what it was at the first
 * run (sweep_locked_unchanged()), and @c is open with its device's default
 * route attached.  0 or -errno.
 */
static long sweep_begin(struct sweep_ctx *c)
{
	long ret = sweep_locked_unchanged();

	return ret ? ret : sweep_ctx_open(c, 0, true);
}

#define SWEEP_IOVA	0x100000ull

/* IOASID_GET_INFO of an IOASID before its first attach. */
FAIL_NTH_TEST(get_info, "REQ-INFO, REQ-INFO-EMPTY, REQ-ERR-RESOURCE")
{
	struct ioasid_info info;
	int fd = ioasid_open();
	long id, ret;

	if (fd < 0)
		return -errno;
	id = ioasid_alloc_one(fd);
	if (id < 0) {
		close(fd);
		return id;
	}
	ret = ioasid_get_info(fd, id, &info);
	if (!ret && (info.out_flags || info.num_ranges || info.num_reserved))
		ret = -EBADE;
	close(fd);
	return ret;
}

/* IOASID_GET_INFO of an IOASID with a page table, with its range arrays. */
FAIL_NTH_TEST(get_info_ranges, "REQ-INFO, REQ-INFO-RANGES, REQ-ERR-RESOURCE")
{
	struct ioasid_iova_range ranges[4], reserved[4];
	struct ioasid_info info;
	struct sweep_ctx c;
	long ret;

	ret = sweep_ctx_open(&c, 0, true);
	if (ret)
		return ret;
	ret = ioasid_get_info_ranges(c.fd, c.id, &info, ranges, 4, reserved, 4);
	if (!ret && (!(info.out_flags & IOASID_INFO_PGTABLE) ||
		     info.num_ranges != 2 || info.num_reserved != 1 ||
		     reserved[0].start != 0xfee00000ull))
		ret = -EBADE;
	sweep_ctx_close(&c);
	return ret;
}

/*
 * The attach that gives an IOASID its page table, a second attach that
 * uses it, and the detaches, after which the page table stays.  An attach
 * that failed must not have made a page table.
 */
FAIL_NTH_TEST(attach_pgtable, "REQ-ATTACH-PGTABLE, REQ-ATTACH, REQ-DETACH, REQ-IOASID-NOCMD, REQ-ERR-RESOURCE")
{
	struct sweep_ctx c;
	int dev2;
	long ret, flags;

	ret = sweep_ctx_open(&c, 0, false);
	if (ret)
		return ret;
	dev2 = testif_create_device(c.testif);
	if (dev2 < 0) {
		ret = dev2;
		goto out;
	}
	ret = device_bind(dev2, c.fd);
	if (ret < 0)
		goto out_dev2;
	ret = device_attach(c.dev, c.id);
	if (ret) {
		/* the failure was this attach's: the rest runs uninjected */
		if (ioasid_info_flags(c.fd, c.id) != 0)
			ret = -EBADE;
		goto out_dev2;
	}
	ret = device_attach(dev2, c.id);
	if (!ret)
		ret = device_detach(c.dev, c.id);
	if (!ret)
		ret = device_detach(dev2, c.id);
	if (!ret) {
		flags = ioasid_info_flags(c.fd, c.id);
		if (flags < 0)
			ret = flags;
		else if (!(flags & IOASID_INFO_PGTABLE))
			ret = -EBADE;
	}
	if (!ret)
		ret = ioasid_free_one(c.fd, c.id);
out_dev2:
	close(dev2);
out:
	sweep_ctx_close(&c);
	return ret;
}

/*
 * IOASID_MAP_DMA and IOASID_UNMAP_DMA of unregistered memory: each mapping
 * pins and charges, each unmap gives back, freeing the IOASID removes the
 * last mapping.  A map that failed must have made nothing, and no run may
 * leave anything charged.
 */
FAIL_NTH_TEST(map_unmap, "REQ-MAP, REQ-MAP-UNREGISTERED, REQ-UNMAP, REQ-UNMAP-UNPIN, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	long page = sysconf(_SC_PAGESIZE);
	struct sweep_ctx c;
	long ret;

	if (!buf)
		return -ENOMEM;
	ret = sweep_begin(&c);
	if (ret)
		return ret;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, 2 * page, IOASID_DMA_RW);
	if (ret)
		goto out;
	ret = ioasid_map(c.fd, c.id, buf + 2 * page, SWEEP_IOVA + 2 * page,
			 2 * page, IOASID_DMA_READ);
	if (ret) {
		/* nothing but the first mapping is there */
		if (ioasid_unmap_all(c.fd, c.id) != 2 * page)
			ret = -EBADE;
		goto out;
	}
	ret = ioasid_unmap(c.fd, c.id, SWEEP_IOVA, 2 * page);
	if (ret >= 0)
		ret = ret == 2 * page ? 0 : -EBADE;
	if (ret) {
		/* a failed unmap removed nothing */
		if (ret != -EBADE &&
		    ioasid_unmap_all(c.fd, c.id) != 4 * page)
			ret = -EBADE;
		goto out;
	}
	ret = ioasid_unmap_all(c.fd, c.id);
	if (ret >= 0)
		ret = ret == 2 * page ? 0 : -EBADE;
	if (ret)
		goto out;
	/* a mapping for IOASID_FREE to remove */
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, length, IOASID_DMA_RW);
	if (!ret)
		ret = device_detach(c.dev, c.id);
	if (!ret)
		ret = ioasid_free_one(c.fd, c.id);
out:
	sweep_ctx_close(&c);
	return ret;
}

/*
 * The same with the memory registered first: the mappings pin and charge
 * nothing more, the registration cannot go while a mapping uses it.
 */
FAIL_NTH_TEST(map_unmap_registered, "REQ-MAP-REGISTERED-USE, REQ-MEM-BUSY, REQ-UNMAP, REQ-MEM-UNREGISTER-MM, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	struct sweep_ctx c;
	long ret;

	if (!buf)
		return -ENOMEM;
	ret = sweep_begin(&c);
	if (ret)
		return ret;
	ret = ioasid_register(c.fd, buf, length);
	if (ret)
		goto out;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, length / 2,
			 IOASID_DMA_RW);
	if (!ret)
		ret = ioasid_map(c.fd, c.id, buf + length / 2,
				 SWEEP_IOVA + length, length / 2,
				 IOASID_DMA_READ);
	if (ret)
		goto out;
	ret = ioasid_unregister(c.fd, buf, length);
	if (ret == -EBUSY)
		ret = 0;
	else if (!ret)
		ret = -EBADE;
	if (ret)
		goto out;
	ret = ioasid_unmap(c.fd, c.id, SWEEP_IOVA, length / 2);
	if (ret >= 0)
		ret = ret == (long)length / 2 ? 0 : -EBADE;
	if (!ret) {
		ret = ioasid_unmap_all(c.fd, c.id);
		if (ret >= 0)
			ret = ret == (long)length / 2 ? 0 : -EBADE;
	}
	if (!ret)
		ret = ioasid_unregister(c.fd, buf, length);
out:
	sweep_ctx_close(&c);
	return ret;
}

/*
 * IOASID_CREATE_NESTING, routes of both kinds on the child, a child
 * mapping over two parent mappings, the parent's unmap it refuses, the
 * child's unmap, the detaches and the frees.  A failed call must leave
 * the child and the parent as they were: the invariants are checked with
 * the calls that follow.
 */
FAIL_NTH_TEST(nesting, "REQ-NEST-CREATE, REQ-NEST-CREATE-COPY, REQ-NEST-ATTACH-RID, REQ-NEST-SW-MAP, REQ-NEST-SW-UNMAP-PARENT, REQ-NEST-SW-UNMAP, REQ-NEST-FREE-PARENT, REQ-INFO-NESTING, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	long page = sysconf(_SC_PAGESIZE);
	struct ioasid_info info;
	struct sweep_ctx c;
	long ret, child;

	if (!buf)
		return -ENOMEM;
	ret = sweep_begin(&c);
	if (ret)
		return ret;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, 4 * page, IOASID_DMA_RW);
	if (!ret)
		ret = ioasid_map(c.fd, c.id, buf + 4 * page,
				 SWEEP_IOVA + 4 * page, 4 * page,
				 IOASID_DMA_RW);
	if (ret)
		goto out;
	child = ioasid_nest(c.fd, c.id);
	if (child < 0) {
		ret = child;
		/* no child was left behind */
		if (ioasid_get_info(c.fd, c.id, &info) == 0 &&
		    info.out_children)
			ret = -EBADE;
		goto out;
	}
	ret = device_attach(c.dev, child);
	if (!ret)
		ret = device_attach_pasid(c.dev, child, 2);
	if (ret)
		goto out;
	ret = ioasid_map_parent(c.fd, child, SWEEP_IOVA + 2 * page, 0,
				4 * page, IOASID_DMA_RW);
	if (ret) {
		/* nothing of the child's mapping is left on the parent's */
		if (ioasid_unmap_all(c.fd, c.id) == -EBUSY)
			ret = -EBADE;
		goto out;
	}
	ret = ioasid_unmap_all(c.fd, c.id);
	if (ret != -EBUSY) {
		if (ret >= 0)
			ret = -EBADE;
		goto out;
	}
	ret = ioasid_unmap(c.fd, child, 0, 4 * page);
	if (ret >= 0)
		ret = ret == 4 * page ? 0 : -EBADE;
	if (!ret)
		ret = device_detach(c.dev, child);
	if (!ret)
		ret = device_detach_pasid(c.dev, child, 2);
	if (!ret)
		ret = ioasid_free_one(c.fd, child);
	if (!ret) {
		ret = ioasid_unmap_all(c.fd, c.id);
		if (ret >= 0)
			ret = ret == 8 * page ? 0 : -EBADE;
	}
out:
	sweep_ctx_close(&c);
	return ret;
}

/* Children with routes and mappings left for the close to undo. */
FAIL_NTH_TEST(nesting_then_close, "REQ-IOASID-CLOSE, REQ-UNBIND-DETACHES, REQ-NEST-SW-CHARGE, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	struct sweep_ctx c;
	long ret, child = 0;
	int i;

	if (!buf)
		return -ENOMEM;
	ret = sweep_begin(&c);
	if (ret)
		return ret;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, length, IOASID_DMA_RW);
	for (i = 0; i < 2 && !ret; i++) {
		child = ioasid_nest(c.fd, c.id);
		if (child < 0)
			ret = child;
		else
			ret = ioasid_map_parent(c.fd, child, SWEEP_IOVA, 0,
						length, IOASID_DMA_READ);
	}
	if (!ret)
		ret = device_attach(c.dev, child);
	sweep_ctx_close(&c);
	return ret;
}

/*
 * The start of a sweep of hardware nesting: as sweep_begin(), with a
 * device of class N, @buf mapped at SWEEP_IOVA of the parent, and the user
 * table @t (4 pages, GIOVA 0 and on translating to SWEEP_IOVA and on, the
 * last page read-only) mapped for reading at 2 * SWEEP_IOVA; a child is
 * made in *@child.  0 or -errno; on failure @c and @t are the caller's to
 * release.
 */
static long sweep_hw_begin(struct sweep_ctx *c, struct s1_tables *t,
			   uint8_t *buf, size_t length, long *child)
{
	unsigned long i, n = length / TEST_PAGE;
	long ret = sweep_locked_unchanged();

	c->fd = c->dev = c->testif = -1;
	t->mem = NULL;
	if (!ret)
		ret = sweep_ctx_open_class(c, IOASID_TEST_CAP_HW_NESTING, true,
					   IOASID_TEST_IOMMU_N);
	if (!ret)
		ret = s1_init(t, 4, 2 * SWEEP_IOVA);
	for (i = 0; i < n && !ret; i++)
		ret = s1_map(t, i * TEST_PAGE, SWEEP_IOVA + i * TEST_PAGE,
			     i == n - 1 ? S1_RO : S1_RW, 0);
	if (!ret)
		ret = ioasid_map(c->fd, c->id, buf, SWEEP_IOVA, length,
				 IOASID_DMA_RW);
	if (!ret)
		ret = ioasid_map(c->fd, c->id, t->mem, t->gpa,
				 t->npages * TEST_PAGE, IOASID_DMA_READ);
	if (!ret) {
		*child = ioasid_nest(c->fd, c->id);
		if (*child < 0)
			ret = *child;
	}
	return ret;
}

/*
 * Hardware nesting from start to end: a child with a bound table, the
 * device's default route on it, DMA walked through both stages and
 * blocked at stage 1, a batch of invalidations, then everything undone in
 * order.
 */
FAIL_NTH_TEST(hw_nesting, "REQ-NEST-HW-CREATE, REQ-NEST-HW-BIND, REQ-NEST-HW-UNBIND, REQ-NEST-INV, REQ-NEST-INV-BATCH, REQ-ERR-RESOURCE")
{
	struct ioasid_cache_inv inv[3] = {
		{ .type = IOASID_CACHE_IOTLB },
		{ .type = IOASID_CACHE_IOTLB, .flags = IOASID_INV_RANGE,
		  .addr = 0, .length = TEST_PAGE },
		{ .type = IOASID_CACHE_IOTLB, .flags = IOASID_INV_PASID,
		  .pasid = 2 },
	};
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	uint8_t byte = 0;
	struct s1_tables t;
	struct sweep_ctx c;
	uint32_t handled = 0;
	long ret, child = 0;

	if (!buf)
		return -ENOMEM;
	ret = sweep_hw_begin(&c, &t, buf, length, &child);
	if (!ret)
		ret = device_attach(c.dev, child);
	if (!ret)
		ret = device_attach_pasid(c.dev, child, 2);
	if (!ret)
		ret = ioasid_bind_test(c.fd, child, t.gpa);
	if (!ret) {
		buf[3 * TEST_PAGE + 5] = 0x5a;
		ret = dma_read(c.dev, 3 * TEST_PAGE + 5, &byte, 1);
		if (!ret && byte != 0x5a)
			ret = -EBADE;
	}
	if (!ret) {
		ret = dma_write(c.dev, length - 1, &byte, 1);
		ret = ret == IOASID_TEST_DMA_PERMISSION ? 0 :
		      ret < 0 ? ret : -EBADE;
	}
	if (!ret) {
		ret = ioasid_invalidate(c.fd, child, inv, 3, &handled);
		if (!ret && handled != 3)
			ret = -EBADE;
	}
	if (!ret)
		ret = ioasid_unbind_pgtable(c.fd, child);
	if (!ret)
		ret = device_detach_pasid(c.dev, child, 2);
	if (!ret)
		ret = device_detach(c.dev, child);
	if (!ret)
		ret = ioasid_free_one(c.fd, child);
	if (!ret) {
		ret = ioasid_unmap_all(c.fd, c.id);
		if (ret >= 0)
			ret = ret == (long)(length + t.npages * TEST_PAGE) ?
			      0 : -EBADE;
	}
	sweep_ctx_close(&c);
	s1_release(&t);
	return ret;
}

/* A bound child with routes and cached translations left for the close. */
FAIL_NTH_TEST(hw_nesting_then_close, "REQ-IOASID-CLOSE, REQ-UNBIND-DETACHES, REQ-NEST-HW-BIND, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	struct s1_tables t;
	struct sweep_ctx c;
	long ret, child = 0;
	uint8_t byte;

	if (!buf)
		return -ENOMEM;
	ret = sweep_hw_begin(&c, &t, buf, length, &child);
	if (!ret)
		ret = ioasid_bind_test(c.fd, child, t.gpa);
	if (!ret)
		ret = device_attach_pasid(c.dev, child, 1);
	if (!ret)
		ret = device_attach(c.dev, child);
	if (!ret)
		ret = dma_read(c.dev, 0, &byte, 1);
	sweep_ctx_close(&c);
	s1_release(&t);
	return ret > 0 ? -EBADE : ret;
}

/*
 * A PASID table from start to end: one page of entries, entry 0 naming
 * the user table of sweep_hw_begin(), bound to the child that the
 * device's default route moves to; DMA without a PASID walked through
 * the entry, the cache of entries and the IOTLB invalidated, then
 * everything undone in order.
 */
FAIL_NTH_TEST(pasid_table, "REQ-NEST-PT-BIND, REQ-NEST-PT-UNBIND, REQ-NEST-PT-INV, REQ-ERR-RESOURCE")
{
	struct ioasid_cache_inv inv[2] = {
		{ .type = IOASID_CACHE_PASID },
		{ .type = IOASID_CACHE_IOTLB },
	};
	uint8_t *ptab = test_memory(TEST_PAGE, TEST_PAGE, 0);
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	uint8_t byte = 0;
	struct s1_tables t;
	struct sweep_ctx c;
	uint32_t handled = 0;
	long ret, child = 0;

	if (ptab == MAP_FAILED)
		return -ENOMEM;
	if (!buf) {
		munmap(ptab, TEST_PAGE);
		return -ENOMEM;
	}
	ret = sweep_hw_begin(&c, &t, buf, length, &child);
	if (!ret) {
		((uint64_t *)ptab)[0] = PASID_ENTRY(t.gpa);
		ret = ioasid_map(c.fd, c.id, ptab, 3 * SWEEP_IOVA, TEST_PAGE,
				 IOASID_DMA_READ);
	}
	if (!ret)
		ret = device_attach(c.dev, child);
	if (!ret)
		ret = pasid_table_bind(c.fd, child, 3 * SWEEP_IOVA, 9);
	if (!ret) {
		buf[TEST_PAGE + 9] = 0xa5;
		ret = dma_read(c.dev, TEST_PAGE + 9, &byte, 1);
		if (!ret && byte != 0xa5)
			ret = -EBADE;
	}
	if (!ret) {
		ret = ioasid_invalidate(c.fd, child, inv, 2, &handled);
		if (!ret && handled != 2)
			ret = -EBADE;
	}
	if (!ret)
		ret = pasid_table_unbind(c.fd, child);
	if (!ret)
		ret = device_detach(c.dev, child);
	if (!ret)
		ret = ioasid_free_one(c.fd, child);
	if (!ret) {
		ret = ioasid_unmap_all(c.fd, c.id);
		if (ret >= 0)
			ret = ret == (long)(length + (t.npages + 1) * TEST_PAGE) ?
			      0 : -EBADE;
	}
	sweep_ctx_close(&c);
	s1_release(&t);
	munmap(ptab, TEST_PAGE);
	return ret > 0 ? -EBADE : ret;
}

/* Mappings left for the end of the context to remove. */
FAIL_NTH_TEST(map_then_close, "REQ-UNMAP-UNPIN, REQ-IOASID-CLOSE, REQ-ERR-RESOURCE")
{
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	struct sweep_ctx c;
	long ret;

	if (!buf)
		return -ENOMEM;
	ret = sweep_begin(&c);
	if (ret)
		return ret;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, length, IOASID_DMA_RW);
	if (!ret)
		ret = ioasid_map(c.fd, c.id, buf, 2 * SWEEP_IOVA, length,
				 IOASID_DMA_READ);
	sweep_ctx_close(&c);
	return ret;
}

/*
 * IOASID_TEST_DMA through a mapping, both ways, and a blocked one; the
 * IOTLB statistics too when the test interface has them.
 */
FAIL_NTH_TEST(test_dma, "REQ-TESTIF-DMA, REQ-TESTIF-IOTLB, REQ-MAP, REQ-ERR-RESOURCE")
{
	static uint8_t out[64], in[64];
	struct ioasid_test_iotlb iotlb;
	size_t length;
	uint8_t *buf = sweep_memory(&length);
	struct sweep_ctx c;
	long ret;

	if (!buf)
		return -ENOMEM;
	ret = sweep_ctx_open(&c, IOASID_TEST_CAP_DMA, true);
	if (ret)
		return ret;
	ret = ioasid_map(c.fd, c.id, buf, SWEEP_IOVA, length, IOASID_DMA_RW);
	if (ret)
		goto out;
	memset(out, 0x6b, sizeof(out));
	memset(in, 0, sizeof(in));
	ret = dma_write(c.dev, SWEEP_IOVA + 100, out, sizeof(out));
	if (!ret)
		ret = dma_read(c.dev, SWEEP_IOVA + 100, in, sizeof(in));
	if (!ret && memcmp(in, out, sizeof(in)))
		ret = -EBADE;
	if (!ret) {
		ret = dma_read(c.dev, SWEEP_IOVA + length, in, 1);
		if (ret == IOASID_TEST_DMA_NO_TRANSLATION)
			ret = 0;
		else if (ret >= 0)
			ret = -EBADE;
	}
	if (ret > 0)
		ret = -EBADE;	/* a DMA that should have passed was blocked */
	if (!ret && (testif_caps(c.testif) & IOASID_TEST_CAP_IOTLB))
		ret = testif_iotlb(c.dev, &iotlb);
out:
	sweep_ctx_close(&c);
	return ret;
}

/*
 * The PASID a DMA of @dev through route @pasid carried on the wire
 * (wire_pasid()): the PASID, NO_PASID or WIRE_NONE, or -errno; -EBADE for
 * a malformed report.
 */
static long sweep_wire(int dev, int pasid, int enqcmd)
{
	long w = wire_pasid(dev, pasid, SWEEP_IOVA, enqcmd);

	if (w <= -1000)
		return w + 1000;
	return w == -999 ? -EBADE : w;
}

/*
 * 0 when a DMA of @dev through route @pasid was not sent (WIRE_NONE), the
 * DMA's -errno when it failed, else -EBADE.
 */
static long sweep_unsent(int dev, int pasid)
{
	long w = sweep_wire(dev, pasid, 0);

	if (w == WIRE_NONE)
		return 0;
	return w < WIRE_NONE ? w : -EBADE;
}

/* A PASID a routing ID of width 4 gives: 1 to 15. */
static bool sweep_rid_pasid(long w)
{
	return w >= 1 && w <= 15;
}

/* Two mediated devices of one parent, the second with ENQCMD. */
struct sweep_mdevs {
	int testif;
	int fd;
	int parent;
	int m[2];
	long id;
};

static void sweep_mdevs_close(struct sweep_mdevs *c)
{
	if (c->m[1] >= 0)
		close(c->m[1]);
	if (c->m[0] >= 0)
		close(c->m[0]);
	if (c->parent >= 0)
		close(c->parent);
	if (c->fd >= 0)
		close(c->fd);
	if (c->testif >= 0)
		close(c->testif);
}

/*
 * Set @c up: a parent of PASID width 4, its two mediated devices bound to
 * a new descriptor, and an IOASID.  0 or -errno, with everything released
 * on failure.
 */
static long sweep_mdevs_open(struct sweep_mdevs *c)
{
	long ret;
	int i;

	c->fd = c->parent = c->m[0] = c->m[1] = -1;
	c->testif = sweep_testif(IOASID_TEST_CAP_DEVICE | IOASID_TEST_CAP_DMA |
				 IOASID_TEST_CAP_MEDIATED |
				 IOASID_TEST_CAP_ENQCMD);
	if (c->testif < 0)
		return c->testif;
	c->fd = ioasid_open();
	ret = c->fd < 0 ? -errno : 0;
	if (!ret) {
		c->parent = testif_create_pasid_device(c->testif, 4);
		ret = c->parent < 0 ? c->parent : 0;
	}
	for (i = 0; i < 2 && !ret; i++) {
		c->m[i] = testif_create_mediated(c->testif, c->parent,
						 IOASID_TEST_IOMMU_A, 4, i);
		ret = c->m[i] < 0 ? c->m[i] : device_bind(c->m[i], c->fd);
		if (ret > 0)
			ret = 0;
	}
	if (!ret) {
		c->id = ioasid_alloc_one(c->fd);
		ret = c->id < 0 ? c->id : 0;
	}
	if (ret)
		sweep_mdevs_close(c);
	return ret;
}

/*
 * Attach route @pasid of mediated device @dev to @id; a failed attach must
 * leave the route without a PASID on the wire.
 */
static long sweep_mdev_attach(int dev, long id, int pasid)
{
	long ret = pasid == NO_PASID ? device_attach(dev, id) :
				       device_attach_pasid(dev, id, pasid);

	if (ret) {
		long unsent = sweep_unsent(dev, pasid);

		return unsent == -EBADE ? unsent : ret;
	}
	return 0;
}

/*
 * The routes of both devices: default routes and route 1 attached, each
 * with a PASID of the parent's routing ID but for the ENQCMD device's
 * route 1, which carries the IOASID's global PASID; the CPU's table of the
 * test interface holds it for guest PASID 7, and an ENQCMD DMA carries it.
 * The PASIDs on the wire in @w: m0's default and route 1, m1's default
 * and route 1 (route k of the order is w's index @order[k]), so that the
 * routing ID's space is made for the first of them.
 */
static long sweep_mdevs_attach(struct sweep_mdevs *c, const int order[4],
			       long w[4])
{
	long ret = 0;
	int i;

	for (i = 0; i < 4 && !ret; i++)
		ret = sweep_mdev_attach(c->m[order[i] / 2], c->id,
					order[i] % 2 ? 1 : NO_PASID);
	for (i = 0; i < 4 && !ret; i++) {
		w[i] = sweep_wire(c->m[i / 2], i % 2 ? 1 : NO_PASID, 0);
		if (w[i] < 0 && w[i] != NO_PASID && w[i] != WIRE_NONE)
			ret = w[i];
		else if (i != 3 && !sweep_rid_pasid(w[i]))
			ret = -EBADE;
	}
	if (!ret && (w[3] < 1 || w[0] == w[1] || w[0] == w[2] ||
		     w[0] == w[3] || w[1] == w[2] || w[1] == w[3] ||
		     w[2] == w[3]))
		ret = -EBADE;
	if (!ret)
		ret = testif_map_pasid(c->testif, c->fd, c->id, 7);
	if (!ret) {
		long e = sweep_wire(c->m[1], 7, 1);

		ret = e < 0 && e != NO_PASID && e != WIRE_NONE ? e :
		      e != w[3] ? -EBADE : 0;
	}
	return ret;
}

FAIL_NTH_TEST(pasid_virt, "REQ-PVIRT-RID, REQ-PVIRT-GLOBAL, REQ-PVIRT-RELEASE, REQ-TESTIF-CPU-PASID, REQ-TESTIF-DMA-WIRE, REQ-ERR-RESOURCE")
{
	/* the global route first */
	static const int order[4] = { 3, 0, 1, 2 };
	struct sweep_mdevs c;
	long ret, w[4];
	int i;

	ret = sweep_mdevs_open(&c);
	if (ret)
		return ret;
	ret = sweep_mdevs_attach(&c, order, w);
	if (!ret)
		ret = testif_unmap_pasid(c.testif, 7);
	for (i = 3; i >= 0 && !ret; i--) {
		ret = i % 2 ? device_detach_pasid(c.m[i / 2], c.id, 1) :
			      device_detach(c.m[i / 2], c.id);
		if (!ret)
			ret = sweep_unsent(c.m[i / 2], i % 2 ? 1 : NO_PASID);
	}
	if (!ret)
		ret = ioasid_free_one(c.fd, c.id);
	sweep_mdevs_close(&c);
	return ret;
}

/* The same routes and hold left for the closes to end. */
FAIL_NTH_TEST(pasid_virt_then_close, "REQ-PVIRT-RELEASE, REQ-UNBIND-DETACHES, REQ-TESTIF-CPU-PASID, REQ-ERR-RESOURCE")
{
	/* a routing ID's own number first */
	static const int order[4] = { 0, 1, 2, 3 };
	struct sweep_mdevs c;
	long ret, w[4];

	ret = sweep_mdevs_open(&c);
	if (ret)
		return ret;
	ret = sweep_mdevs_attach(&c, order, w);
	sweep_mdevs_close(&c);
	return ret;
}

TEST_HARNESS_MAIN
