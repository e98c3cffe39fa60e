/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the /dev/ioasid conformance tests.
 *
 * Every test names the requirements it checks with REQ(), as its first
 * statement.  REQ() prints one KTAP diagnostic line, "# REQ: ID ID ...",
 * which the driver attaches to the test's result; the same text is what
 * the traceability check reads from the source.
 */
#ifndef IOASID_TEST_H
#define IOASID_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/ioasid.h>
#include "ioasid_testif.h"

#include "kselftest_harness.h"

#define REQ(...) ksft_print_msg("REQ: %s\n", #__VA_ARGS__)

/*
 * Issue an ioctl and return its result, or -errno on failure, so that a
 * test can compare both outcomes with one assertion.
 */
static inline long ioasid_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline int ioasid_open(void)
{
	return open("/dev/ioasid", O_RDWR | O_CLOEXEC);
}

#define NO_RESERVED	((size_t)-1)

/*
 * Check the argument rules every command shares (REQ-ARG-*), for a
 * command whose valid argument is @valid (@size bytes, the kernel's known
 * size; check_bad_args() for a first-version structure, whose minimum
 * size is the same, check_bad_args_min() with @min_size otherwise),
 * whose defined flags are @flags_mask, and which has a 32-bit reserved
 * field at @reserved_offset (NO_RESERVED if none).  Each malformed variant must fail with the
 * specified errno; the caller then checks that nothing changed.
 */
static inline void check_bad_args_min(struct __test_metadata *_metadata,
				      int fd, unsigned long cmd,
				      const void *valid, size_t size,
				      size_t min_size, uint32_t flags_mask,
				      size_t reserved_offset)
{
	uint8_t buf[256] __attribute__((aligned(8)));
	const uint32_t small[] = { 0, 4, (uint32_t)min_size - 1 };
	unsigned int i;

	ASSERT_GE(sizeof(buf), size + 16);
#define RESET() do { memset(buf, 0, sizeof(buf)); memcpy(buf, valid, size); } while (0)
	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		RESET();
		((uint32_t *)buf)[0] = small[i];
		EXPECT_EQ(-EINVAL, ioasid_ioctl(fd, cmd, buf))
			TH_LOG("argsz %u", small[i]);
	}
	RESET();
	((uint32_t *)buf)[0] = 4097;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(fd, cmd, buf));
	RESET();
	((uint32_t *)buf)[0] = size + 16;
	buf[size + 3] = 1;
	EXPECT_EQ(-E2BIG, ioasid_ioctl(fd, cmd, buf));
	for (i = 0; i < 32; i++) {
		if (flags_mask & (1U << i))
			continue;
		RESET();
		((uint32_t *)buf)[1] |= 1U << i;
		EXPECT_EQ(-EOPNOTSUPP, ioasid_ioctl(fd, cmd, buf))
			TH_LOG("flag bit %u", i);
	}
	if (reserved_offset != NO_RESERVED) {
		RESET();
		*(uint32_t *)(buf + reserved_offset) = 1;
		EXPECT_EQ(-EINVAL, ioasid_ioctl(fd, cmd, buf));
	}
	EXPECT_EQ(-EFAULT, ioasid_ioctl(fd, cmd, NULL));
#undef RESET
}

static inline void check_bad_args(struct __test_metadata *_metadata, int fd,
				  unsigned long cmd, const void *valid,
				  size_t size, uint32_t flags_mask,
				  size_t reserved_offset)
{
	check_bad_args_min(_metadata, fd, cmd, valid, size, size, flags_mask,
			   reserved_offset);
}

/* IOASID_ALLOC, returning the new number or -errno. */
static inline long ioasid_alloc_one(int fd)
{
	struct ioasid_alloc arg = { .argsz = sizeof(arg) };
	long ret = ioasid_ioctl(fd, IOASID_ALLOC, &arg);

	return ret < 0 ? ret : (long)arg.out_ioasid;
}

/* IOASID_FREE, returning 0 or -errno. */
static inline long ioasid_free_one(int fd, uint32_t ioasid)
{
	struct ioasid_free arg = { .argsz = sizeof(arg), .ioasid = ioasid };

	return ioasid_ioctl(fd, IOASID_FREE, &arg);
}

/*
 * The conformance test interface (/dev/ioasid-test): open it and check
 * that it provides the capabilities @need.  Returns its descriptor, or -1
 * with *@why set to the reason the test must be skipped.
 */
static inline int testif_open(uint64_t need, const char **why)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };
	int fd = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = "conformance test interface /dev/ioasid-test absent";
		return -1;
	}
	if (ioctl(fd, IOASID_TEST_GET_CAPS, &caps)) {
		*why = "IOASID_TEST_GET_CAPS failed";
		close(fd);
		return -1;
	}
	if ((caps.out_caps & need) != need) {
		*why = "conformance test interface lacks a needed capability";
		close(fd);
		return -1;
	}
	return fd;
}

