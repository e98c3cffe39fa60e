// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_bench - time the mapping of one large range through /dev/ioasid
 * (IOASID_MAP_DMA, IOASID_UNMAP_DMA) and through VFIO's type1 backend
 * (VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA), in the same run, on the
 * same memory.
 *
 *	ioasid_bench [-m MIB] [-r REPS] [-i IOVA] [-t] [-s MIB,MIB,...]
 *
 * /dev/ioasid side: a test device of the conformance test interface
 * (/dev/ioasid-test, mock IOMMU of class A) is bound to an IOASID
 * descriptor and attached to a fresh IOASID.  VFIO side: the container of
 * the IOMMU group of QEMU's edu device (1234:11e8), which must already be
 * bound to vfio-pci, with VFIO_TYPE1v2_IOMMU.
 *
 * The range is backed by 4 KiB pages (transparent huge pages are turned
 * off for it) twice: first touched in address order, which the guest's
 * page allocator answers with long physically contiguous runs, then in a
 * random order, which scatters them.  Then by huge pages: hugetlbfs pages
 * if the guest can reserve them (not with -t), else transparent huge
 * pages, else that run is reported as not available.  The physical layout
 * of each buffer is printed, since both sides may map physically
 * contiguous memory with fewer, larger IOMMU entries.  Only one buffer
 * exists at a time, and each mapping is removed before the next is made,
 * so at most one range is pinned.  The memory is touched before it is
 * mapped: the times are those of pinning and filling the I/O page table,
 * not of faulting the memory in.
 *
 * Every repetition maps and unmaps with /dev/ioasid, then with VFIO; each
 * ioctl is timed alone with CLOCK_MONOTONIC.  After the first /dev/ioasid
 * map of each buffer, untimed, the mock device reads the first and the
 * last page through the mapping (IOASID_TEST_DMA), to show that the
 * mapping is real.  The table shows every
 * repetition, the median and the throughput at the median, and the ratio
 * of the medians (ioasid / vfio).
 *
 * With -s, every kind of memory is then measured again at each of the
 * sizes listed, and a scaling table shows the medians per size together
 * with the time per page of the backing (4 KiB, or 2 MiB for huge pages):
 * a cost that grows with the number of IOMMU pages, not with the number
 * of 4 KiB pages, shows as a time per 2 MiB page that stays the same
 * across sizes and is far below 512 times the time per 4 KiB page.
 *
 * Exit status: 0 when every measurement that was attempted succeeded (a
 * huge page backing that the guest cannot provide is not a failure), 1
 * otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include "ioasid_testif.h"

#define MAX_REPS	15
#define SZ_4K		0x1000UL
#define SZ_2M		0x200000UL
#define MIB		(1024UL * 1024UL)

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

enum iface { SIDE_IOASID, SIDE_VFIO, NR_SIDES };
enum op { OP_MAP, OP_UNMAP, NR_OPS };

static const char * const side_name[NR_SIDES] = { "ioasid", "vfio" };
static const char * const op_name[NR_OPS] = { "map", "unmap" };

/* The times of one backing, and why a part of it has none. */
struct run {
	char label[16];			/* what backs the buffer */
	char unavailable[512];		/* non-empty: the run did not happen */
	char error[NR_SIDES][160];	/* non-empty: this side failed */
	double secs[NR_SIDES][NR_OPS][MAX_REPS];
	int done[NR_SIDES];		/* repetitions completed */
};

struct ioasid_side {
	int fd;
	int testif;
	int dev;
	__u32 ioasid;
};

struct vfio_side {
	char bdf[32];
	int group_nr;
	int container;
	int group;
};

static size_t length = 1024 * MIB;
static __u64 iova = 0x40000000;
static int reps = 3;
static bool thp_only;		/* -t: huge pages from THP, not hugetlbfs */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "strerror (ENAME)" of errno value @err, in a static buffer. */
static const char *err_str(int err)
{
	static char buf[96];
	const char *name = strerrorname_np(err);

	snprintf(buf, sizeof(buf), "%s (%s)", strerror(err),
		 name ? name : "?");
	return buf;
}

static int read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *text)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* ------------------------------------------------------------------------
 * /dev/ioasid: a mock test device attached to one IOASID.
 */

