// SPDX-License-Identifier: GPL-2.0
/*
 * A command-aware fuzzer of the /dev/ioasid core in user space.
 *
 * The core, the mock framework and the mock IOMMU run in this process on
 * the shim, as under the interposer; this file plays the interposer's
 * part itself: each ioctl goes through shim_fdget(), shim_syscall_enter(),
 * shim_file_ioctl(), shim_fdput() and shim_syscall_exit(), opens through
 * shim_open_device(), closes through shim_close(), and changes of the
 * address space (munmap, MAP_FIXED, mremap, MADV_DONTNEED) tell the
 * shim's page model, under its mm lock, that pages left their addresses.
 *
 * The input is decoded into commands as fuzz_format.h describes; with
 * FZ_RACE a part of it runs on a second thread at the same time, so that
 * commands race with each other and with changes of the address space
 * under the shim's lock checker and the sanitizers.  After
 * each input every descriptor it opened is closed and then nothing may
 * be left: no pinned page, no charge to the user or the mm, no
 * allocation beyond those after the modules loaded, no open file, no
 * held lock, no report; a difference aborts with a message saying which.
 *
 * Built with -DFUZZ_REPLAY_MAIN (gcc or clang, without libFuzzer) this
 * file has a main() that runs each file named on its command line, or
 * each file in a directory named there, as one input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <shim/base.h>
#include <shim/shim.h>
#include <uapi/linux/ioasid.h>
#include "ioasid_testif.h"
#include "fuzz_format.h"

/* mock_iommu.c: arm or (nth 0) disarm a failure of the mock IOMMU */
int mock_iommu_fail_next(u32 op, u32 nth);

#define FZ_PAGE 4096UL
#define FIOCLEX_NR 0x5451
#define FIONCLEX_NR 0x5450
#define FIONBIO_NR 0x5421

enum { K_NONE, K_IOASID, K_TESTIF, K_DEVICE, K_ANY };

struct slot {
	int fd;
	int kind;
};

/* where a thread reads its commands: the input, or a racer's part of it */
static __thread struct {
	const u8 *data;
	size_t size, pos;
	unsigned int fail_nth;	/* for the next command, 0: none */
} cur;
static __thread bool is_racer;	/* the second thread of FZ_RACE */

/*
 * The state of one input.  With FZ_RACE two threads issue commands, and
 * bk_lock keeps this state consistent: a thread holds it while it decodes
 * a command and records what came of it, and lets go only around the
 * calls into the shim and the core (bk_unlocked()), which is where the
 * two threads race.
 */
static pthread_mutex_t bk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct slot slots[FZ_SLOTS];
	int last_closed;
	int max_fd;
	u32 vals[32];		/* numbers commands returned, a ring */
	unsigned int nvals;
	struct { u64 iova, length; } maps[16];	/* successful MAP_DMA, a ring */
	unsigned int nmaps;
	bool mem_dirty;
	bool limited;		/* FZ_LIMIT changed the caps or the rlimit */
} st;

#define bk_unlocked(stmt) do {			\
		pthread_mutex_unlock(&bk_lock);	\
		stmt;				\
		pthread_mutex_lock(&bk_lock);	\
	} while (0)

/* the fixed memory of the process, set up once */
static u8 *arg_pages[2];	/* the main thread's and the racer's */
static __thread u8 *arg_page;	/* argument page, guard page, output page */
static u8 *regions[FZ_NREGIONS];
static const unsigned long region_pages[FZ_NREGIONS] = FZ_REGION_PAGES;
static u8 *spare;		/* where FZ_MREMAP moves pages to */
#define SPARE_PAGES 512UL
static u8 *mem_base;
static unsigned long mem_len;
static struct shim_user_range user_ranges[3];

/* the baseline after the modules loaded */
static long base_allocs, base_files;
static unsigned long base_reports;
static unsigned int uid;
static bool debug;		/* IOASID_FUZZ_DEBUG: print each call */

/* ------------------------------------------------------------------ */
/* Reading the input */

static u8 rd8(void)
{
	return cur.pos < cur.size ? cur.data[cur.pos++] : 0;
}

static u32 rd32(void)
{
	u32 v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v |= (u32)rd8() << (8 * i);
	return v;
}

static u64 rd64(void)
{
	u64 lo = rd32();

	return lo | (u64)rd32() << 32;
}

static bool at_end(void)
{
	/* a killed process issues no more commands */
	return cur.pos >= cur.size || shim_fatal_signal();
}

/* ------------------------------------------------------------------ */
/* Descriptors */

static int nth_of_kind(int kind, unsigned int n, bool other)
{
	int i, count = 0;

	for (i = 0; i < FZ_SLOTS; i++)
		if (st.slots[i].kind &&
		    (kind == K_ANY || (st.slots[i].kind == kind) != other))
			count++;
	if (!count)
		return -1;
	n %= count;
	for (i = 0; i < FZ_SLOTS; i++)
		if (st.slots[i].kind &&
		    (kind == K_ANY || (st.slots[i].kind == kind) != other) &&
		    !n--)
			return i;
	return -1;
}

static int sel_fd_b(int kind, u8 b)
{
	int i;

	if (b < 0x80) {
		i = nth_of_kind(kind, b, false);
		if (i < 0)
			i = nth_of_kind(K_ANY, b, false);
		return i < 0 ? -1 : st.slots[i].fd;
	}
	if (b < 0xc0)
		return st.slots[b & 15].kind ? st.slots[b & 15].fd : -1;
	switch (b & 7) {
	case 0:
		return -1;
	case 1:
		return 0;
	case 2:
		return st.last_closed;
	case 3:
		return INT_MAX;
	default:
		i = nth_of_kind(kind, b, true);
		return i < 0 ? -1 : st.slots[i].fd;
	}
}

static int sel_fd(int kind)
{
	return sel_fd_b(kind, rd8());
}

static bool slot_free(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (!st.slots[i].kind)
			return true;
	return false;
}

static void note_fd(int fd, int kind)
{
	int i;

	if (fd > st.max_fd)
		st.max_fd = fd;
	for (i = 0; i < FZ_SLOTS; i++)
		if (!st.slots[i].kind) {
			st.slots[i].fd = fd;
			st.slots[i].kind = kind;
			return;
		}
	/* no room: close it again */
	shim_syscall_enter();
	shim_close(fd);
	shim_syscall_exit();
}