/* A new test device with PASID width @pasid_bits: its descriptor, or -errno. */
static inline int testif_create_pasid_device(int testif, uint32_t pasid_bits)
{
	struct ioasid_test_create_device arg = {
		.argsz = sizeof(arg),
		.pasid_bits = pasid_bits,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_CREATE_DEVICE, &arg);

	return ret < 0 ? (int)ret : arg.out_fd;
}

/* A new test device without PASID support: its descriptor, or -errno. */
static inline int testif_create_device(int testif)
{
	return testif_create_pasid_device(testif, 0);
}

/* Bind a device; the label, or -errno. */
static inline long device_bind(int device, int ioasid_fd)
{
	struct ioasid_device_bind arg = {
		.argsz = sizeof(arg),
		.ioasid_fd = ioasid_fd,
	};
	long ret = ioasid_ioctl(device, IOASID_DEVICE_BIND, &arg);

	return ret < 0 ? ret : (long)arg.out_label;
}

/* Attach (@cmd IOASID_DEVICE_ATTACH) or detach a route; 0 or -errno. */
static inline long device_route(int device, unsigned long cmd,
				uint32_t ioasid, uint32_t flags,
				uint32_t pasid)
{
	struct ioasid_device_attach arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.ioasid = ioasid,
		.pasid = pasid,
	};

	return ioasid_ioctl(device, cmd, &arg);
}

#define device_attach(dev, ioasid) \
	device_route(dev, IOASID_DEVICE_ATTACH, ioasid, 0, 0)
#define device_detach(dev, ioasid) \
	device_route(dev, IOASID_DEVICE_DETACH, ioasid, 0, 0)
#define device_attach_pasid(dev, ioasid, pasid) \
	device_route(dev, IOASID_DEVICE_ATTACH, ioasid, IOASID_ATTACH_PASID, pasid)
#define device_detach_pasid(dev, ioasid, pasid) \
	device_route(dev, IOASID_DEVICE_DETACH, ioasid, IOASID_ATTACH_PASID, pasid)

static inline long device_unbind(int device)
{
	struct ioasid_device_unbind arg = { .argsz = sizeof(arg) };

	return ioasid_ioctl(device, IOASID_DEVICE_UNBIND, &arg);
}

/* The capabilities the conformance test interface reports, or 0. */
static inline uint64_t testif_caps(int testif)
{
	struct ioasid_test_get_caps caps = { .argsz = sizeof(caps) };

	if (ioctl(testif, IOASID_TEST_GET_CAPS, &caps))
		return 0;
	return caps.out_caps;
}

/* Skip the test unless its fixture's self->caps has all of @need. */
#define NEED_CAPS(need, what) do {					\
	if ((self->caps & (need)) != (need))				\
		SKIP(return, "conformance test interface lacks the %s capability", \
		     what);						\
} while (0)

/*
 * IOASID_TEST_CREATE_DEVICE with every field given: the new device's
 * descriptor, or -errno.
 */
static inline int testif_create_device_ex(int testif, uint32_t flags,
					  uint32_t pasid_bits,
					  uint32_t iommu_class, int group_fd)
{
	struct ioasid_test_create_device arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.pasid_bits = pasid_bits,
		.iommu_class = iommu_class,
		.group_fd = group_fd,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_CREATE_DEVICE, &arg);

	return ret < 0 ? (int)ret : arg.out_fd;
}

/* A device without PASID support, alone in its group, behind @iommu_class. */
static inline int testif_create_class_device(int testif, uint32_t iommu_class)
{
	return testif_create_device_ex(testif, 0, 0, iommu_class, 0);
}

/* A device that joins the IOMMU group of the test device @group_fd. */
static inline int testif_create_group_device(int testif, uint32_t iommu_class,
					     uint32_t pasid_bits, int group_fd)
{
	return testif_create_device_ex(testif, IOASID_TEST_DEVICE_GROUP,
				       pasid_bits, iommu_class, group_fd);
}

/*
 * The properties of the two mock IOMMU classes, as the test interface
 * specifies them (REQ-TESTIF-DEVICE-PROPS): what IOASID_GET_INFO must
 * report for an IOASID whose page table one of them made.
 */
struct mock_iommu {
	uint64_t granule;		/* smallest page size */
	uint64_t pgsize_bitmap;
	uint32_t addr_width;
};

#define MOCK_RESV_START		0xfee00000ull
#define MOCK_RESV_LAST		0xfeefffffull