static int ioasid_setup(struct ioasid_side *s, char *why, size_t whylen)
{
	struct ioasid_test_create_device create = {
		.argsz = sizeof(create),
		.iommu_class = IOASID_TEST_IOMMU_A,
	};
	struct ioasid_device_bind bind = { .argsz = sizeof(bind) };
	struct ioasid_alloc alloc = { .argsz = sizeof(alloc) };
	struct ioasid_device_attach attach = { .argsz = sizeof(attach) };
	const char *step;

	s->fd = -1;
	s->testif = -1;
	s->dev = -1;
	step = "open /dev/ioasid";
	s->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		goto fail;
	step = "open /dev/ioasid-test";
	s->testif = open("/dev/ioasid-test", O_RDWR | O_CLOEXEC);
	if (s->testif < 0)
		goto fail;
	step = "IOASID_TEST_CREATE_DEVICE";
	if (ioctl(s->testif, IOASID_TEST_CREATE_DEVICE, &create))
		goto fail;
	s->dev = create.out_fd;
	bind.ioasid_fd = s->fd;
	step = "IOASID_DEVICE_BIND";
	if (ioctl(s->dev, IOASID_DEVICE_BIND, &bind))
		goto fail;
	step = "IOASID_ALLOC";
	if (ioctl(s->fd, IOASID_ALLOC, &alloc))
		goto fail;
	s->ioasid = alloc.out_ioasid;
	attach.ioasid = s->ioasid;
	step = "IOASID_DEVICE_ATTACH";
	if (ioctl(s->dev, IOASID_DEVICE_ATTACH, &attach))
		goto fail;
	return 0;
fail:
	snprintf(why, whylen, "%s: %s", step, err_str(errno));
	return -1;
}

static void ioasid_describe(struct ioasid_side *s)
{
	struct ioasid_info info = {
		.argsz = sizeof(info),
		.ioasid = s->ioasid,
	};

	if (ioctl(s->fd, IOASID_GET_INFO, &info)) {
		printf("  ioasid: IOASID_GET_INFO: %s\n", err_str(errno));
		return;
	}
	printf("  ioasid: IOASID %u, page sizes 0x%llx, %u-bit IOVA, %u reserved range(s)\n",
	       s->ioasid, (unsigned long long)info.out_pgsize_bitmap,
	       info.out_addr_width, info.num_reserved);
}

static int ioasid_map(struct ioasid_side *s, void *buf)
{
	struct ioasid_dma_map map = {
		.argsz = sizeof(map),
		.flags = IOASID_DMA_READ | IOASID_DMA_WRITE,
		.ioasid = s->ioasid,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.length = length,
	};

	return ioctl(s->fd, IOASID_MAP_DMA, &map) ? -errno : 0;
}

/*
 * Not timed: a DMA read by the mock device through the new mapping, of
 * the first and the last page, must see what the CPU wrote there.  0 when
 * it does, 1 when the test interface cannot issue DMA, -1 otherwise.
 */
static int ioasid_check(struct ioasid_side *s, const char *buf)
{
	size_t offset[2] = { 0, length - SZ_4K };
	char seen[64];
	int i;

	for (i = 0; i < 2; i++) {
		struct ioasid_test_dma dma = {
			.argsz = sizeof(dma),
			.iova = iova + offset[i],
			.length = sizeof(seen),
			.buffer = (uintptr_t)seen,
		};

		if (ioctl(s->dev, IOASID_TEST_DMA, &dma))
			return errno == ENOTTY || errno == EOPNOTSUPP ? 1 : -1;
		if (dma.out_status != IOASID_TEST_DMA_OK ||
		    memcmp(seen, buf + offset[i], sizeof(seen)))
			return -1;
	}
	return 0;
}

static int ioasid_unmap(struct ioasid_side *s, __u64 *unmapped)
{
	struct ioasid_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.ioasid = s->ioasid,
		.iova = iova,
		.length = length,
	};

	if (ioctl(s->fd, IOASID_UNMAP_DMA, &unmap))
		return -errno;
	*unmapped = unmap.out_unmapped;
	return 0;
}

static void ioasid_teardown(struct ioasid_side *s)
{
	if (s->dev >= 0)
		close(s->dev);
	if (s->testif >= 0)
		close(s->testif);
	if (s->fd >= 0)
		close(s->fd);
}

/* ------------------------------------------------------------------------
 * VFIO type1: the group of the edu device in a container.
 */