/* The slot is free before the close, so that no other thread closes it. */
static void close_slot(int i)
{
	int fd = st.slots[i].fd;
	int ret;

	st.slots[i].kind = K_NONE;
	st.last_closed = fd;
	bk_unlocked(shim_syscall_enter();
		    ret = shim_close(fd);
		    shim_syscall_exit());
	if (ret) {
		fprintf(stderr, "fuzz: close(%d) of a slot: %d\n", fd, ret);
		abort();
	}
}

/* ------------------------------------------------------------------ */
/* Values */

static void note_val(u32 v)
{
	st.vals[st.nvals++ % 32] = v;
}

static u32 recent_val(unsigned int k)
{
	unsigned int n = st.nvals < 32 ? st.nvals : 32;

	return st.vals[(st.nvals - 1 - k % n) % 32];
}

static u32 sel_id(void)
{
	static const u32 table[] = {
		0, 1, 2, 3, 4, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
		0xfffff, 0x100000, 0x100, 0x1000, 17, 64, 65,
	};
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd32();
	if (b < 0xc0 && st.nvals)
		return recent_val(b);
	if (b < 0xc0 || b == 0xfe)	/* one more than the latest */
		return st.nvals ? recent_val(0) + 1 : 1;
	return table[(b - 0xc0) % ARRAY_SIZE(table)];
}

static u32 sel_pasid(void)
{
	static const u32 small[] = { 0, 1, 2, 3, 5, 7, 0xff, 0x100, 0xfffff,
				     0x3ff, 0x400, 0xffff };
	static const u32 bounds[] = { 0x100000, 0xffffffff, 0x80000000,
				      0x1fffff, 0xfffffffe, 0x7fffffff };
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd32();
	if (b < 0xc0)
		return small[b % ARRAY_SIZE(small)];
	return bounds[(b - 0xc0) % ARRAY_SIZE(bounds)];
}

static u64 sel_addr(void)
{
	static const u64 bounds[] = {
		0, FZ_PAGE, (1ULL << 47) - FZ_PAGE, 1ULL << 47,
		(1ULL << 47) - 1, 1ULL << 48, 1ULL << 63, -FZ_PAGE, ~0ULL,
		(1ULL << 47) - 2 * FZ_PAGE, 0xffff800000000000ULL, 1,
	};
	static const u64 sub[] = { 0, 1, 0x800, 0xfff };
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd64();
	if (b < 0x80) {
		unsigned int r = (b & 7) % FZ_NREGIONS;
		unsigned int s = (b >> 3) & 15;

		return (uintptr_t)regions[r] +
		       fz_page_index(rd8(), region_pages[r]) * FZ_PAGE +
		       (s < 4 ? sub[s] : 0);
	}
	if (b < 0xa0)
		return (uintptr_t)arg_page + 2 * FZ_PAGE + 16UL * rd8();
	if (b == 0xa0)
		return (uintptr_t)arg_page + FZ_PAGE;	/* the guard page */
	if (b == 0xa1)
		return (uintptr_t)spare;
	return bounds[(b - 0xa2) % ARRAY_SIZE(bounds)];
}

static u64 sel_len(void)
{
	static const u64 pages[] = { 1, 2, 3, 4, 5, 8, 15, 16, 17, 31, 32, 63,
				     64, 256, 511, 512 };
	static const u64 bounds[] = {
		0, 1, 0xfff, 1ULL << 47, (1ULL << 47) - FZ_PAGE, -FZ_PAGE,
		~0ULL, 1ULL << 63, 1ULL << 32, 1ULL << 39, 1ULL << 48, SZ_2M,
		SZ_1G, 0x800, -SZ_64K, (1ULL << 52),
	};
	u8 b = rd8();
	u64 n;

	if (b == FZ_RAW)
		return rd64();
	if (b >= 0xc0)
		return bounds[(b - 0xc0) % ARRAY_SIZE(bounds)];
	n = pages[b & 15];
	switch (b >> 6) {
	case 0:
		return n * FZ_PAGE;
	case 1:
		return n * FZ_PAGE + ((b & 16) ? 1 : -1);
	default:
		return n * SZ_64K;
	}
}

static u64 sel_iova(void)
{
	static const u64 units[] = { FZ_PAGE, SZ_64K, SZ_2M, SZ_1G };
	static const u64 bounds[] = {
		0, 0xfee00000ULL, 0xfee00000ULL - FZ_PAGE, 0xfef00000ULL,
		(1ULL << 39) - FZ_PAGE, 1ULL << 39, (1ULL << 48) - FZ_PAGE,
		1ULL << 48, (1ULL << 47) - FZ_PAGE, 1ULL << 47, -FZ_PAGE,
		~0ULL, 1ULL << 63, -SZ_64K, 0xfeeff000ULL, (1ULL << 39) - SZ_64K,
		-SZ_2M, 1ULL << 32,
	};
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd64();
	if (b < 0x40 && st.nmaps) {
		unsigned int n = st.nmaps < 16 ? st.nmaps : 16;
		unsigned int i = (st.nmaps - 1 - (b & 15) % n) % 16;

		switch ((b >> 4) & 3) {
		case 0:
			return st.maps[i].iova;
		case 1:
			return st.maps[i].iova + st.maps[i].length;
		case 2:
			return st.maps[i].iova + FZ_PAGE;
		default:
			return st.maps[i].iova - FZ_PAGE;
		}
	}
	if (b < 0xc0)
		return rd8() * units[(b >> 3) & 3] + ((b & 7) == 7);
	return bounds[(b - 0xc0) % ARRAY_SIZE(bounds)];
}

static u32 sel_flags(u32 known)
{
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd32();
	if (b < 0x80)
		return b & known;
	if (b < 0xa0)
		return 1U << (b & 31);
	return known | 1U << (b & 31);
}

static u32 sel_count(void)
{
	static const u32 bounds[] = { 0xffffffff, 0x80000000, 256, 4096,
				      0x10000000, 1000, 17, 0x7fffffff };
	u8 b = rd8();

	if (b == FZ_RAW)
		return rd32();
	if (b < 0xf0)
		return b % 5;
	return bounds[(b - 0xf0) % ARRAY_SIZE(bounds)];
}

/* ------------------------------------------------------------------ */
/* Arguments: a structure in the argument page, placed and sized */

struct argbuf {
	u8 *p;			/* where the structure is (may be bad) */
	u8 *w;			/* where it is written: p, or scratch */
	size_t size;		/* the structure's size */
	u8 scratch[256];
};