static inline const struct mock_iommu *mock_iommu(uint32_t iommu_class)
{
	static const struct mock_iommu classes[] = {
		[IOASID_TEST_IOMMU_A] = {
			.granule = 1ull << 12,
			.pgsize_bitmap = (1ull << 12) | (1ull << 21) |
					 (1ull << 30),
			.addr_width = 48,
		},
		[IOASID_TEST_IOMMU_B] = {
			.granule = 1ull << 16,
			.pgsize_bitmap = (1ull << 16) | (1ull << 29),
			.addr_width = 39,
		},
		[IOASID_TEST_IOMMU_N] = {
			.granule = 1ull << 12,
			.pgsize_bitmap = (1ull << 12) | (1ull << 21) |
					 (1ull << 30),
			.addr_width = 48,
		},
	};

	return &classes[iommu_class];
}

/*
 * IOASID_GET_INFO of @ioasid into *@info, with room for @nranges permitted
 * and @nreserved reserved ranges at @ranges and @reserved; 0 or -errno.
 */
static inline long ioasid_get_info_ranges(int fd, uint32_t ioasid,
					  struct ioasid_info *info,
					  struct ioasid_iova_range *ranges,
					  uint32_t nranges,
					  struct ioasid_iova_range *reserved,
					  uint32_t nreserved)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->ioasid = ioasid;
	info->num_ranges = nranges;
	info->num_reserved = nreserved;
	info->ranges = (uintptr_t)ranges;
	info->reserved = (uintptr_t)reserved;
	return ioasid_ioctl(fd, IOASID_GET_INFO, info);
}

/* IOASID_GET_INFO without the range arrays; 0 or -errno. */
static inline long ioasid_get_info(int fd, uint32_t ioasid,
				   struct ioasid_info *info)
{
	return ioasid_get_info_ranges(fd, ioasid, info, NULL, 0, NULL, 0);
}

/* out_flags of @ioasid, or -errno. */
static inline long ioasid_info_flags(int fd, uint32_t ioasid)
{
	struct ioasid_info info;
	long ret = ioasid_get_info(fd, ioasid, &info);

	return ret < 0 ? ret : (long)info.out_flags;
}

#define IOASID_DMA_RW	(IOASID_DMA_READ | IOASID_DMA_WRITE)

/* IOASID_MAP_DMA of the user address @vaddr; 0 or -errno. */
static inline long ioasid_map_va(int fd, uint32_t ioasid, uint64_t vaddr,
				 uint64_t iova, uint64_t length,
				 uint32_t flags)
{
	struct ioasid_dma_map arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.ioasid = ioasid,
		.vaddr = vaddr,
		.iova = iova,
		.length = length,
	};

	return ioasid_ioctl(fd, IOASID_MAP_DMA, &arg);
}

/* IOASID_CREATE_NESTING on @parent: the child's number, or -errno. */
static inline long ioasid_nest(int fd, uint32_t parent)
{
	struct ioasid_create_nesting arg = {
		.argsz = sizeof(arg),
		.parent = parent,
	};
	long ret = ioasid_ioctl(fd, IOASID_CREATE_NESTING, &arg);

	return ret < 0 ? ret : (long)arg.out_ioasid;
}

/*
 * IOASID_MAP_DMA on the child @child of the parent IOVAs from @piova on,
 * at @iova; @flags are the permissions.  0 or -errno.
 */
static inline long ioasid_map_parent(int fd, uint32_t child, uint64_t piova,
				     uint64_t iova, uint64_t length,
				     uint32_t flags)
{
	return ioasid_map_va(fd, child, piova, iova, length,
			     flags | IOASID_DMA_PARENT_IOVA);
}

/* IOASID_MAP_DMA of the memory at @p; 0 or -errno. */
static inline long ioasid_map(int fd, uint32_t ioasid, const void *p,
			      uint64_t iova, uint64_t length, uint32_t flags)
{
	return ioasid_map_va(fd, ioasid, (uintptr_t)p, iova, length, flags);
}

/*
 * IOASID_UNMAP_DMA of [@iova, @iova + @length) with @flags: the number of
 * bytes unmapped, or -errno.
 */
static inline long ioasid_unmap_flags(int fd, uint32_t ioasid, uint32_t flags,
				      uint64_t iova, uint64_t length)
{
	struct ioasid_dma_unmap arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.ioasid = ioasid,
		.iova = iova,
		.length = length,
		.out_unmapped = 0xbadbadbadull,	/* must be overwritten */
	};
	long ret = ioasid_ioctl(fd, IOASID_UNMAP_DMA, &arg);

	return ret < 0 ? ret : (long)arg.out_unmapped;
}

#define ioasid_unmap(fd, ioasid, iova, length) \
	ioasid_unmap_flags(fd, ioasid, 0, iova, length)
#define ioasid_unmap_all(fd, ioasid) \
	ioasid_unmap_flags(fd, ioasid, IOASID_UNMAP_ALL, 0, 0)

/*
 * IOASID_TEST_DMA by the test device @dev: the DMA's status
 * (IOASID_TEST_DMA_*), or -errno.  With a status other than OK, the first
 * blocked address goes to *@fault_iova when @fault_iova is not NULL.
 */