static unsigned long read_hex(const char *path)
{
	char buf[32];

	if (read_file(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 16);
}

/* Find the edu device, check it is bound to vfio-pci, find its group. */
static int find_edu(struct vfio_side *s, char *why, size_t whylen)
{
	const char *base = "/sys/bus/pci/devices";
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	const char *slash;
	ssize_t n;
	DIR *dir;

	dir = opendir(base);
	if (!dir) {
		snprintf(why, whylen, "%s: %s", base, err_str(errno));
		return -1;
	}
	s->bdf[0] = '\0';
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", base, de->d_name);
		if (read_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", base, de->d_name);
		if (read_hex(path) != EDU_DEVICE)
			continue;
		snprintf(s->bdf, sizeof(s->bdf), "%.31s", de->d_name);
		break;
	}
	closedir(dir);
	if (!s->bdf[0]) {
		snprintf(why, whylen, "no PCI device %04x:%04x (QEMU -device edu)",
			 EDU_VENDOR, EDU_DEVICE);
		return -1;
	}

	snprintf(path, sizeof(path), "%s/%s/driver", base, s->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	slash = strrchr(link, '/');
	if (n < 0 || strcmp(slash ? slash + 1 : link, "vfio-pci")) {
		snprintf(why, whylen, "%s is not bound to vfio-pci (driver: %.64s)",
			 s->bdf, n < 0 ? "none" : slash ? slash + 1 : link);
		return -1;
	}

	snprintf(path, sizeof(path), "%s/%s/iommu_group", base, s->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(why, whylen, "%s has no IOMMU group (intel_iommu=on?)",
			 s->bdf);
		return -1;
	}
	link[n] = '\0';
	slash = strrchr(link, '/');
	s->group_nr = atoi(slash ? slash + 1 : link);
	return 0;
}

static int vfio_setup(struct vfio_side *s, char *why, size_t whylen)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	const char *step;

	s->container = -1;
	s->group = -1;
	if (find_edu(s, why, whylen))
		return -1;
	step = "open /dev/vfio/vfio";
	s->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (s->container < 0)
		goto fail;
	if (ioctl(s->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		snprintf(why, whylen, "VFIO_GET_API_VERSION: not %d",
			 VFIO_API_VERSION);
		return -1;
	}
	if (ioctl(s->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		snprintf(why, whylen, "no VFIO_TYPE1v2_IOMMU: vfio_iommu_type1 absent?");
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", s->group_nr);
	step = path;
	s->group = open(path, O_RDWR | O_CLOEXEC);
	if (s->group < 0)
		goto fail;
	step = "VFIO_GROUP_GET_STATUS";
	if (ioctl(s->group, VFIO_GROUP_GET_STATUS, &status))
		goto fail;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, whylen, "group %d is not viable", s->group_nr);
		return -1;
	}
	step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(s->group, VFIO_GROUP_SET_CONTAINER, &s->container))
		goto fail;
	step = "VFIO_SET_IOMMU";
	if (ioctl(s->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto fail;
	return 0;
fail:
	snprintf(why, whylen, "%s: %s", step, err_str(errno));
	return -1;
}

static void vfio_describe(struct vfio_side *s)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	if (ioctl(s->container, VFIO_IOMMU_GET_INFO, &info)) {
		printf("  vfio:   VFIO_IOMMU_GET_INFO: %s\n", err_str(errno));
		return;
	}
	printf("  vfio:   edu %s, IOMMU group %d, type1v2, page sizes 0x%llx\n",
	       s->bdf, s->group_nr, (unsigned long long)info.iova_pgsizes);
}

static int vfio_map(struct vfio_side *s, void *buf)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = length,
	};

	return ioctl(s->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int vfio_unmap(struct vfio_side *s, __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = length,
	};

	if (ioctl(s->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	*unmapped = unmap.size;
	return 0;
}

static void vfio_teardown(struct vfio_side *s)
{
	if (s->group >= 0)
		close(s->group);
	if (s->container >= 0)
		close(s->container);
}

/* ------------------------------------------------------------------------
 * The buffer.
 */

/*
 * Kilobytes of transparent huge pages (AnonHugePages) and of hugetlbfs
 * pages (Private_Hugetlb) in the mapping that starts at @addr.
 */
static void huge_kb(void *addr, unsigned long *thp, unsigned long *hugetlb)
{
	unsigned long start, end, kb;
	bool inside = false;
	char line[256];
	FILE *f;

	*thp = 0;
	*hugetlb = 0;
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's first line: "start-end perms ..." */
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			inside = start == (uintptr_t)addr;
			continue;
		}
		if (!inside)
			continue;
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			*thp = kb;
		else if (sscanf(line, "Private_Hugetlb: %lu kB", &kb) == 1)
			*hugetlb = kb;
	}
	fclose(f);
}

/* Each page starts with its number, for ioasid_check(). */
static void touch_page(char *buf, size_t page)
{
	memcpy(buf + page * SZ_4K, &page, sizeof(page));
}

/* Fault every page in, in address order. */
static void touch(char *buf)
{
	size_t page;

	for (page = 0; page < length / SZ_4K; page++)
		touch_page(buf, page);
}

/*
 * Fault every page in, in a random order: the allocator's pages, which come
 * out in physical order, land on scattered virtual pages, so that the range
 * is physically fragmented.  The order is the same in every run.
 */
static int touch_shuffled(char *buf)
{
	size_t pages = length / SZ_4K, i, j;
	__u64 x = 0x9e3779b97f4a7c15ULL;
	__u32 *perm, tmp;

	perm = malloc(pages * sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (i = 0; i < pages; i++)
		perm[i] = i;
	for (i = pages - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (i = 0; i < pages; i++)
		touch_page(buf, perm[i]);
	free(perm);
	return 0;
}

/*
 * How physically contiguous the range is, from /proc/self/pagemap (which
 * shows frame numbers to root): the number of runs of physically
 * consecutive pages, the longest run, and the 2 MiB blocks of the range
 * that are one aligned 2 MiB physical block, which an IOMMU can map with
 * one 2 MiB entry.  Both sides may make use of them.
 */
static void describe_layout(const char *label, char *buf)
{
	size_t pages = length / SZ_4K, i, j, runs = 0, run = 0, longest = 0;
	size_t blocks = 0, per_block = SZ_2M / SZ_4K;
	__u64 *pfn, prev = 0;
	ssize_t n;
	int fd;

	pfn = malloc(pages * sizeof(*pfn));
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	n = pfn && fd >= 0 ? pread(fd, pfn, pages * sizeof(*pfn),
				   (uintptr_t)buf / SZ_4K * sizeof(*pfn)) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)(pages * sizeof(*pfn))) {
		printf("  %-11s physical layout unknown (pagemap)\n", label);
		free(pfn);
		return;
	}
	for (i = 0; i < pages; i++) {
		/* bit 63: present; bits 0-54: the frame number */
		pfn[i] = pfn[i] >> 63 ? pfn[i] & ((1ULL << 55) - 1) : 0;
		if (!i || !pfn[i] || pfn[i] != prev + 1) {
			runs++;
			run = 0;
		}
		run++;
		if (run > longest)
			longest = run;
		prev = pfn[i];
	}
	for (i = 0; i + per_block <= pages; i += per_block) {
		for (j = 1; j < per_block; j++)
			if (pfn[i + j] != pfn[i] + j)
				break;
		if (pfn[i] && pfn[i] % per_block == 0 && j == per_block)
			blocks++;
	}
	if (!pfn[0])
		printf("  %-11s physical layout unknown (no frame numbers)\n",
		       label);
	else
		printf("  %-11s %zu physical run(s), longest %zu KiB; %zu of %zu\n"
		       "  %-11s 2 MiB blocks could take a 2 MiB IOMMU page\n",
		       label, runs, longest * SZ_4K / 1024, blocks,
		       pages / per_block, "");
	free(pfn);
}

enum backing { BACKING_4K, BACKING_4K_SHUFFLED, BACKING_HUGE, NR_BACKINGS };

static const char * const backing_help[NR_BACKINGS] = {
	"4K-ordered: 4 KiB pages (MADV_NOHUGEPAGE), first touched in address order",
	"4K-shuffled: the same, first touched in a random order (physically scattered)",
	"hugetlb-2M: 2 MiB hugetlbfs pages (MAP_HUGETLB), or THP-2M if unavailable",
};

struct buffer {
	void *map;		/* what to munmap */
	size_t map_len;
	char *buf;		/* the range, @length bytes */
	bool hugetlb;		/* hugetlbfs pages were reserved for it */
	char old_nr[32];	/* nr_hugepages before */
};

/* Only 4 KiB pages: THP is "always" in Debian's kernels. */
static int buffer_4k(struct buffer *b, struct run *run, bool shuffled)
{
	unsigned long thp, hugetlb;

	memset(b, 0, sizeof(*b));
	b->map_len = length;
	b->map = mmap(NULL, length, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED) {
		snprintf(run->unavailable, sizeof(run->unavailable),
			 "mmap: %s", err_str(errno));
		return -1;
	}
	b->buf = b->map;
	if (madvise(b->buf, length, MADV_NOHUGEPAGE))
		printf("  madvise(MADV_NOHUGEPAGE): %s\n", err_str(errno));
	if (!shuffled)
		touch(b->buf);
	else if (touch_shuffled(b->buf))
		snprintf(run->unavailable, sizeof(run->unavailable),
			 "no memory for the permutation");
	huge_kb(b->buf, &thp, &hugetlb);
	if (thp || hugetlb)
		snprintf(run->unavailable, sizeof(run->unavailable),
			 "%lu kB of huge pages in the 4 KiB buffer",
			 thp + hugetlb);
	if (run->unavailable[0]) {
		munmap(b->map, b->map_len);
		return -1;
	}
	return 0;
}

/* Reserve hugetlbfs pages for the range and map them. */
static int buffer_hugetlb(struct buffer *b, struct run *run, char *note,
			  size_t notelen)
{
	const char *nr_path = "/proc/sys/vm/nr_hugepages";
	unsigned long thp, hugetlb;
	char want[24], got[24];

	if (read_file(nr_path, b->old_nr, sizeof(b->old_nr))) {
		snprintf(note, notelen, "no %s", nr_path);
		return -1;
	}
	snprintf(want, sizeof(want), "%zu", length / SZ_2M);
	write_file(nr_path, want);
	b->map_len = length;
	b->map = mmap(NULL, length, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (b->map == MAP_FAILED) {
		int err = errno;

		if (read_file(nr_path, got, sizeof(got)))
			got[0] = '\0';
		got[strcspn(got, "\n")] = '\0';
		snprintf(note, notelen,
			 "MAP_HUGETLB: %s with %s of %s pages reserved",
			 err_str(err), got, want);
		write_file(nr_path, b->old_nr);
		return -1;
	}
	b->hugetlb = true;
	b->buf = b->map;
	touch(b->buf);
	huge_kb(b->buf, &thp, &hugetlb);
	snprintf(run->label, sizeof(run->label), "hugetlb-2M");
	if (hugetlb * 1024 == length)
		return 0;
	snprintf(note, notelen, "hugetlb: only %lu kB", hugetlb);
	munmap(b->map, b->map_len);
	write_file(nr_path, b->old_nr);
	b->hugetlb = false;
	return -1;
}

/* Transparent huge pages: a 2 MiB aligned range, MADV_HUGEPAGE. */
static int buffer_thp(struct buffer *b, struct run *run, const char *note)
{
	const char *sep = note[0] ? "; " : "";
	unsigned long thp, hugetlb;
	uintptr_t aligned;

	b->map_len = length + SZ_2M;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED) {
		snprintf(run->unavailable, sizeof(run->unavailable),
			 "%s%sTHP: mmap: %s", note, sep, err_str(errno));
		return -1;
	}
	aligned = ((uintptr_t)b->map + SZ_2M - 1) & ~(SZ_2M - 1);
	b->buf = (char *)aligned;
	if (madvise(b->buf, length, MADV_HUGEPAGE)) {
		snprintf(run->unavailable, sizeof(run->unavailable),
			 "%s%sTHP: madvise: %s", note, sep, err_str(errno));
		munmap(b->map, b->map_len);
		return -1;
	}
	touch(b->buf);
	/* smaps lists the mapping under its start, b->map */
	huge_kb(b->map, &thp, &hugetlb);
	snprintf(run->label, sizeof(run->label), "THP-2M");
	if (thp * 1024 == length)
		return 0;
	snprintf(run->unavailable, sizeof(run->unavailable),
		 "%s%sTHP: only %lu of %zu kB in huge pages", note, sep, thp,
		 length / 1024);
	munmap(b->map, b->map_len);
	return -1;
}

static int buffer_huge(struct buffer *b, struct run *run)
{
	char note[256] = "";

	memset(b, 0, sizeof(*b));
	if (thp_only)
		snprintf(note, sizeof(note), "hugetlbfs not tried (-t)");
	else if (!buffer_hugetlb(b, run, note, sizeof(note)))
		return 0;
	printf("  huge pages: %s; trying THP\n", note);
	return buffer_thp(b, run, note);
}

static int buffer_make(struct buffer *b, struct run *run, enum backing kind)
{
	static const char * const label[NR_BACKINGS] = {
		"4K-ordered", "4K-shuffled", "huge-2M",
	};

	snprintf(run->label, sizeof(run->label), "%s", label[kind]);
	if (kind == BACKING_HUGE)
		return buffer_huge(b, run);
	return buffer_4k(b, run, kind == BACKING_4K_SHUFFLED);
}

static void buffer_free(struct buffer *b)
{
	munmap(b->map, b->map_len);
	if (b->hugetlb)
		write_file("/proc/sys/vm/nr_hugepages", b->old_nr);
}

/* ------------------------------------------------------------------------
 * Measuring.
 */

struct sides {
	struct ioasid_side ioasid;
	struct vfio_side vfio;
	char setup_error[NR_SIDES][160];
};

static int do_map(struct sides *s, enum iface side, void *buf)
{
	return side == SIDE_IOASID ? ioasid_map(&s->ioasid, buf) :
				     vfio_map(&s->vfio, buf);
}

static int do_unmap(struct sides *s, enum iface side, __u64 *unmapped)
{
	return side == SIDE_IOASID ? ioasid_unmap(&s->ioasid, unmapped) :
				     vfio_unmap(&s->vfio, unmapped);
}

/* Time one map and one unmap; 0, or -1 with run->error[side] set. */
static int measure_once(struct sides *s, enum iface side, struct run *run,
			char *buf, int rep)
{
	const char *cmd;
	__u64 unmapped = 0;
	int ret, checked = 0;
	double t0, t1;

	cmd = side == SIDE_IOASID ? "IOASID_MAP_DMA" : "VFIO_IOMMU_MAP_DMA";
	t0 = now();
	ret = do_map(s, side, buf);
	t1 = now();
	if (ret)
		goto fail;
	run->secs[side][OP_MAP][rep] = t1 - t0;
	if (side == SIDE_IOASID && !rep) {
		checked = ioasid_check(&s->ioasid, buf);
		printf("  %-11s ioasid: a mock DMA through the mapping %s\n",
		       run->label, checked < 0 ? "did NOT read the memory" :
		       checked ? "could not be issued (no IOASID_TEST_DMA)" :
		       "read the first and last page");
	}

	cmd = side == SIDE_IOASID ? "IOASID_UNMAP_DMA" : "VFIO_IOMMU_UNMAP_DMA";
	t0 = now();
	ret = do_unmap(s, side, &unmapped);
	t1 = now();
	if (ret)
		goto fail;
	run->secs[side][OP_UNMAP][rep] = t1 - t0;
	if (checked < 0) {
		snprintf(run->error[side], sizeof(run->error[side]),
			 "IOASID_TEST_DMA did not read the mapped memory");
		return -1;
	}
	if (unmapped != length) {
		snprintf(run->error[side], sizeof(run->error[side]),
			 "%s unmapped %llu bytes, not %zu", cmd,
			 (unsigned long long)unmapped, length);
		return -1;
	}
	run->done[side] = rep + 1;
	return 0;
fail:
	snprintf(run->error[side], sizeof(run->error[side]), "%s: %s",
		 cmd, err_str(-ret));
	return -1;
}

static void measure(struct sides *s, struct run *run, char *buf)
{
	enum iface side;
	int rep;

	for (rep = 0; rep < reps; rep++) {
		for (side = 0; side < NR_SIDES; side++) {
			if (s->setup_error[side][0]) {
				snprintf(run->error[side], sizeof(run->error[side]),
					 "%s", s->setup_error[side]);
				continue;
			}
			if (run->error[side][0])
				continue;
			if (measure_once(s, side, run, buf, rep))
				continue;
			printf("  %-11s %-6s rep %d: map %.3f s, unmap %.3f s\n",
			       run->label, side_name[side], rep + 1,
			       run->secs[side][OP_MAP][rep],
			       run->secs[side][OP_UNMAP][rep]);
			fflush(stdout);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double sorted[MAX_REPS];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void print_table(struct run *runs, int nr)
{
	double med[NR_SIDES][NR_OPS];
	enum iface side;
	enum op op;
	int i, rep;

	printf("\n%-11s %-7s %-6s", "memory", "api", "op");
	for (rep = 0; rep < reps; rep++) {
		char head[24];

		snprintf(head, sizeof(head), "run %d (s)", rep + 1);
		printf("  %9s", head);
	}
	printf("  median (s)     MiB/s\n");

	for (i = 0; i < nr; i++) {
		struct run *run = &runs[i];

		if (run->unavailable[0]) {
			printf("%-11s not available: %s\n", run->label,
			       run->unavailable);
			continue;
		}
		for (side = 0; side < NR_SIDES; side++) {
			if (run->done[side] < reps) {
				printf("%-11s %-7s FAILED: %s\n", run->label,
				       side_name[side], run->error[side]);
				continue;
			}
			for (op = 0; op < NR_OPS; op++) {
				double *v = run->secs[side][op];

				med[side][op] = median(v, reps);
				printf("%-11s %-7s %-6s", run->label,
				       side_name[side], op_name[op]);
				for (rep = 0; rep < reps; rep++)
					printf("  %9.3f", v[rep]);
				printf("  %10.3f  %8.1f\n", med[side][op],
				       length / MIB / med[side][op]);
			}
		}
	}

	printf("\nratio ioasid/vfio of the median times (below 1: /dev/ioasid is faster)\n");
	for (i = 0; i < nr; i++) {
		struct run *run = &runs[i];

		printf("%-11s", run->label);
		if (run->unavailable[0] || run->done[SIDE_IOASID] < reps ||
		    run->done[SIDE_VFIO] < reps) {
			printf(" map n/a  unmap n/a\n");
			continue;
		}
		for (side = 0; side < NR_SIDES; side++)
			for (op = 0; op < NR_OPS; op++)
				med[side][op] = median(run->secs[side][op], reps);
		printf(" map %.3f  unmap %.3f\n",
		       med[SIDE_IOASID][OP_MAP] / med[SIDE_VFIO][OP_MAP],
		       med[SIDE_IOASID][OP_UNMAP] / med[SIDE_VFIO][OP_UNMAP]);
	}
}

#define MAX_SIZES	8

/* The medians of one kind of memory at one size; 0 if not measured. */
struct scaled {
	size_t length;
	char label[24];
	double med[NR_SIDES][NR_OPS];
	bool huge;
};

static void print_scaling(const struct scaled *sc, int nsizes)
{
	const struct scaled *e;
	enum iface side;
	int i, k;

	printf("\nscaling: median times per size, and per page of the backing\n");
	printf("%-11s %6s %9s  %-7s %9s %9s %12s %12s\n", "memory", "MiB",
	       "pages", "api", "map (s)", "unmap (s)", "map ns/page",
	       "unmap ns/pg");
	for (k = 0; k < NR_BACKINGS; k++) {
		for (i = 0; i < nsizes; i++) {
			e = &sc[i * NR_BACKINGS + k];
			for (side = 0; side < NR_SIDES; side++) {
				size_t pages = e->length /
					       (e->huge ? SZ_2M : SZ_4K);

				if (!e->med[side][OP_MAP])
					continue;
				printf("%-11s %6zu %9zu  %-7s %9.4f %9.4f %12.0f %12.0f\n",
				       e->label, e->length / MIB, pages,
				       side_name[side], e->med[side][OP_MAP],
				       e->med[side][OP_UNMAP],
				       e->med[side][OP_MAP] * 1e9 / pages,
				       e->med[side][OP_UNMAP] * 1e9 / pages);
			}
		}
	}
	printf("(pages: 4 KiB pages, or 2 MiB pages for huge-page memory)\n");
}

static void usage(const char *prog)
{
	fprintf(stderr, "%s [-m MIB] [-r REPS] [-i IOVA] [-t] [-s MIB,...]\n",
		prog);
	fprintf(stderr, "  MIB and IOVA multiples of 2 MiB, 1 <= REPS <= %d\n",
		MAX_REPS);
	exit(2);
}

static void print_header(void)
{
	struct utsname uts;
	int kind;

	uname(&uts);
	printf("ioasid_bench: /dev/ioasid IOASID_MAP_DMA/UNMAP_DMA against\n");
	printf("  VFIO type1 VFIO_IOMMU_MAP_DMA/UNMAP_DMA, on the same memory\n");
	printf("  kernel: Linux %s %s under QEMU TCG (no KVM)\n",
	       uts.release, uts.machine);
	printf("  range:  %zu MiB of anonymous memory at IOVA 0x%llx, read and write,\n",
	       length / MIB, (unsigned long long)iova);
	printf("          every page faulted in before the first map\n");
	printf("  timing: each ioctl alone with CLOCK_MONOTONIC; %d repetition(s),\n",
	       reps);
	printf("          each /dev/ioasid first, then VFIO; median of the repetitions\n");
	printf("  ioasid: mock test device (/dev/ioasid-test) behind the mock IOMMU\n");
	printf("          of class A, a page table in software\n");
	printf("  vfio:   QEMU's edu device bound to vfio-pci, behind QEMU's emulated\n");
	printf("          intel-iommu (intel_iommu=on)\n");
	printf("  Absolute times are those of an emulated machine, not of hardware;\n");
	printf("  the ratios compare two kernel paths on the same emulated CPU.\n");
	printf("  memory:\n");
	for (kind = 0; kind < NR_BACKINGS; kind++)
		printf("    %d. %s\n", kind + 1, backing_help[kind]);
}

/*
 * Measure every kind of memory at the current length; 1 when a
 * measurement that was attempted failed.
 */
static int measure_all(struct sides *s, struct run *runs)
{
	enum backing kind;
	enum iface side;
	struct buffer b;
	int bad = 0;

	memset(runs, 0, NR_BACKINGS * sizeof(*runs));
	/* One buffer at a time, so that at most one range is pinned. */
	for (kind = 0; kind < NR_BACKINGS; kind++) {
		if (buffer_make(&b, &runs[kind], kind)) {
			/* the guest may lack huge pages; 4 KiB pages it has */
			if (kind != BACKING_HUGE)
				bad = 1;
			continue;
		}
		describe_layout(runs[kind].label, b.buf);
		measure(s, &runs[kind], b.buf);
		buffer_free(&b);
	}
	for (kind = 0; kind < NR_BACKINGS; kind++)
		for (side = 0; side < NR_SIDES; side++)
			if (!runs[kind].unavailable[0] &&
			    runs[kind].done[side] < reps)
				bad = 1;
	return bad;
}

int main(int argc, char **argv)
{
	struct scaled scaled[MAX_SIZES * NR_BACKINGS];
	size_t sizes[MAX_SIZES], main_length;
	struct run runs[NR_BACKINGS];
	int bad = 0, nsizes = 0, nscaled = 0, i, k;
	enum iface side;
	struct sides s;
	char *tok;
	int opt;
	enum op op;

	while ((opt = getopt(argc, argv, "m:r:i:ts:")) != -1) {
		switch (opt) {
		case 'm':
			length = strtoul(optarg, NULL, 0) * MIB;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'i':
			iova = strtoull(optarg, NULL, 0);
			break;
		case 't':
			thp_only = true;
			break;
		case 's':
			for (tok = strtok(optarg, ","); tok;
			     tok = strtok(NULL, ",")) {
				if (nsizes == MAX_SIZES)
					usage(argv[0]);
				sizes[nsizes] = strtoul(tok, NULL, 0) * MIB;
				if (!sizes[nsizes] || sizes[nsizes] % SZ_2M)
					usage(argv[0]);
				nsizes++;
			}
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || !length || length % SZ_2M || iova % SZ_2M ||
	    reps < 1 || reps > MAX_REPS)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	print_header();

	memset(&s, 0, sizeof(s));
	memset(runs, 0, sizeof(runs));
	if (ioasid_setup(&s.ioasid, s.setup_error[SIDE_IOASID],
			 sizeof(s.setup_error[0])))
		printf("  ioasid: setup failed: %s\n",
		       s.setup_error[SIDE_IOASID]);
	else
		ioasid_describe(&s.ioasid);
	if (vfio_setup(&s.vfio, s.setup_error[SIDE_VFIO],
		       sizeof(s.setup_error[0])))
		printf("  vfio:   setup failed: %s\n", s.setup_error[SIDE_VFIO]);
	else
		vfio_describe(&s.vfio);
	printf("\n");

	bad = measure_all(&s, runs);
	print_table(runs, NR_BACKINGS);

	main_length = length;
	for (i = 0; i < nsizes; i++) {
		length = sizes[i];
		printf("\nscaling run: %zu MiB\n", length / MIB);
		bad |= measure_all(&s, runs);
		for (k = 0; k < NR_BACKINGS; k++) {
			struct scaled *sc = &scaled[nscaled++];

			memset(sc, 0, sizeof(*sc));
			sc->length = length;
			sc->huge = k == BACKING_HUGE;
			snprintf(sc->label, sizeof(sc->label), "%.15s",
				 runs[k].label);
			if (runs[k].unavailable[0])
				continue;
			for (side = 0; side < NR_SIDES; side++)
				for (op = 0; op < NR_OPS; op++)
					if (runs[k].done[side] == reps)
						sc->med[side][op] =
							median(runs[k].secs[side][op],
							       reps);
		}
	}
	length = main_length;
	if (nsizes)
		print_scaling(scaled, nsizes);

	ioasid_teardown(&s.ioasid);
	vfio_teardown(&s.vfio);
	return bad;
}