static void arg_begin(struct argbuf *a, size_t size)
{
	u8 b = rd8();

	a->size = size;
	memset(arg_page, 0, FZ_PAGE);
	a->p = arg_page;
	a->w = arg_page;
	switch (b) {
	case 0xf0:
		a->p = NULL;
		break;
	case 0xf1:
		a->p = arg_page + FZ_PAGE - size;
		break;
	case 0xf2:
		a->p = arg_page + FZ_PAGE - size / 2;
		break;
	case 0xf3:
		a->p = arg_page + 1;
		break;
	case 0xf4:
		a->p = arg_page + FZ_PAGE;
		break;
	case 0xf5:
		a->p = (u8 *)0xffff880000000000UL;
		break;
	default:
		break;
	}
	/* build the structure where it can be written; copy it later */
	if (a->p == arg_page || a->p == arg_page + 1 ||
	    a->p == arg_page + FZ_PAGE - size)
		a->w = a->p;
	else
		a->w = a->scratch;
	memset(a->scratch, 0, sizeof(a->scratch));
}

/* a byte at @off of the structure, if that is writable memory */
static void arg_poke(struct argbuf *a, size_t off, u8 v)
{
	size_t room = a->w == a->scratch ? sizeof(a->scratch) :
		      (size_t)(arg_page + FZ_PAGE - a->w);

	if (off < room)
		a->w[off] = v;
}

static void put32(struct argbuf *a, size_t off, u32 v)
{
	memcpy(a->w + off, &v, 4);
}

static void put64(struct argbuf *a, size_t off, u64 v)
{
	memcpy(a->w + off, &v, 8);
}

static u32 get32(struct argbuf *a, size_t off)
{
	u32 v;

	memcpy(&v, a->w + off, 4);
	return v;
}

static u64 get64(struct argbuf *a, size_t off)
{
	u64 v;

	memcpy(&v, a->w + off, 8);
	return v;
}

/* argsz and flags, the first two fields of every structure */
static void arg_head(struct argbuf *a, size_t minsz, u32 known_flags)
{
	u8 b = rd8();
	u32 argsz = a->size;
	bool tail = false;

	switch (b) {
	case 1:
		argsz = minsz;
		break;
	case 2:
		argsz = minsz - 1;
		break;
	case 3:
		argsz = 0;
		break;
	case 4:
		argsz = 4;
		break;
	case 5:
		argsz = a->size + 8;
		break;
	case 6:
		argsz = a->size + 16;
		tail = true;
		break;
	case 7:
		argsz = 4096;
		break;
	case 8:
		argsz = 4097;
		break;
	case FZ_ARGSZ_RAW:
		argsz = rd32();
		break;
	default:
		break;
	}
	put32(a, 0, argsz);
	if (tail)
		arg_poke(a, a->size + 3, 1);
	if (minsz >= 8)
		put32(a, 4, sel_flags(known_flags));
}

/* the tweaks, then the structure into place */
static void arg_end(struct argbuf *a)
{
	unsigned int n;
	u8 t;

	for (n = 0; n < 8 && (t = rd8()); n++)
		arg_poke(a, t - 1, rd8());
	if (a->w == a->scratch && a->p && a->p != a->scratch) {
		/* the part that lies in writable memory */
		u8 *lo = arg_page, *hi = arg_page + FZ_PAGE;

		if (a->p >= lo && a->p < hi)
			memcpy(a->p, a->scratch, min_t(size_t, a->size,
						       (size_t)(hi - a->p)));
	}
}

/*
 * A 32-bit result the call wrote at @off of the structure, read where the
 * structure lies (in the argument page, maybe straddling its end); false
 * if that part of the structure is not memory of the argument page.
 */
static bool arg_result32(struct argbuf *a, size_t off, u32 *v)
{
	u8 *lo = arg_page, *hi = arg_page + FZ_PAGE;

	if (!a->p || a->p < lo || a->p >= hi || off + 4 > (size_t)(hi - a->p))
		return false;
	memcpy(v, a->p + off, 4);
	return true;
}

/* ------------------------------------------------------------------ */
/* Calls into the core, as the interposer makes them */

static void fail_arm(void)
{
	if (cur.fail_nth)
		shim_fail_nth_set(cur.fail_nth);
}

static void fail_disarm(void)
{
	shim_fail_nth_set(0);
	cur.fail_nth = 0;
}

static long fz_ioctl(int fd, unsigned int cmd, unsigned long arg)
{
	struct file *f = shim_fdget(fd);
	long ret;

	if (!f) {
		fail_disarm();
		return -ENOTTY;	/* not a modelled file: left alone */
	}
	bk_unlocked(shim_syscall_enter();
		    fail_arm();
		    ret = shim_file_ioctl(f, fd, cmd, arg);
		    fail_disarm();
		    shim_fdput(f);
		    shim_syscall_exit());
	if (debug)
		fprintf(stderr, "fuzz:%s ioctl(%d, %#x, %#lx) = %ld\n",
			is_racer ? " [racer]" : "", fd, cmd, arg, ret);
	return ret;
}

static long fz_ioctl_arg(int fd, unsigned int cmd, struct argbuf *a)
{
	arg_end(a);
	return fz_ioctl(fd, cmd, (unsigned long)a->p);
}

static void op_open(const char *path, int kind)
{
	static const int flags[] = { O_RDWR | O_CLOEXEC, O_RDWR, O_RDONLY,
				     O_WRONLY, O_RDWR | O_NONBLOCK };
	u8 b = rd8();
	int fd;

	if (!slot_free())
		return;		/* no slot to keep it in */
	bk_unlocked(shim_syscall_enter();
		    fail_arm();
		    fd = shim_open_device(path, flags[b % ARRAY_SIZE(flags)]);
		    fail_disarm();
		    shim_syscall_exit());
	if (debug)
		fprintf(stderr, "fuzz:%s open(%s) = %d\n",
			is_racer ? " [racer]" : "", path, fd);
	if (fd >= 0)
		note_fd(fd, kind);
}

static void op_close(void)
{
	int i = nth_of_kind(K_ANY, rd8(), false);

	if (i >= 0)
		close_slot(i);
}

static void op_dup(void)
{
	int src = nth_of_kind(K_ANY, rd8(), false);
	u8 b = rd8();
	int dst, fd;
	unsigned long ino;

	if (src < 0)
		return;
	if (b < 0x80) {
		if (!slot_free())
			return;
		fd = fcntl(st.slots[src].fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0)
			note_fd(fd, st.slots[src].kind);
		return;
	}
	dst = b & 15;
	if (!st.slots[dst].kind || dst == src)
		return;
	ino = shim_fd_ino(st.slots[dst].fd);
	if (syscall(SYS_dup3, st.slots[src].fd, st.slots[dst].fd, O_CLOEXEC) < 0)
		return;
	if (ino) {
		shim_syscall_enter();
		shim_fd_replaced(ino);
		shim_syscall_exit();
	}
	st.slots[dst].kind = st.slots[src].kind;
}