static inline long testif_dma(int dev, uint32_t flags, uint32_t pasid,
			      uint64_t iova, void *buffer, uint64_t length,
			      uint64_t *fault_iova)
{
	struct ioasid_test_dma arg = {
		.argsz = sizeof(arg),
		.flags = flags,
		.pasid = pasid,
		.out_status = 0xffffffffu,
		.iova = iova,
		.length = length,
		.buffer = (uintptr_t)buffer,
		.out_fault_iova = 0xbadbadbadull,
	};
	long ret = ioasid_ioctl(dev, IOASID_TEST_DMA, &arg);

	if (ret < 0)
		return ret;
	if (fault_iova)
		*fault_iova = arg.out_fault_iova;
	return arg.out_status;
}

#define dma_read(dev, iova, buf, len) \
	testif_dma(dev, 0, 0, iova, buf, len, NULL)
#define dma_write(dev, iova, buf, len) \
	testif_dma(dev, IOASID_TEST_DMA_WRITE, 0, iova, buf, len, NULL)
#define dma_read_pasid(dev, pasid, iova, buf, len) \
	testif_dma(dev, IOASID_TEST_DMA_PASID, pasid, iova, buf, len, NULL)
#define dma_write_pasid(dev, pasid, iova, buf, len) \
	testif_dma(dev, IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID, \
		   pasid, iova, buf, len, NULL)

/* IOASID_TEST_IOTLB of the test device @dev into *@out; 0 or -errno. */
static inline long testif_iotlb(int dev, struct ioasid_test_iotlb *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = sizeof(*out);
	return ioasid_ioctl(dev, IOASID_TEST_IOTLB, out);
}

/* IOASID_TEST_PINNED: 1 if the page at @p is pinned, 0 if not, or -errno. */
static inline long testif_pinned(int testif, const void *p)
{
	struct ioasid_test_pinned arg = {
		.argsz = sizeof(arg),
		.vaddr = (uintptr_t)p,
		.out_pinned = 0xff,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_PINNED, &arg);

	return ret < 0 ? ret : (long)arg.out_pinned;
}

/*
 * IOASID_TEST_PINNED with IOASID_TEST_CAP_DIRTY: 1 if the page at @p is
 * held as dirty, 0 if not, or -errno.
 */
static inline long testif_dirty(int testif, const void *p)
{
	struct ioasid_test_pinned arg = {
		.argsz = sizeof(arg),
		.vaddr = (uintptr_t)p,
		.out_dirty = 0xff,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_PINNED, &arg);

	return ret < 0 ? ret : (long)arg.out_dirty;
}

/*
 * IOASID_TEST_FAIL_NEXT: make the @nth next IOMMU operation of kind @op
 * fail (0 disarms); 0 or -errno.
 */
static inline long testif_fail_next(int testif, uint32_t op, uint32_t nth)
{
	struct ioasid_test_fail_next arg = {
		.argsz = sizeof(arg),
		.op = op,
		.nth = nth,
	};

	return ioasid_ioctl(testif, IOASID_TEST_FAIL_NEXT, &arg);
}

/* Disarm every failure armed with testif_fail_next(). */
static inline void testif_fail_none(int testif)
{
	uint32_t op;

	for (op = 0; op < IOASID_TEST_FAIL_NR_KINDS; op++)
		testif_fail_next(testif, op, 0);
}

/*
 * The kernel log since kmsg_open(): kmsg_open() returns a descriptor of
 * /dev/kmsg positioned at its end (or -1), kmsg_bad() reads what was
 * logged since and returns the first record that reports a kernel
 * problem (a warning, a BUG, an oops, a splat of a checker), copied into
 * @buf, or NULL when there is none.
 */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline const char *kmsg_bad(int fd, char *buf, size_t size)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Call Trace", "kvmalloc",
		"UBSAN:", "KASAN:", "possible circular",
	};
	char rec[1024];
	unsigned int i;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n <= 0)
			return NULL;
		rec[n] = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(rec, bad[i])) {
				snprintf(buf, size, "%s", rec);
				return buf;
			}
		}
	}
}

/*
 * Helpers that check DMA and pins page by page.  They count in pages of
 * TEST_PAGE bytes, the CPU page of the machines the suite runs on and the
 * granule of a class A test IOMMU.
 */
#define TEST_PAGE	4096L
#define NO_PASID	(-1)		/* the route of the RID */

/* A DMA by @dev through route @pasid (NO_PASID: the RID); as testif_dma(). */
static inline long route_dma(int dev, int pasid, uint64_t iova, void *buf,
			     uint64_t length, int write)
{
	uint32_t flags = write ? IOASID_TEST_DMA_WRITE : 0;

	if (pasid != NO_PASID)
		flags |= IOASID_TEST_DMA_PASID;
	return testif_dma(dev, flags, pasid == NO_PASID ? 0 : pasid, iova,
			  buf, length, NULL);
}