static void op_api_version(void)
{
	int fd = sel_fd(K_IOASID);
	u8 b = rd8();

	fz_ioctl(fd, IOASID_GET_API_VERSION, b == FZ_RAW ? rd64() : b >= 0xf0);
}

static void op_check_ext(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u8 b;

	arg_begin(&a, sizeof(struct ioasid_check_extension));
	arg_head(&a, 16, 0);
	b = rd8();
	put32(&a, 8, b == FZ_RAW ? rd32() : b);
	fz_ioctl_arg(fd, IOASID_CHECK_EXTENSION, &a);
}

static void op_memory(unsigned int cmd)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_register_memory));
	arg_head(&a, 24, 0);
	put64(&a, 8, sel_addr());
	put64(&a, 16, sel_len());
	fz_ioctl_arg(fd, cmd, &a);
}

static void op_alloc(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u32 v;

	arg_begin(&a, sizeof(struct ioasid_alloc));
	arg_head(&a, 16, 0);

	if (!fz_ioctl_arg(fd, IOASID_ALLOC, &a) && arg_result32(&a, 8, &v))
		note_val(v);
}

static void op_free(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_free));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_id());
	fz_ioctl_arg(fd, IOASID_FREE, &a);
}

static void op_get_info(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_info));
	arg_head(&a, 72, 0);
	put32(&a, 8, sel_id());
	put32(&a, offsetof(struct ioasid_info, num_ranges), sel_count());
	put32(&a, offsetof(struct ioasid_info, num_reserved), sel_count());
	put64(&a, offsetof(struct ioasid_info, ranges), sel_addr());
	put64(&a, offsetof(struct ioasid_info, reserved), sel_addr());
	fz_ioctl_arg(fd, IOASID_GET_INFO, &a);
}

static void op_map(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u64 iova, length;

	arg_begin(&a, sizeof(struct ioasid_dma_map));
	arg_head(&a, 40, IOASID_DMA_READ | IOASID_DMA_WRITE |
		  IOASID_DMA_PARENT_IOVA);
	put32(&a, 8, sel_id());
	/* a child's memory is an IOVA range of its parent */
	put64(&a, 16, get32(&a, 4) & IOASID_DMA_PARENT_IOVA ? sel_iova() :
		      sel_addr());
	put64(&a, 24, iova = sel_iova());
	put64(&a, 32, length = sel_len());
	if (!fz_ioctl_arg(fd, IOASID_MAP_DMA, &a)) {
		st.maps[st.nmaps % 16].iova = iova;
		st.maps[st.nmaps % 16].length = length;
		st.nmaps++;
	}
}

static void op_nest(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u32 v;

	arg_begin(&a, sizeof(struct ioasid_create_nesting));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_id());
	if (!fz_ioctl_arg(fd, IOASID_CREATE_NESTING, &a) &&
	    arg_result32(&a, 12, &v))
		note_val(v);
}

static void op_bind_pgtable(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u8 b;

	arg_begin(&a, sizeof(struct ioasid_bind_pgtable));
	arg_head(&a, 24, 0);
	put32(&a, 8, sel_id());
	b = rd8();
	put32(&a, 12, b == FZ_RAW ? rd32() : b < 0xf0 ? b % 3 : b);
	put64(&a, 16, sel_iova());
	fz_ioctl_arg(fd, IOASID_BIND_PGTABLE, &a);
}

static void op_unbind_pgtable(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_unbind_pgtable));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_id());
	fz_ioctl_arg(fd, IOASID_UNBIND_PGTABLE, &a);
}

static void op_bind_pasid_table(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;
	u8 b;

	arg_begin(&a, sizeof(struct ioasid_bind_pasid_table));
	arg_head(&a, 32, 0);
	put32(&a, 8, sel_id());
	b = rd8();
	put32(&a, 12, b == FZ_RAW ? rd32() : b < 0xf0 ? b % 3 : b);
	put64(&a, 16, sel_iova());
	b = rd8();
	put32(&a, 24, b < 0xf0 ? b % 22 : rd32());
	fz_ioctl_arg(fd, IOASID_BIND_PASID_TABLE, &a);
}

static void op_unbind_pasid_table(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_unbind_pasid_table));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_id());
	fz_ioctl_arg(fd, IOASID_UNBIND_PASID_TABLE, &a);
}

/*
 * The entries of IOASID_INVALIDATE_CACHE are built in the output page
 * (entry_len apart, at most 8 of them), so that most of them are entries
 * the kernel reads through; a selector may point the array elsewhere.
 */
static void op_invalidate(void)
{
	static const u32 lens[] = { 0, 31, 40, 64, 4096, 4097, 0xffffffff };
	int fd = sel_fd(K_IOASID);
	u8 *out = arg_page + 2 * FZ_PAGE;
	u32 len = 32, n, i;
	struct argbuf a;
	u64 entries;
	u8 b;

	arg_begin(&a, sizeof(struct ioasid_invalidate_cache));
	arg_head(&a, 32, 0);
	put32(&a, 8, sel_id());
	b = rd8();
	if (b >= 0xf0)
		len = lens[(b - 0xf0) % ARRAY_SIZE(lens)];
	put32(&a, 12, len);
	b = rd8();
	n = b < 0xf0 ? b % 9 : rd32();
	put32(&a, 16, n);
	memset(out, 0, FZ_PAGE);
	for (i = 0; i < n && i < 8 && len >= 32 && len <= 64; i++) {
		struct ioasid_cache_inv e = {};

		b = rd8();
		e.flags = b < 0xf0 ? b & 3 : b;
		b = rd8();
		e.type = b < 0xf0 ? b & 1 : b;
		e.pasid = sel_pasid();
		e.addr = sel_iova();
		e.length = sel_len();
		memcpy(out + i * len, &e, sizeof(e));
		if (len > 32 && rd8() >= 0xf0)
			out[i * len + 32] = 1;	/* a tail byte */
	}
	b = rd8();
	entries = b < 0xf0 ? (uintptr_t)out : sel_addr();
	put64(&a, 24, entries);
	fz_ioctl_arg(fd, IOASID_INVALIDATE_CACHE, &a);
}

/*
 * An entry of a user stage-1 table, written as the program would with the
 * CPU; through /proc/self/mem, so that a page the input unmapped or
 * protected costs the write, not the fuzzer.
 */
static void op_s1_entry(void)
{
	u64 addr = sel_addr() & ~7ULL;
	u64 v = (sel_iova() & 0x000ffffffffff000ULL) | rd8();
	static int mem = -1;

	if (mem < 0)
		mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (mem >= 0 && pwrite(mem, &v, sizeof(v), (off_t)addr) < 0 &&
	    debug)
		fprintf(stderr, "fuzz: no stage-1 entry at %#llx\n",
			(unsigned long long)addr);
}

static void op_unmap(void)
{
	int fd = sel_fd(K_IOASID);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_dma_unmap));
	arg_head(&a, 40, IOASID_UNMAP_ALL);
	put32(&a, 8, sel_id());
	put64(&a, 16, sel_iova());
	put64(&a, 24, sel_len());
	put64(&a, 32, 0xbadbadbadULL);
	fz_ioctl_arg(fd, IOASID_UNMAP_DMA, &a);
}

static void op_simple(int kind, unsigned int cmd, size_t size, size_t minsz)
{
	int fd = sel_fd(kind);
	struct argbuf a;

	arg_begin(&a, size);
	arg_head(&a, minsz, 0);
	fz_ioctl_arg(fd, cmd, &a);
}

static void op_create(void)
{
	int fd = sel_fd(K_TESTIF);
	struct argbuf a;
	u32 flags;
	u8 b;
	int other;

	arg_begin(&a, sizeof(struct ioasid_test_create_device));
	arg_head(&a, 16, IOASID_TEST_DEVICE_GROUP |
		 IOASID_TEST_DEVICE_MEDIATED | IOASID_TEST_DEVICE_ENQCMD);
	flags = get32(&a, 4);
	b = rd8();
	put32(&a, 16, b == FZ_RAW ? rd32() : b < 0xe0 ? b % 22 : b);
	b = rd8();
	put32(&a, 24, b == FZ_RAW ? rd32() : b < 0xf0 ? b % 3 : b);
	b = rd8();
	if (flags & (IOASID_TEST_DEVICE_GROUP | IOASID_TEST_DEVICE_MEDIATED) ||
	    b >= 0xf0)
		other = sel_fd_b(K_DEVICE, b);
	else
		other = 0;
	/* one selector: the group's device, or a mediated device's parent */
	if ((flags & (IOASID_TEST_DEVICE_GROUP | IOASID_TEST_DEVICE_MEDIATED)) ==
	    IOASID_TEST_DEVICE_MEDIATED)
		put32(&a, 32, other);
	else
		put32(&a, 28, other);
	if (!fz_ioctl_arg(fd, IOASID_TEST_CREATE_DEVICE, &a)) {
		u32 dev;

		/* a success wrote the descriptor into the argument page */
		if (!arg_result32(&a, 8, &dev)) {
			fprintf(stderr, "fuzz: a device was created but its descriptor was written nowhere\n");
			abort();
		}
		note_fd((int)dev, K_DEVICE);
	}
}

static void op_pinned(void)
{
	int fd = sel_fd(K_TESTIF);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_test_pinned));
	arg_head(&a, 24, 0);
	put64(&a, 8, sel_addr());
	put32(&a, 16, 0xff);
	put32(&a, 24, 0xff);
	fz_ioctl_arg(fd, IOASID_TEST_PINNED, &a);
}

static void op_fail_next(void)
{
	int fd = sel_fd(K_TESTIF);
	struct argbuf a;
	u8 b;

	arg_begin(&a, sizeof(struct ioasid_test_fail_next));
	arg_head(&a, 16, 0);
	b = rd8();
	put32(&a, 8, b == FZ_RAW ? rd32() : b % (IOASID_TEST_FAIL_NR_KINDS + 1));
	b = rd8();
	put32(&a, 12, b == FZ_RAW ? rd32() : b % 8);
	fz_ioctl_arg(fd, IOASID_TEST_FAIL_NEXT, &a);
}

static void op_map_pasid(void)
{
	int fd = sel_fd(K_TESTIF);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_test_map_pasid));
	arg_head(&a, 24, 0);
	put32(&a, 8, sel_fd(K_IOASID));
	put32(&a, 12, sel_id());
	put32(&a, 16, sel_pasid());
	fz_ioctl_arg(fd, IOASID_TEST_MAP_PASID, &a);
}

static void op_unmap_pasid(void)
{
	int fd = sel_fd(K_TESTIF);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_test_unmap_pasid));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_pasid());
	fz_ioctl_arg(fd, IOASID_TEST_UNMAP_PASID, &a);
}

static void op_bind(void)
{
	int fd = sel_fd(K_DEVICE);
	struct argbuf a;
	u32 v;

	arg_begin(&a, sizeof(struct ioasid_device_bind));
	arg_head(&a, 16, 0);
	put32(&a, 8, sel_fd(K_IOASID));
	if (!fz_ioctl_arg(fd, IOASID_DEVICE_BIND, &a) && arg_result32(&a, 12, &v))
		note_val(v);
}

static void op_attach(unsigned int cmd)
{
	int fd = sel_fd(K_DEVICE);
	struct argbuf a;

	arg_begin(&a, sizeof(struct ioasid_device_attach));
	arg_head(&a, 16, IOASID_ATTACH_PASID);
	put32(&a, 8, sel_id());
	put32(&a, 12, sel_pasid());
	fz_ioctl_arg(fd, cmd, &a);
}

static void op_dma(void)
{
	int fd = sel_fd(K_DEVICE);
	struct argbuf a;
	u64 len;

	arg_begin(&a, sizeof(struct ioasid_test_dma));
	arg_head(&a, 48, IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID |
		 IOASID_TEST_DMA_ENQCMD);
	put32(&a, 8, sel_pasid());
	put32(&a, 12, 0xffffffff);
	put64(&a, 16, sel_iova());
	len = sel_len();
	if (rd8() < 0xf0)
		len &= 0x1ffff;	/* mostly a length the command accepts */
	put64(&a, 24, len);
	put64(&a, 32, sel_addr());
	put64(&a, 40, 0xbadbadbadULL);
	fz_ioctl_arg(fd, IOASID_TEST_DMA, &a);
}