/* A one-byte DMA read at @iova: the byte, or -1 - status when blocked. */
static inline int dma_peek(int dev, uint64_t iova)
{
	uint8_t byte = 0;
	long st = dma_read(dev, iova, &byte, 1);

	if (st < 0)
		return -1000 + (int)st;
	return st == IOASID_TEST_DMA_OK ? byte : -1 - (int)st;
}

#define BLOCKED	(-1 - IOASID_TEST_DMA_NO_TRANSLATION)

/*
 * The first of the @n pages at @iova that a DMA read of the whole page by
 * @dev through route @pasid does not find holding the bytes of the page at
 * @expect plus the same offset; -1 when every page does.
 */
static inline long first_wrong_page(int dev, int pasid, uint64_t iova,
				    const uint8_t *expect, long n)
{
	static uint8_t page[TEST_PAGE];
	long i;

	for (i = 0; i < n; i++) {
		memset(page, 0, sizeof(page));
		if (route_dma(dev, pasid, iova + i * TEST_PAGE, page,
			      TEST_PAGE, 0) != IOASID_TEST_DMA_OK ||
		    memcmp(page, expect + i * TEST_PAGE, TEST_PAGE))
			return i;
	}
	return -1;
}

/*
 * The first of the @n pages at @iova that @dev reaches through route
 * @pasid, reading one byte at a different offset of each; -1 when every
 * page is blocked for want of a translation.
 */
static inline long first_reachable_page(int dev, int pasid, uint64_t iova,
					long n)
{
	uint8_t byte;
	long i;

	for (i = 0; i < n; i++)
		if (route_dma(dev, pasid, iova + i * TEST_PAGE + (i % 7) * 500,
			      &byte, 1, 0) != IOASID_TEST_DMA_NO_TRANSLATION)
			return i;
	return -1;
}

/* The first of the @n pages at @p whose pinned state is not @want; or -1. */
static inline long first_pinned_mismatch(int testif, const uint8_t *p, long n,
					 long want)
{
	long i;

	for (i = 0; i < n; i++)
		if (testif_pinned(testif, p + i * TEST_PAGE) != want)
			return i;
	return -1;
}

/*
 * Fill the @n pages at @p so that no two of them hold the same bytes, in
 * this buffer or another one with another @tag: each begins with its tag
 * and index, and the rest is a byte of both.
 */
static inline void fill_pages(uint8_t *p, long n, uint32_t tag)
{
	long i;

	for (i = 0; i < n; i++) {
		uint32_t id[2] = { tag, (uint32_t)i };

		memset(p + i * TEST_PAGE, (uint8_t)(tag + 3 * i), TEST_PAGE);
		memcpy(p + i * TEST_PAGE, id, sizeof(id));
	}
}

/*
 * A new test device of class A with PASID width @pasid_bits, bound to
 * @fd, its default route attached to a new IOASID of @fd: 0 with *@dev and
 * *@ioasid set, or -errno (*@dev is the device, or -1, either way, for the
 * caller to close).
 */
static inline long testif_attached_device(int testif, int fd,
					  uint32_t pasid_bits, int *dev,
					  long *ioasid)
{
	long ret;

	*dev = testif_create_pasid_device(testif, pasid_bits);
	if (*dev < 0) {
		ret = *dev;
		*dev = -1;
		return ret;
	}
	ret = device_bind(*dev, fd);
	if (ret < 0)
		return ret;
	*ioasid = ioasid_alloc_one(fd);
	if (*ioasid < 0)
		return *ioasid;
	return device_attach(*dev, *ioasid);
}

/* IOASID_REGISTER_MEMORY or IOASID_UNREGISTER_MEMORY (@cmd); 0 or -errno. */
static inline long ioasid_memory(int fd, unsigned long cmd, const void *p,
				 uint64_t length)
{
	struct ioasid_register_memory arg = {
		.argsz = sizeof(arg),
		.vaddr = (uintptr_t)p,
		.length = length,
	};

	return ioasid_ioctl(fd, cmd, &arg);
}

#define ioasid_register(fd, p, len) \
	ioasid_memory(fd, IOASID_REGISTER_MEMORY, p, len)
#define ioasid_unregister(fd, p, len) \
	ioasid_memory(fd, IOASID_UNREGISTER_MEMORY, p, len)