static void op_raw(void)
{
	static const unsigned int special[] = {
		FIOCLEX_NR, FIONCLEX_NR, FIONBIO_NR, 0, 0xffffffff,
		IOASID_GET_API_VERSION, _IOWR(';', 0x44, struct ioasid_alloc),
	};
	int fd = sel_fd(K_ANY);
	u8 nr = rd8(), ds = rd8();
	unsigned int cmd, n, i;
	struct argbuf a;

	if (ds == FZ_RAW)
		cmd = special[nr % ARRAY_SIZE(special)];
	else if (ds)
		cmd = _IOC(ds >> 6, ';', nr, (ds & 63) * 4);
	else
		cmd = _IO(';', nr);
	arg_begin(&a, 64);
	n = rd8() % 128;
	for (i = 0; i < n; i++)
		arg_poke(&a, i, rd8());
	fz_ioctl_arg(fd, cmd, &a);
}

/* ------------------------------------------------------------------ */
/* The address space */

static void sel_range(unsigned int *r, unsigned long *start,
		      unsigned long *pages)
{
	unsigned long np;

	*r = rd8() % FZ_NREGIONS;
	np = region_pages[*r];
	*start = fz_page_index(rd8(), np) % np;
	*pages = rd8() % (np - *start) + 1;
}

static int sel_prot(void)
{
	static const int prot[] = { PROT_READ | PROT_WRITE, PROT_READ,
				    PROT_NONE, PROT_WRITE };

	return prot[rd8() % ARRAY_SIZE(prot)];
}