/* A field of /proc/self/status counted in kB ("VmPin", say), or -1. */
static inline long ioasid_status_kb(const char *field)
{
	FILE *status = fopen("/proc/self/status", "r");
	size_t n = strlen(field);
	char line[256];
	long kb = -1;

	if (!status)
		return -1;
	while (fgets(line, sizeof(line), status))
		if (!strncmp(line, field, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%ld kB", &kb) == 1)
			break;
	fclose(status);
	return kb;
}

/*
 * VmPin of this process in kB, or -1: the pages this process pinned and
 * that are still pinned (REQ-PIN-USER).
 */
static inline long ioasid_pinned_kb(void)
{
	return ioasid_status_kb("VmPin");
}

/* VmLck of this process in kB, or -1: mlock()ed memory, which pinning leaves alone. */
static inline long ioasid_vmlck_kb(void)
{
	return ioasid_status_kb("VmLck");
}

/* Drop CAP_IPC_LOCK from this process's effective set; 0 or -1. */
static inline int ioasid_drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data);
}

/*
 * @length bytes of private anonymous memory aligned to @align (a power of
 * two, at least the page size), every page touched with @fill, and kept
 * out of transparent huge pages so that pinning one page never pins its
 * neighbours.  MAP_FAILED on failure; release with munmap(p, length).
 */
static inline uint8_t *test_memory(size_t length, size_t align, int fill)
{
	size_t total = length + align;
	uint8_t *raw, *p;

	raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	p = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
	if (p > raw)
		munmap(raw, p - raw);
	if (raw + total > p + length)
		munmap(p + length, raw + total - (p + length));
	madvise(p, length, MADV_NOHUGEPAGE);
	memset(p, fill, length);
	return p;
}

/*
 * Hardware nesting: the commands, and user stage-1 tables in the format of
 * the mock IOMMU of class N (IOASID_PGTABLE_FORMAT_TEST, the test
 * interface's annex).
 */
static inline long ioasid_bind_pgtable(int fd, uint32_t ioasid,
				       uint32_t format, uint64_t root)
{
	struct ioasid_bind_pgtable arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
		.format = format,
		.root = root,
	};

	return ioasid_ioctl(fd, IOASID_BIND_PGTABLE, &arg);
}

#define ioasid_bind_test(fd, ioasid, root) \
	ioasid_bind_pgtable(fd, ioasid, IOASID_PGTABLE_FORMAT_TEST, root)

static inline long ioasid_unbind_pgtable(int fd, uint32_t ioasid)
{
	struct ioasid_unbind_pgtable arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
	};

	return ioasid_ioctl(fd, IOASID_UNBIND_PGTABLE, &arg);
}

/* IOASID_BIND_PASID_TABLE of format TEST, 2^@bits entries at @base. */
static inline long pasid_table_bind(int fd, uint32_t ioasid, uint64_t base,
				    uint32_t bits)
{
	struct ioasid_bind_pasid_table arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
		.format = IOASID_PASID_FORMAT_TEST,
		.base = base,
		.pasid_bits = bits,
	};

	return ioasid_ioctl(fd, IOASID_BIND_PASID_TABLE, &arg);
}

static inline long pasid_table_unbind(int fd, uint32_t ioasid)
{
	struct ioasid_unbind_pasid_table arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
	};

	return ioasid_ioctl(fd, IOASID_UNBIND_PASID_TABLE, &arg);
}

/* A PASID-table entry of format TEST naming the root at @root. */
#define PASID_ENTRY(root)	(((root) & S1_ADDR) | 1ull)

/*
 * IOASID_INVALIDATE_CACHE of @ioasid with the @n entries at @e; 0 or
 * -errno, with the entries handled in *@handled when it is not NULL.
 */
static inline long ioasid_invalidate(int fd, uint32_t ioasid,
				     const struct ioasid_cache_inv *e,
				     uint32_t n, uint32_t *handled)
{
	struct ioasid_invalidate_cache arg = {
		.argsz = sizeof(arg),
		.ioasid = ioasid,
		.entry_len = sizeof(*e),
		.entry_num = n,
		.entries = (uintptr_t)e,
	};
	long ret = ioasid_ioctl(fd, IOASID_INVALIDATE_CACHE, &arg);

	if (handled)
		*handled = arg.entry_num;
	return ret;
}

/* One entry: @flags IOASID_INV_*, and the PASID and range they select. */
static inline long ioasid_inv(int fd, uint32_t ioasid, uint32_t flags,
			      uint32_t pasid, uint64_t addr, uint64_t length)
{
	struct ioasid_cache_inv e = {
		.flags = flags,
		.type = IOASID_CACHE_IOTLB,
		.pasid = pasid,
		.addr = addr,
		.length = length,
	};

	return ioasid_invalidate(fd, ioasid, &e, 1, NULL);
}

#define ioasid_inv_all(fd, ioasid) ioasid_inv(fd, ioasid, 0, 0, 0, 0)
#define ioasid_inv_pasid(fd, ioasid, pasid) \
	ioasid_inv(fd, ioasid, IOASID_INV_PASID, pasid, 0, 0)
#define ioasid_inv_range(fd, ioasid, addr, length) \
	ioasid_inv(fd, ioasid, IOASID_INV_RANGE, 0, addr, length)

/* Where a DMA was blocked, as IOASID_TEST_DMA reports it. */
struct dma_fault {
	uint64_t iova;		/* the first address blocked */
	uint32_t stage;		/* IOASID_TEST_STAGE_* */
	uint64_t parent_iova;	/* of a stage-2 failure */
};

/*
 * A DMA by @dev through route @pasid (NO_PASID: the RID), as route_dma(),
 * that also reports where it was blocked in *@f (poisoned on input, so
 * that a field the kernel left alone shows).
 */
static inline long route_dma_fault(int dev, int pasid, uint64_t iova,
				   void *buf, uint64_t length, int write,
				   struct dma_fault *f)
{
	struct ioasid_test_dma arg = {
		.argsz = sizeof(arg),
		.flags = (write ? IOASID_TEST_DMA_WRITE : 0) |
			 (pasid != NO_PASID ? IOASID_TEST_DMA_PASID : 0),
		.pasid = pasid == NO_PASID ? 0 : pasid,
		.out_status = 0xffffffffu,
		.iova = iova,
		.length = length,
		.buffer = (uintptr_t)buf,
		.out_fault_iova = 0xbadbadbadull,
		.out_fault_stage = 0xbad,
		.out_fault_parent_iova = 0xbadbadbadull,
	};
	long ret = ioasid_ioctl(dev, IOASID_TEST_DMA, &arg);

	if (ret < 0)
		return ret;
	f->iova = arg.out_fault_iova;
	f->stage = arg.out_fault_stage;
	f->parent_iova = arg.out_fault_parent_iova;
	return arg.out_status;
}

/*
 * A mediated device of the test device @parent (REQ-TESTIF-MEDIATED),
 * with ENQCMD when @enqcmd, whose user PASIDs have @pasid_bits: its
 * descriptor, or -errno.
 */
static inline int testif_create_mediated(int testif, int parent,
					 uint32_t iommu_class,
					 uint32_t pasid_bits, int enqcmd)
{
	struct ioasid_test_create_device arg = {
		.argsz = sizeof(arg),
		.flags = IOASID_TEST_DEVICE_MEDIATED |
			 (enqcmd ? IOASID_TEST_DEVICE_ENQCMD : 0),
		.pasid_bits = pasid_bits,
		.iommu_class = iommu_class,
		.parent_fd = parent,
	};
	long ret = ioasid_ioctl(testif, IOASID_TEST_CREATE_DEVICE, &arg);

	return ret < 0 ? (int)ret : arg.out_fd;
}

/* What a DMA put on the wire (REQ-TESTIF-DMA-WIRE). */
struct dma_wire {
	uint32_t wire;		/* IOASID_TEST_WIRE_* */
	uint32_t pasid;		/* with IOASID_TEST_WIRE_PASID */
};

#define WIRE_NONE	(-2)	/* wire_pasid(): nothing was sent */

/*
 * A DMA by @dev through route @pasid (NO_PASID: the RID), with
 * IOASID_TEST_DMA_ENQCMD when @enqcmd, as route_dma(), that also reports
 * what went on the wire in *@w (poisoned on input).
 */
static inline long route_dma_wire(int dev, int pasid, uint64_t iova,
				  void *buf, uint64_t length, int write,
				  int enqcmd, struct dma_wire *w)
{
	struct ioasid_test_dma arg = {
		.argsz = sizeof(arg),
		.flags = (write ? IOASID_TEST_DMA_WRITE : 0) |
			 (pasid != NO_PASID ? IOASID_TEST_DMA_PASID : 0) |
			 (enqcmd ? IOASID_TEST_DMA_ENQCMD : 0),
		.pasid = pasid == NO_PASID ? 0 : pasid,
		.out_status = 0xffffffffu,
		.iova = iova,
		.length = length,
		.buffer = (uintptr_t)buf,
		.out_wire = 0xbad0,
		.out_wire_pasid = 0xbad0bad,
	};
	long ret = ioasid_ioctl(dev, IOASID_TEST_DMA, &arg);

	if (ret < 0)
		return ret;
	w->wire = arg.out_wire;
	w->pasid = arg.out_wire_pasid;
	return arg.out_status;
}

/*
 * The PASID that *@w says a DMA carried on the wire: the PASID, NO_PASID
 * when it carried none, WIRE_NONE when it was not sent; -999 for a
 * malformed report.
 */
static inline long wire_decode(const struct dma_wire *w)
{
	if (w->wire == 0)
		return w->pasid == 0 ? WIRE_NONE : -999;
	if (w->wire == IOASID_TEST_WIRE_SENT)
		return w->pasid == 0 ? NO_PASID : -999;
	if (w->wire == (IOASID_TEST_WIRE_SENT | IOASID_TEST_WIRE_PASID))
		return w->pasid;
	return -999;
}