static void op_mem(int op)
{
	unsigned int r;
	unsigned long start, pages, addr, len;
	int prot;
	void *p;

	sel_range(&r, &start, &pages);
	addr = (uintptr_t)regions[r] + start * FZ_PAGE;
	len = pages * FZ_PAGE;
	st.mem_dirty = true;
	/* the change races with the other thread's commands */
	pthread_mutex_unlock(&bk_lock);
	switch (op) {
	case FZ_MUNMAP:
		/*
		 * As the interposer's munmap(): an inaccessible mapping, not
		 * a hole, which an allocation of this process (the C
		 * library's, without ASan) could take and the next MAP_FIXED
		 * here would destroy.
		 */
		shim_mm_write_lock();
		shim_mm_unmap(addr, len);
		shim_mm_write_unlock();
		break;
	case FZ_REMAP:
		prot = sel_prot();
		shim_mm_write_lock();
		shim_mm_detach(addr, len);
		p = mmap((void *)addr, len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		shim_mm_write_unlock();
		if (p == MAP_FAILED)
			abort();
		break;
	case FZ_PROTECT:
		/* DMA through pages pinned before still reaches them */
		prot = sel_prot();
		shim_mm_write_lock();
		mprotect((void *)addr, len, prot);
		shim_mm_write_unlock();
		break;
	case FZ_MREMAP: {
		unsigned long a = addr, b = (uintptr_t)spare + start * FZ_PAGE;

		if (rd8() & 1) {	/* back from the spare area */
			a = b;
			b = addr;
		}
		shim_mm_write_lock();
		p = (void *)syscall(SYS_mremap, a, len, len,
				    MREMAP_MAYMOVE | MREMAP_FIXED, b);
		if (p != MAP_FAILED && p != (void *)a) {
			shim_mm_move(a, (unsigned long)p, len);
			/* what the move left: as FZ_MUNMAP leaves it */
			shim_mm_unmap(a, len);
		}
		shim_mm_write_unlock();
		break;
	}
	case FZ_DONTNEED:
		shim_mm_write_lock();
		if (!madvise((void *)addr, len, MADV_DONTNEED))
			shim_mm_detach(addr, len);
		shim_mm_write_unlock();
		break;
	case FZ_TOUCH: {
		u8 v = rd8();
		unsigned long i;

		for (i = 0; i < pages; i++) {
			struct iovec l = { &v, 1 };
			struct iovec rr = { (void *)(addr + i * FZ_PAGE + (v & 0xfff)), 1 };

			syscall(SYS_process_vm_writev, getpid(), &l, 1, &rr, 1, 0);
		}
		break;
	}
	}
	pthread_mutex_lock(&bk_lock);
}

/* ------------------------------------------------------------------ */
/* Limits: CAP_IPC_LOCK in the effective set and RLIMIT_MEMLOCK, which
 * decide whether and up to what pinning is charged */

static struct rlimit saved_memlock;

/* as the shim's capable(): struct __user_cap_{header,data}_struct, v3 */
struct fz_cap_header {
	u32 version;
	int pid;
};

struct fz_cap_data {
	u32 effective, permitted, inheritable;
};

static void set_ipc_lock(bool on)
{
	struct fz_cap_header hdr = { 0x20080522, 0 };
	struct fz_cap_data data[2];

	if (syscall(SYS_capget, &hdr, data))
		return;
	if (on)
		data[0].effective |= data[0].permitted & (1U << CAP_IPC_LOCK);
	else
		data[0].effective &= ~(1U << CAP_IPC_LOCK);
	syscall(SYS_capset, &hdr, data);
}

static void op_limit(void)
{
	static const rlim_t lims[] = { 0, 4096, 3 * 4096, SZ_64K, SZ_1M,
				       SZ_2M + 4096, 64UL << 20, RLIM_INFINITY };
	struct rlimit rl = saved_memlock;
	u8 b = rd8();

	st.limited = true;
	set_ipc_lock(b & 0x80);
	rl.rlim_cur = lims[b & 7];
	if (rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

static void limit_restore(void)
{
	if (!st.limited)
		return;
	setrlimit(RLIMIT_MEMLOCK, &saved_memlock);
	set_ipc_lock(true);
	st.limited = false;
}

/* Put every region back as a fresh read-write mapping; nothing is
 * pinned any more when this runs. */
static void mem_restore(void)
{
	void *p;

	if (!st.mem_dirty)
		return;
	shim_mm_write_lock();
	shim_mm_detach((uintptr_t)mem_base, mem_len);
	p = mmap(mem_base, mem_len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		abort();
	{
		unsigned int r;

		for (r = 0; r < FZ_NREGIONS; r++) {
			mprotect(regions[r], region_pages[r] * FZ_PAGE,
				 PROT_READ | PROT_WRITE);
			madvise(regions[r], region_pages[r] * FZ_PAGE,
				r ? MADV_NOHUGEPAGE : MADV_HUGEPAGE);
		}
	}
	shim_mm_write_unlock();
	st.mem_dirty = false;
}

static void mem_setup(void)
{
	unsigned long total = 0, off;
	unsigned int r;
	u8 *raw;

	/*
	 * The argument page, the guard page and the output page, then 1 MiB
	 * that no one may use: a result or a DMA written at the output page
	 * runs into it (and faults), not into a mapping of this process's own
	 * code or data, which the core in user space could otherwise corrupt
	 * where the kernel's copy would only have written user memory.  One
	 * set for each of the two threads.
	 */
	for (r = 0; r < 2; r++) {
		u8 *a = mmap(NULL, 3 * FZ_PAGE + SZ_1M, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (a == MAP_FAILED ||
		    mprotect(a, FZ_PAGE, PROT_READ | PROT_WRITE) ||
		    mprotect(a + 2 * FZ_PAGE, FZ_PAGE, PROT_READ | PROT_WRITE))
			abort();
		arg_pages[r] = a;
	}
	arg_page = arg_pages[0];

	/* the regions, each followed by an unmapped page, then the spare */
	for (r = 0; r < FZ_NREGIONS; r++)
		total += (region_pages[r] + 1) * FZ_PAGE;
	total += SPARE_PAGES * FZ_PAGE;
	mem_len = total;
	/* aligned to 2 MiB, with at least 1 MiB unused after the spare area,
	 * for the same reason */
	raw = mmap(NULL, total + SZ_2M + SZ_1M, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		abort();
	mem_base = (u8 *)(((uintptr_t)raw + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	off = 0;
	for (r = 0; r < FZ_NREGIONS; r++) {
		regions[r] = mem_base + off;
		off += (region_pages[r] + 1) * FZ_PAGE;
	}
	spare = mem_base + off;
	st.mem_dirty = true;
	mem_restore();

	/*
	 * The user memory of this "process", for the shim: any other
	 * address, raw or made by a tweak of an argument, is the core's,
	 * the sanitizers' or the fuzzer's own memory here, and must look
	 * unmapped to the core, as kernel memory is to a user address.
	 */
	user_ranges[0] = (struct shim_user_range){ (uintptr_t)arg_pages[0],
						   3 * FZ_PAGE };
	user_ranges[1] = (struct shim_user_range){ (uintptr_t)arg_pages[1],
						   3 * FZ_PAGE };
	user_ranges[2] = (struct shim_user_range){ (uintptr_t)mem_base,
						   mem_len };
	shim_set_user_ranges(user_ranges, ARRAY_SIZE(user_ranges));
}

/* ------------------------------------------------------------------ */
/* One input */

static void die(const char *what, long got, long want)
{
	fprintf(stderr, "fuzz: invariant failed after the input: %s: %ld, expected %ld\n",
		what, got, want);
	abort();
}

static void teardown(void)
{
	unsigned int op;
	int i, fd;

	fail_disarm();
	for (op = 0; op < IOASID_TEST_FAIL_NR_KINDS; op++)
		mock_iommu_fail_next(op, 0);
	for (i = 0; i < FZ_SLOTS; i++)
		if (st.slots[i].kind)
			close_slot(i);
	/* a descriptor the core installed though the call failed */
	for (fd = 0; fd <= st.max_fd + 8; fd++)
		if (shim_fd_ino(fd)) {
			fprintf(stderr, "fuzz: descriptor %d of a modelled file left open by a command that did not return it\n",
				fd);
			abort();
		}
	shim_rcu_process();

	if (shim_locks_held())
		die("locks held", shim_locks_held(), 0);
	if (shim_pages_pinned())
		die("pages pinned", shim_pages_pinned(), 0);
	if (shim_user_locked_vm(uid))
		die("pages charged to the user (locked_vm)",
		    shim_user_locked_vm(uid), 0);
	if (shim_mm_pinned_vm())
		die("pinned_vm of the mm", (long)shim_mm_pinned_vm(), 0);
	if (shim_files_open() != base_files)
		die("open files", shim_files_open(), base_files);
	if (shim_live_allocations() != base_allocs)
		die("live allocations", shim_live_allocations(), base_allocs);
	if (shim_report_count() != base_reports)
		die("shim reports", (long)shim_report_count(), (long)base_reports);
	mem_restore();
	limit_restore();
}

/* ------------------------------------------------------------------ */
/* Helper threads, made once and reused: the racer of FZ_RACE and the
 * killer of FZ_KILL.  (Making one per input would cost a thread's start
 * each time, and the sanitizer's allocator, releasing an exiting thread's
 * caches, faulted in this process under the churn.) */

enum { H_IDLE, H_POSTED, H_RUNNING, H_DONE };

struct helper {
	pthread_t thread;
	pthread_mutex_t m;
	pthread_cond_t c;
	int state;
	void (*job)(struct helper *h);
	const u8 *p0, *p1;	/* the racer's commands */
	useconds_t delay;	/* the killer's */
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;

	for (;;) {
		pthread_mutex_lock(&h->m);
		while (h->state != H_POSTED)
			pthread_cond_wait(&h->c, &h->m);
		h->state = H_RUNNING;
		pthread_cond_broadcast(&h->c);
		pthread_mutex_unlock(&h->m);
		h->job(h);
		pthread_mutex_lock(&h->m);
		h->state = H_DONE;
		pthread_cond_broadcast(&h->c);
		pthread_mutex_unlock(&h->m);
	}
	return NULL;
}

static void helper_init(struct helper *h, void (*job)(struct helper *h))
{
	pthread_mutex_init(&h->m, NULL);
	pthread_cond_init(&h->c, NULL);
	h->state = H_IDLE;
	h->job = job;
	if (pthread_create(&h->thread, NULL, helper_main, h))
		abort();
}

/* Start the job; with @wait, return once it runs.  bk_lock held. */
static void helper_post(struct helper *h, bool wait)
{
	pthread_mutex_lock(&h->m);
	h->state = H_POSTED;
	pthread_cond_broadcast(&h->c);
	pthread_mutex_unlock(&h->m);
	if (!wait)
		return;
	bk_unlocked(pthread_mutex_lock(&h->m);
		    while (h->state == H_POSTED)
			    pthread_cond_wait(&h->c, &h->m);
		    pthread_mutex_unlock(&h->m));
}

/* Wait until a posted job is done; bk_lock held. */
static void helper_join(struct helper *h)
{
	bk_unlocked(pthread_mutex_lock(&h->m);
		    if (h->state != H_IDLE) {
			    while (h->state != H_DONE)
				    pthread_cond_wait(&h->c, &h->m);
			    h->state = H_IDLE;
		    }
		    pthread_mutex_unlock(&h->m));
}

/* FZ_RACE: the next bytes of the input are the racer's commands */

static void run(void);
static struct helper racer, killer;

static void racer_job(struct helper *h)
{
	is_racer = true;
	arg_page = arg_pages[1];
	cur.data = h->p0;
	cur.size = h->p1 - h->p0;
	cur.pos = 0;
	cur.fail_nth = 0;
	pthread_mutex_lock(&bk_lock);
	run();
	fail_disarm();
	pthread_mutex_unlock(&bk_lock);
}

static void racer_join(void)
{
	helper_join(&racer);
}

static void op_race(void)
{
	size_t len = rd8();

	if (is_racer)
		return;		/* two threads at most */
	racer_join();
	if (!len)
		len = 256;
	len = min_t(size_t, len, cur.size - cur.pos);
	racer.p0 = cur.data + cur.pos;
	racer.p1 = racer.p0 + len;
	cur.pos += len;
	/* start together, rather than a wake-up's time apart */
	helper_post(&racer, true);
}

/* FZ_KILL: a fatal signal, delivered while the others go on */

static void killer_job(struct helper *h)
{
	usleep(h->delay);
	shim_kill_process(true);
}

static void killer_join(void)
{
	helper_join(&killer);
}

static void op_kill(void)
{
	useconds_t delay = 20U * rd8();
	bool idle;

	pthread_mutex_lock(&killer.m);
	idle = killer.state == H_IDLE;
	pthread_mutex_unlock(&killer.m);
	if (!idle)
		return;		/* one signal is enough */
	killer.delay = delay;
	helper_post(&killer, false);
}

static void run(void)
{
	while (!at_end()) {
		u8 b = rd8();

		if (b & FZ_OP_FAIL) {
			cur.fail_nth = rd8();
			if (!cur.fail_nth)
				cur.fail_nth = 1;
		}
		switch ((b & 0x7f) % FZ_NR_OPS) {
		case FZ_OPEN_IOASID:
			op_open("/dev/ioasid", K_IOASID);
			break;
		case FZ_OPEN_TESTIF:
			op_open("/dev/ioasid-test", K_TESTIF);
			break;
		case FZ_CLOSE:
			op_close();
			break;
		case FZ_DUP:
			op_dup();
			break;
		case FZ_API_VERSION:
			op_api_version();
			break;
		case FZ_CHECK_EXT:
			op_check_ext();
			break;
		case FZ_REGISTER:
			op_memory(IOASID_REGISTER_MEMORY);
			break;
		case FZ_UNREGISTER:
			op_memory(IOASID_UNREGISTER_MEMORY);
			break;
		case FZ_ALLOC:
			op_alloc();
			break;
		case FZ_FREE:
			op_free();
			break;
		case FZ_GET_INFO:
			op_get_info();
			break;
		case FZ_MAP:
			op_map();
			break;
		case FZ_UNMAP:
			op_unmap();
			break;
		case FZ_NEST:
			op_nest();
			break;
		case FZ_BIND_PGTABLE:
			op_bind_pgtable();
			break;
		case FZ_UNBIND_PGTABLE:
			op_unbind_pgtable();
			break;
		case FZ_INVALIDATE:
			op_invalidate();
			break;
		case FZ_BIND_PASID_TABLE:
			op_bind_pasid_table();
			break;
		case FZ_UNBIND_PASID_TABLE:
			op_unbind_pasid_table();
			break;
		case FZ_S1_ENTRY:
			op_s1_entry();
			break;
		case FZ_T_CAPS:
			op_simple(K_TESTIF, IOASID_TEST_GET_CAPS,
				  sizeof(struct ioasid_test_get_caps), 24);
			break;
		case FZ_T_CREATE:
			op_create();
			break;
		case FZ_T_PINNED:
			op_pinned();
			break;
		case FZ_T_FAIL_NEXT:
			op_fail_next();
			break;
		case FZ_T_MAP_PASID:
			op_map_pasid();
			break;
		case FZ_T_UNMAP_PASID:
			op_unmap_pasid();
			break;
		case FZ_BIND:
			op_bind();
			break;
		case FZ_UNBIND:
			op_simple(K_DEVICE, IOASID_DEVICE_UNBIND,
				  sizeof(struct ioasid_device_unbind), 8);
			break;
		case FZ_ATTACH:
			op_attach(IOASID_DEVICE_ATTACH);
			break;
		case FZ_DETACH:
			op_attach(IOASID_DEVICE_DETACH);
			break;
		case FZ_T_DMA:
			op_dma();
			break;
		case FZ_T_IOTLB:
			op_simple(K_DEVICE, IOASID_TEST_IOTLB,
				  sizeof(struct ioasid_test_iotlb), 32);
			break;
		case FZ_RAW:
			op_raw();
			break;
		case FZ_LIMIT:
			op_limit();
			break;
		case FZ_RACE:
			op_race();
			break;
		case FZ_KILL:
			op_kill();
			break;
		default:
			op_mem((b & 0x7f) % FZ_NR_OPS);
			break;
		}
		fail_disarm();
	}
}

static bool initialised;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (initialised)
		return 0;
	initialised = true;
	shim_load_modules();
	shim_rcu_process();
	mem_setup();
	helper_init(&racer, racer_job);
	helper_init(&killer, killer_job);
	getrlimit(RLIMIT_MEMLOCK, &saved_memlock);
	uid = getuid();
	debug = getenv("IOASID_FUZZ_DEBUG") != NULL;
	base_allocs = shim_live_allocations();
	base_files = shim_files_open();
	base_reports = shim_report_count();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!initialised)
		LLVMFuzzerInitialize(NULL, NULL);
	pthread_mutex_lock(&bk_lock);
	memset(&st, 0, sizeof(st));
	cur.data = data;
	cur.size = size;
	cur.pos = 0;
	st.last_closed = -1;
	st.mem_dirty = false;
	run();
	racer_join();
	killer_join();
	teardown();
	shim_kill_process(false);
	pthread_mutex_unlock(&bk_lock);
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
static void replay_file(const char *path)
{
	struct stat sb;
	u8 *buf;
	FILE *f;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode))
		return;
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	buf = malloc(sb.st_size ? sb.st_size : 1);
	if (!buf || fread(buf, 1, sb.st_size, f) != (size_t)sb.st_size) {
		perror(path);
		exit(2);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, sb.st_size);
	free(buf);
}

int main(int argc, char **argv)
{
	long n = 0;
	int i;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat sb;
		struct dirent *d;
		DIR *dir;

		if (stat(argv[i], &sb)) {
			perror(argv[i]);	/* gone meanwhile: skipped */
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			replay_file(argv[i]);
			n++;
			continue;
		}
		dir = opendir(argv[i]);
		while (dir && (d = readdir(dir))) {
			char path[4096];

			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], d->d_name);
			replay_file(path);
			n++;
		}
		if (dir)
			closedir(dir);
	}
	printf("replay: %ld inputs, no finding\n", n);
	return 0;
}
#endif