/*
 * The PASID a one-byte DMA read by @dev through route @pasid carried on
 * the wire, as wire_decode() gives it, or -1000 - errno.
 */
static inline long wire_pasid(int dev, int pasid, uint64_t iova, int enqcmd)
{
	struct dma_wire w;
	uint8_t byte;
	long st = route_dma_wire(dev, pasid, iova, &byte, 1, 0, enqcmd, &w);

	return st < 0 ? -1000 + st : wire_decode(&w);
}

/* IOASID_TEST_MAP_PASID on @testif; 0 or -errno. */
static inline long testif_map_pasid(int testif, int ioasid_fd,
				    uint32_t ioasid, uint32_t vpasid)
{
	struct ioasid_test_map_pasid arg = {
		.argsz = sizeof(arg),
		.ioasid_fd = ioasid_fd,
		.ioasid = ioasid,
		.vpasid = vpasid,
	};

	return ioasid_ioctl(testif, IOASID_TEST_MAP_PASID, &arg);
}

/* IOASID_TEST_UNMAP_PASID on @testif; 0 or -errno. */
static inline long testif_unmap_pasid(int testif, uint32_t vpasid)
{
	struct ioasid_test_unmap_pasid arg = {
		.argsz = sizeof(arg),
		.vpasid = vpasid,
	};

	return ioasid_ioctl(testif, IOASID_TEST_UNMAP_PASID, &arg);
}

#define S1_PRESENT	(1ull << 0)
#define S1_READ		(1ull << 1)
#define S1_WRITE	(1ull << 2)
#define S1_LARGE	(1ull << 7)
#define S1_RW		(S1_PRESENT | S1_READ | S1_WRITE)
#define S1_RO		(S1_PRESENT | S1_READ)
#define S1_ADDR		0x000ffffffffff000ull
#define S1_ENTRIES	512
#define S1_LEVEL_SIZE(l) (1ull << (12 + 9 * (l)))	/* 4K, 2M, 1G, 512G */

/*
 * A user's stage-1 table: @npages table pages of test memory, which the
 * test maps into the parent at parent IOVA @gpa; the first page is the
 * root.  Tables below the root are taken from the pool as entries need
 * them, and point on with S1_RW, so that a leaf's bits decide.
 */
struct s1_tables {
	uint64_t *mem;
	uint64_t gpa;
	unsigned int npages;
	unsigned int used;
};

static inline int s1_init(struct s1_tables *t, unsigned int npages,
			  uint64_t gpa)
{
	t->mem = (uint64_t *)test_memory(npages * TEST_PAGE, TEST_PAGE, 0);
	if ((void *)t->mem == MAP_FAILED)
		return -ENOMEM;
	t->gpa = gpa;
	t->npages = npages;
	t->used = 1;
	return 0;
}

static inline void s1_release(struct s1_tables *t)
{
	if (t->mem && (void *)t->mem != MAP_FAILED)
		munmap(t->mem, t->npages * TEST_PAGE);
	t->mem = NULL;
}

/* The table of the pool at parent IOVA @gpa. */
static inline uint64_t *s1_table_at(struct s1_tables *t, uint64_t gpa)
{
	return t->mem + (gpa - t->gpa) / sizeof(uint64_t);
}

/*
 * The entry that translates child IOVA @iova at @level (0 for 4 KiB, 1 for
 * 2 MiB, 2 for 1 GiB), with the tables above it made; NULL when the pool
 * is used up.
 */
static inline uint64_t *s1_entry(struct s1_tables *t, uint64_t iova,
				 int level)
{
	uint64_t *table = t->mem, *e;
	int l;

	for (l = 3; l > level; l--) {
		e = &table[(iova >> (12 + 9 * l)) % S1_ENTRIES];
		if (!(*e & S1_PRESENT)) {
			if (t->used == t->npages)
				return NULL;
			*e = (t->gpa + t->used++ * TEST_PAGE) | S1_RW;
		}
		/* an entry a test pointed outside the pool: not ours */
		if ((*e & S1_ADDR) < t->gpa ||
		    (*e & S1_ADDR) >= t->gpa + t->npages * TEST_PAGE)
			return NULL;
		table = s1_table_at(t, *e & S1_ADDR);
	}
	return &table[(iova >> (12 + 9 * level)) % S1_ENTRIES];
}

/*
 * Make child IOVA @iova translate to parent IOVA @gpa with entry bits
 * @bits, by a leaf at @level (with S1_LARGE above level 0); 0 or -ENOSPC.
 */
static inline int s1_map(struct s1_tables *t, uint64_t iova, uint64_t gpa,
			 uint64_t bits, int level)
{
	uint64_t *e = s1_entry(t, iova, level);

	if (!e)
		return -ENOSPC;
	*e = (gpa & S1_ADDR) | bits | (level ? S1_LARGE : 0);
	return 0;
}

#endif /* IOASID_TEST_H */
