// SPDX-License-Identifier: GPL-2.0
/*
 * The tracer: an LD_PRELOAD library, loaded between the sanitizer runtime
 * and the harness library, that writes what a conformance test does to
 * /dev/ioasid as an input of the fuzzer (fuzz_format.h).  Without
 * IOASID_HARNESS_TRACE in the environment it only passes calls on.  With
 * IOASID_HARNESS_TRACE=dir each process appends its commands to
 * dir/<program>-<pid>, so that each test case of a kselftest program
 * (each runs in a child of its own) makes one seed.
 *
 * It keeps the same bookkeeping as the fuzzer (descriptor slots, the ring
 * of returned numbers), so that a descriptor or an IOASID is written as
 * the selector that picks the same one when the fuzzer runs the input;
 * addresses in the test's mappings become addresses in one of the
 * fuzzer's regions at the same page offset (modulo its size); munmap,
 * mprotect and MADV_DONTNEED of memory that an ioctl already named become
 * the fuzzer's memory commands; a number written to fail-nth becomes the
 * failure injection of the next command.  What has no selector is written
 * raw.  The result is a realistic start, not an exact replay.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_testif.h"
#include "fuzz_format.h"

#define PAGE 4096UL

enum { K_NONE, K_IOASID, K_TESTIF, K_DEVICE };

struct mapping {
	unsigned long start, len;
	int region;		/* -1 until an ioctl names it */
};

static __thread int depth;	/* inside a wrapper: pass nested calls on */
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static const char *dir;
static int out_fd = -1;
static pid_t out_pid;
static struct { int fd, kind; } slots[FZ_SLOTS];
static uint32_t vals[32];
static unsigned int nvals;
static int last_closed = -1;
static struct mapping maps[128];
static int nmaps;
static int failnth_fd = -1;
static unsigned int pending_fail;
static const unsigned long region_pages[FZ_NREGIONS] = FZ_REGION_PAGES;

#define NEXT(name) ({							\
	static void *__p;						\
	if (!__p)							\
		__p = dlsym(RTLD_NEXT, name);				\
	__p;								\
})

/* not cached while unset: the loader's early calls come before environ */
static bool enabled(void)
{
	if (!dir)
		dir = getenv("IOASID_HARNESS_TRACE");
	return dir && *dir;
}

/* ------------------------------------------------------------------ */
/* Output */

struct rec {
	unsigned char b[1024];
	size_t n;
};

static void put8(struct rec *r, unsigned int v)
{
	if (r->n < sizeof(r->b))
		r->b[r->n++] = (unsigned char)v;
}

static void put32(struct rec *r, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		put8(r, v >> (8 * i));
}

static void put64(struct rec *r, uint64_t v)
{
	put32(r, (uint32_t)v);
	put32(r, (uint32_t)(v >> 32));
}

/*
 * One seed per stretch of a process from nothing open to nothing open
 * (a fail-nth sweep runs its scenario again and again), at most
 * SEEDS_MAX of them per process, each cut at OUT_MAX bytes: the fuzzer
 * reads no more than that.
 */
#define OUT_MAX 4096
#define SEEDS_MAX 64
static size_t out_len;
static unsigned int out_seq;
static char out_base[256];

static void next_file(void)
{
	char path[4096];

	if (out_fd >= 0)
		syscall(SYS_close, out_fd);
	out_fd = -1;
	out_len = 0;
	memset(slots, 0, sizeof(slots));
	nvals = 0;
	last_closed = -1;
	if (out_seq >= SEEDS_MAX)
		return;
	snprintf(path, sizeof(path), "%s/%s-%d.%u", dir, out_base,
		 (int)out_pid, out_seq++);
	out_fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* a new process: a new file and fresh descriptor bookkeeping */
static void check_pid(void)
{
	char exe[256];
	pid_t pid = getpid();
	const char *base;
	ssize_t n;

	if (pid == out_pid)
		return;
	out_pid = pid;
	out_seq = 0;
	pending_fail = 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	base = strrchr(exe, '/');
	snprintf(out_base, sizeof(out_base), "%s", base ? base + 1 : exe);
	out_fd = -1;	/* the parent's, not ours to close */
	next_file();
}

static bool nothing_open(void)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (slots[i].kind)
			return false;
	return true;
}

static void emit(struct rec *r)
{
	if (out_fd >= 0 && r->n && out_len + r->n <= OUT_MAX) {
		syscall(SYS_write, out_fd, r->b, r->n);
		out_len += r->n;
	}
}

static void op(struct rec *r, unsigned int code)
{
	if (pending_fail) {
		put8(r, code | FZ_OP_FAIL);
		put8(r, pending_fail > 255 ? 255 : pending_fail);
		pending_fail = 0;
	} else {
		put8(r, code);
	}
}

/* ------------------------------------------------------------------ */
/* Selectors, as the fuzzer reads them */

static int slot_of(int fd)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (slots[i].kind && slots[i].fd == fd)
			return i;
	return -1;
}

/* the index of slot @i among the occupied ones (FZ_CLOSE, FZ_DUP) */
static int nth_open(int i)
{
	int k, n = 0;

	for (k = 0; k < i; k++)
		n += slots[k].kind != K_NONE;
	return n;
}

static void add_slot(int fd, int kind)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (!slots[i].kind) {
			slots[i].fd = fd;
			slots[i].kind = kind;
			return;
		}
}

static void sel_fd(struct rec *r, int fd)
{
	int i = slot_of(fd);

	if (i >= 0)
		put8(r, FZ_SEL_SLOT(i));
	else if (fd == 0)
		put8(r, 0xc1);
	else if (fd == last_closed)
		put8(r, 0xc2);
	else
		put8(r, FZ_SEL_FD_NONE);
}

static void note_val(uint32_t v)
{
	vals[nvals++ % 32] = v;
}

static void sel_id(struct rec *r, uint32_t v)
{
	unsigned int n = nvals < 32 ? nvals : 32, k;

	for (k = 0; k < n; k++)
		if (vals[(nvals - 1 - k) % 32] == v) {
			put8(r, k);
			return;
		}
	put8(r, FZ_RAW);
	put32(r, v);
}

static bool peek(void *to, unsigned long from, size_t n);

static struct mapping *mapping_of(unsigned long a)
{
	int i;

	for (i = nmaps - 1; i >= 0; i--)
		if (a >= maps[i].start && a - maps[i].start < maps[i].len)
			return &maps[i];
	return NULL;
}

static int region_for(struct mapping *m)
{
	unsigned long pages = m->len / PAGE;
	int r, best = 0;

	if (m->region >= 0)
		return m->region;
	for (r = 0; r < FZ_NREGIONS; r++)
		if (region_pages[r] >= pages &&
		    region_pages[r] < region_pages[best])
			best = r;
	m->region = best;
	return best;
}

static unsigned int page_byte(unsigned long off, unsigned long np)
{
	off %= np;
	return np > 254 ? off / 2 : off;
}

static void sel_addr(struct rec *r, uint64_t a)
{
	static const unsigned long sub[] = { 0, 1, 0x800, 0xfff };
	struct mapping *m = a ? mapping_of(a) : NULL;
	unsigned int s;
	int reg;

	if (!a) {
		put8(r, 0xa2);		/* bounds[0] */
		return;
	}
	if (!m) {
		unsigned char c;

		/* the test's own stack or data: the fuzzer's largest region */
		if (a < (1ULL << 47) && peek(&c, a, 1)) {
			put8(r, 0);
			put8(r, 0);
			return;
		}
		put8(r, FZ_RAW);
		put64(r, a);
		return;
	}
	reg = region_for(m);
	for (s = 0; s < 4 && sub[s] != (a & (PAGE - 1)); s++)
		;
	put8(r, reg | (s < 4 ? s << 3 : 0));
	put8(r, page_byte((a - m->start) / PAGE, region_pages[reg]));
}

static void sel_len(struct rec *r, uint64_t len)
{
	static const uint64_t pages[] = { 1, 2, 3, 4, 5, 8, 15, 16, 17, 31,
					  32, 63, 64, 256, 511, 512 };
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (len == pages[i] * PAGE) {
			put8(r, i);
			return;
		}
		if (len == pages[i] * 65536) {
			put8(r, 0x80 | i);
			return;
		}
	}
	put8(r, FZ_RAW);
	put64(r, len);
}

static void sel_raw64(struct rec *r, uint64_t v)
{
	if (!v) {
		put8(r, 0xc0);		/* bounds[0] of IOVAs */
		return;
	}
	put8(r, FZ_RAW);
	put64(r, v);
}

static void sel_raw32(struct rec *r, uint32_t v, uint32_t below)
{
	if (v < below) {
		put8(r, v);
		return;
	}
	put8(r, FZ_RAW);
	put32(r, v);
}

/* read the caller's memory without faulting; false when it cannot be */
static bool peek(void *to, unsigned long from, size_t n)
{
	struct iovec l = { to, n }, rr = { (void *)from, n };

	memset(to, 0, n);
	return from && syscall(SYS_process_vm_readv, getpid(), &l, 1, &rr, 1, 0) ==
		(ssize_t)n;
}

/*
 * The head of a structure: placement, argsz and flags; @buf receives the
 * caller's structure plus 16 bytes of tail (zero where unreadable).
 */
static void head(struct rec *r, unsigned long arg, size_t size,
		 unsigned char *buf)
{
	uint32_t argsz, flags;
	unsigned char c;

	if (!peek(buf, arg, size + 16) && !peek(buf, arg, size))
		peek(buf, arg, 8);
	/* normal, NULL, or unreadable: the fuzzer's guard page */
	put8(r, !arg ? 0xf0 : peek(&c, arg, 1) ? 0 : 0xf4);
	memcpy(&argsz, buf, 4);
	memcpy(&flags, buf + 4, 4);
	if (argsz == size) {
		put8(r, 0);
	} else {
		put8(r, FZ_ARGSZ_RAW);
		put32(r, argsz);
	}
	if (flags) {
		put8(r, FZ_RAW);
		put32(r, flags);
	} else {
		put8(r, 0);
	}
}

/* tweaks for the nonzero bytes of [off, off + len) and of the tail */
static void tweaks(struct rec *r, const unsigned char *buf, size_t size,
		   const size_t *rsv, int nrsv)
{
	uint32_t argsz;
	size_t i, end;
	int k, n = 0;

	for (k = 0; k < nrsv; k += 2)
		for (i = rsv[k]; i < rsv[k] + rsv[k + 1] && n < 8; i++)
			if (buf[i]) {
				put8(r, i + 1);
				put8(r, buf[i]);
				n++;
			}
	memcpy(&argsz, buf, 4);
	end = argsz < size + 16 ? argsz : size + 16;
	for (i = size; i < end && n < 8; i++)
		if (buf[i]) {
			put8(r, i + 1);
			put8(r, buf[i]);
			n++;
		}
	put8(r, 0);
}

#define RSV(...) (const size_t[]){ __VA_ARGS__ }, \
	sizeof((const size_t[]){ __VA_ARGS__ }) / sizeof(size_t)

/* ------------------------------------------------------------------ */
/* ioctl */

static uint32_t u32_at(const unsigned char *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static uint64_t u64_at(const unsigned char *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

/* IOASID_INVALIDATE_CACHE, its entries re-built as the fuzzer builds them */
static void encode_invalidate(struct rec *r, int fd, unsigned long arg,
			      unsigned char *b)
{
	static const uint32_t lens[] = { 0, 31, 40, 64, 4096, 4097,
					 0xffffffff };
	uint32_t len, n, i, k;
	unsigned char e[64];
	uint64_t entries;

	op(r, FZ_INVALIDATE);
	sel_fd(r, fd);
	head(r, arg, sizeof(struct ioasid_invalidate_cache), b);
	sel_id(r, u32_at(b, 8));
	len = u32_at(b, 12);
	for (k = 0; k < 7 && lens[k] != len; k++)
		;
	if (len == 32 || k == 7)
		len = 32;	/* a length the fuzzer has not: the usual one */
	put8(r, len == 32 ? 0 : 0xf0 + k);
	n = u32_at(b, 16);
	if (n <= 8) {
		put8(r, n);
	} else {
		put8(r, 0xf0);
		put32(r, n);
	}
	entries = u64_at(b, 24);
	for (i = 0; i < n && i < 8 && len >= 32 && len <= 64; i++) {
		memset(e, 0, sizeof(e));
		peek(e, entries + (uint64_t)i * len, len);
		put8(r, u32_at(e, 0) <= 3 ? u32_at(e, 0) : 0xf0);
		put8(r, u32_at(e, 4) <= 1 ? u32_at(e, 4) : 0xf0);
		put8(r, FZ_RAW);
		put32(r, u32_at(e, 8));
		sel_raw64(r, u64_at(e, 16));
		sel_len(r, u64_at(e, 24));
		if (len > 32)
			put8(r, e[32] ? 0xf0 : 0);
	}
	if (peek(e, entries, 1)) {
		put8(r, 0);
	} else {
		put8(r, 0xf0);
		sel_addr(r, entries);
	}
	tweaks(r, b, sizeof(struct ioasid_invalidate_cache), RSV(20, 4));
}

static void encode(struct rec *r, int fd, unsigned long req,
		   unsigned long arg)
{
	unsigned char b[4096 + 32];
	unsigned int nr = _IOC_NR(req);

	switch (req) {
	case IOASID_GET_API_VERSION:
		op(r, FZ_API_VERSION);
		sel_fd(r, fd);
		if (arg) {
			put8(r, FZ_RAW);
			put64(r, arg);
		} else {
			put8(r, 0);
		}
		return;
	case IOASID_CHECK_EXTENSION:
		op(r, FZ_CHECK_EXT);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_check_extension), b);
		sel_raw32(r, u32_at(b, 8), 0xff);
		tweaks(r, b, sizeof(struct ioasid_check_extension), RSV(12, 4));
		return;
	case IOASID_REGISTER_MEMORY:
	case IOASID_UNREGISTER_MEMORY:
		op(r, req == IOASID_REGISTER_MEMORY ? FZ_REGISTER : FZ_UNREGISTER);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_register_memory), b);
		sel_addr(r, u64_at(b, 8));
		sel_len(r, u64_at(b, 16));
		tweaks(r, b, sizeof(struct ioasid_register_memory), RSV(0, 0));
		return;
	case IOASID_ALLOC:
		op(r, FZ_ALLOC);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_alloc), b);
		tweaks(r, b, sizeof(struct ioasid_alloc), RSV(12, 4));
		return;
	case IOASID_FREE:
		op(r, FZ_FREE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_free), b);
		sel_id(r, u32_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_free), RSV(12, 4));
		return;
	case IOASID_GET_INFO:
		op(r, FZ_GET_INFO);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_info), b);
		sel_id(r, u32_at(b, 8));
		sel_raw32(r, u32_at(b, 48), 5);
		sel_raw32(r, u32_at(b, 52), 5);
		sel_addr(r, u64_at(b, 56));
		sel_addr(r, u64_at(b, 64));
		tweaks(r, b, sizeof(struct ioasid_info), RSV(28, 4, 40, 8));
		return;
	case IOASID_MAP_DMA:
		op(r, FZ_MAP);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_dma_map), b);
		sel_id(r, u32_at(b, 8));
		if (u32_at(b, 4) & IOASID_DMA_PARENT_IOVA)
			sel_raw64(r, u64_at(b, 16));
		else
			sel_addr(r, u64_at(b, 16));
		sel_raw64(r, u64_at(b, 24));
		sel_len(r, u64_at(b, 32));
		tweaks(r, b, sizeof(struct ioasid_dma_map), RSV(12, 4));
		return;
	case IOASID_CREATE_NESTING:
		op(r, FZ_NEST);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_create_nesting), b);
		sel_id(r, u32_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_create_nesting), RSV(0, 0));
		return;
	case IOASID_BIND_PGTABLE:
		op(r, FZ_BIND_PGTABLE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_bind_pgtable), b);
		sel_id(r, u32_at(b, 8));
		sel_raw32(r, u32_at(b, 12), 3);
		sel_raw64(r, u64_at(b, 16));
		tweaks(r, b, sizeof(struct ioasid_bind_pgtable), RSV(0, 0));
		return;
	case IOASID_UNBIND_PGTABLE:
		op(r, FZ_UNBIND_PGTABLE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_unbind_pgtable), b);
		sel_id(r, u32_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_unbind_pgtable), RSV(12, 4));
		return;
	case IOASID_INVALIDATE_CACHE:
		encode_invalidate(r, fd, arg, b);
		return;
	case IOASID_BIND_PASID_TABLE:
		op(r, FZ_BIND_PASID_TABLE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_bind_pasid_table), b);
		sel_id(r, u32_at(b, 8));
		sel_raw32(r, u32_at(b, 12), 3);
		sel_raw64(r, u64_at(b, 16));
		if (u32_at(b, 24) < 22) {
			put8(r, u32_at(b, 24));
		} else {
			put8(r, 0xf0);
			put32(r, u32_at(b, 24));
		}
		tweaks(r, b, sizeof(struct ioasid_bind_pasid_table),
		       RSV(28, 4));
		return;
	case IOASID_UNBIND_PASID_TABLE:
		op(r, FZ_UNBIND_PASID_TABLE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_unbind_pasid_table), b);
		sel_id(r, u32_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_unbind_pasid_table),
		       RSV(12, 4));
		return;
	case IOASID_UNMAP_DMA:
		op(r, FZ_UNMAP);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_dma_unmap), b);
		sel_id(r, u32_at(b, 8));
		sel_raw64(r, u64_at(b, 16));
		sel_len(r, u64_at(b, 24));
		tweaks(r, b, sizeof(struct ioasid_dma_unmap), RSV(12, 4));
		return;
	case IOASID_TEST_GET_CAPS:
		op(r, FZ_T_CAPS);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_get_caps), b);
		tweaks(r, b, sizeof(struct ioasid_test_get_caps), RSV(12, 4));
		return;
	case IOASID_TEST_CREATE_DEVICE: {
		uint32_t kind = u32_at(b, 4) & (IOASID_TEST_DEVICE_GROUP |
						IOASID_TEST_DEVICE_MEDIATED);
		int group = (int)u32_at(b, 28);

		op(r, FZ_T_CREATE);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_create_device), b);
		sel_raw32(r, u32_at(b, 16), 22);
		sel_raw32(r, u32_at(b, 24), 3);
		if (kind == IOASID_TEST_DEVICE_MEDIATED) {
			sel_fd(r, (int)u32_at(b, 32));
			tweaks(r, b, sizeof(struct ioasid_test_create_device),
			       RSV(12, 4, 20, 4, 28, 4, 36, 4));
			return;
		}
		if (kind)
			sel_fd(r, group);
		else
			put8(r, group ? 0xf0 : 0);
		tweaks(r, b, sizeof(struct ioasid_test_create_device),
		       RSV(12, 4, 20, 4, 32, 8));
		return;
	}
	case IOASID_TEST_MAP_PASID:
		op(r, FZ_T_MAP_PASID);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_map_pasid), b);
		sel_fd(r, (int)u32_at(b, 8));
		sel_id(r, u32_at(b, 12));
		sel_raw32(r, u32_at(b, 16), 1);
		tweaks(r, b, sizeof(struct ioasid_test_map_pasid), RSV(20, 4));
		return;
	case IOASID_TEST_UNMAP_PASID:
		op(r, FZ_T_UNMAP_PASID);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_unmap_pasid), b);
		sel_raw32(r, u32_at(b, 8), 1);
		tweaks(r, b, sizeof(struct ioasid_test_unmap_pasid), RSV(12, 4));
		return;
	case IOASID_TEST_PINNED:
		op(r, FZ_T_PINNED);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_pinned), b);
		sel_addr(r, u64_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_test_pinned), RSV(20, 4, 28, 4));
		return;
	case IOASID_TEST_FAIL_NEXT:
		op(r, FZ_T_FAIL_NEXT);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_fail_next), b);
		sel_raw32(r, u32_at(b, 8), 4);
		sel_raw32(r, u32_at(b, 12), 8);
		tweaks(r, b, sizeof(struct ioasid_test_fail_next), RSV(0, 0));
		return;
	case IOASID_DEVICE_BIND:
		op(r, FZ_BIND);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_device_bind), b);
		sel_fd(r, (int)u32_at(b, 8));
		tweaks(r, b, sizeof(struct ioasid_device_bind), RSV(0, 0));
		return;
	case IOASID_DEVICE_UNBIND:
		op(r, FZ_UNBIND);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_device_unbind), b);
		tweaks(r, b, sizeof(struct ioasid_device_unbind), RSV(0, 0));
		return;
	case IOASID_DEVICE_ATTACH:
	case IOASID_DEVICE_DETACH:
		op(r, req == IOASID_DEVICE_ATTACH ? FZ_ATTACH : FZ_DETACH);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_device_attach), b);
		sel_id(r, u32_at(b, 8));
		sel_raw32(r, u32_at(b, 12), 1);
		tweaks(r, b, sizeof(struct ioasid_device_attach), RSV(0, 0));
		return;
	case IOASID_TEST_DMA: {
		uint64_t len;

		op(r, FZ_T_DMA);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_dma), b);
		sel_raw32(r, u32_at(b, 8), 1);
		sel_raw64(r, u64_at(b, 16));
		len = u64_at(b, 24);
		sel_len(r, len);
		put8(r, len > 0x1ffff ? 0xf0 : 0);
		sel_addr(r, u64_at(b, 32));
		tweaks(r, b, sizeof(struct ioasid_test_dma), RSV(52, 4));
		return;
	}
	case IOASID_TEST_IOTLB:
		op(r, FZ_T_IOTLB);
		sel_fd(r, fd);
		head(r, arg, sizeof(struct ioasid_test_iotlb), b);
		tweaks(r, b, sizeof(struct ioasid_test_iotlb), RSV(12, 4));
		return;
	default: {
		unsigned int n = 64, i;

		op(r, FZ_RAW);
		sel_fd(r, fd);
		put8(r, nr);
		if (req == _IO(';', nr)) {
			put8(r, 0);
		} else if (_IOC_TYPE(req) == ';' && !(_IOC_SIZE(req) & 3) &&
			   _IOC_SIZE(req) < 256 && req != _IO(';', nr)) {
			put8(r, _IOC_DIR(req) << 6 | _IOC_SIZE(req) / 4);
		} else {
			put8(r, FZ_RAW);	/* a table of other commands */
		}
		put8(r, arg ? 0 : 0xf0);
		if (!peek(b, arg, n))
			n = 0;
		put8(r, n);
		for (i = 0; i < n; i++)
			put8(r, b[i]);
		return;
	}
	}
}

/* after the call: what the fuzzer would note */
static void results(int fd, unsigned long req, unsigned long arg, int ret)
{
	unsigned char b[32];

	(void)fd;
	if (ret < 0 || !peek(b, arg, sizeof(b) < 32 ? sizeof(b) : 32))
		return;
	if (req == IOASID_ALLOC)
		note_val(u32_at(b, 8));
	else if (req == IOASID_CREATE_NESTING)
		note_val(u32_at(b, 12));
	else if (req == IOASID_DEVICE_BIND)
		note_val(u32_at(b, 12));
	else if (req == IOASID_TEST_CREATE_DEVICE)
		add_slot((int)u32_at(b, 8), K_DEVICE);
}

int ioctl(int fd, unsigned long req, ...)
{
	int (*next)(int, unsigned long, ...) = NEXT("ioctl");
	unsigned long arg;
	struct rec r;
	va_list ap;
	bool rec;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (depth || !enabled())
		return next(fd, req, arg);
	depth++;
	pthread_mutex_lock(&tlock);
	check_pid();
	r.n = 0;
	rec = slot_of(fd) >= 0;
	if (rec)
		encode(&r, fd, req, arg);
	pthread_mutex_unlock(&tlock);
	ret = next(fd, req, arg);
	pthread_mutex_lock(&tlock);
	if (rec) {
		int saved = errno;

		emit(&r);
		results(fd, req, arg, ret);
		errno = saved;
	}
	pthread_mutex_unlock(&tlock);
	depth--;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Descriptors */

static int flags_byte(int flags)
{
	if ((flags & O_ACCMODE) == O_RDONLY)
		return 2;
	if ((flags & O_ACCMODE) == O_WRONLY)
		return 3;
	if (flags & O_NONBLOCK)
		return 4;
	return flags & O_CLOEXEC ? 0 : 1;
}

static void after_open(const char *path, int flags, int fd)
{
	int kind = 0;
	struct rec r = { .n = 0 };

	if (!path || !enabled())
		return;
	if (!strcmp(path, "/dev/ioasid"))
		kind = K_IOASID;
	else if (!strcmp(path, "/dev/ioasid-test"))
		kind = K_TESTIF;
	else if (fd >= 0 && (!strcmp(path, "/proc/thread-self/fail-nth") ||
			     strstr(path, "/fail-nth"))) {
		failnth_fd = fd;
		return;
	}
	if (!kind)
		return;
	pthread_mutex_lock(&tlock);
	check_pid();
	op(&r, kind == K_IOASID ? FZ_OPEN_IOASID : FZ_OPEN_TESTIF);
	put8(&r, flags_byte(flags));
	emit(&r);
	if (fd >= 0)
		add_slot(fd, kind);
	pthread_mutex_unlock(&tlock);
}

#define OPEN_WRAPPER(name, ...)						\
int name(__VA_ARGS__)							\
{									\
	int (*next)() = NEXT(#name);					\
	mode_t mode = 0;						\
	va_list ap;							\
	int fd;								\
									\
	if (flags & (O_CREAT | __O_TMPFILE)) {				\
		va_start(ap, flags);					\
		mode = va_arg(ap, mode_t);				\
		va_end(ap);						\
	}								\
	if (depth)							\
		return OPEN_CALL;					\
	depth++;							\
	fd = OPEN_CALL;							\
	after_open(path, flags, fd);					\
	depth--;							\
	return fd;							\
}

#define OPEN_CALL next(path, flags, mode)
OPEN_WRAPPER(open, const char *path, int flags, ...)
OPEN_WRAPPER(open64, const char *path, int flags, ...)
#undef OPEN_CALL
#define OPEN_CALL next(dirfd, path, flags, mode)
OPEN_WRAPPER(openat, int dirfd, const char *path, int flags, ...)
OPEN_WRAPPER(openat64, int dirfd, const char *path, int flags, ...)
#undef OPEN_CALL

int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

int close(int fd)
{
	int (*next)(int) = NEXT("close");
	struct rec r = { .n = 0 };
	int i, ret;

	if (depth || !enabled())
		return next(fd);
	depth++;
	pthread_mutex_lock(&tlock);
	check_pid();
	if (fd == failnth_fd)
		failnth_fd = -1;
	i = slot_of(fd);
	if (i >= 0) {
		op(&r, FZ_CLOSE);
		put8(&r, nth_open(i));
		emit(&r);
		slots[i].kind = K_NONE;
		last_closed = fd;
		if (nothing_open())
			next_file();
	}
	pthread_mutex_unlock(&tlock);
	ret = next(fd);
	depth--;
	return ret;
}

static void after_dup(int old, int new, bool replace)
{
	struct rec r = { .n = 0 };
	int s, d;

	if (new < 0 || !enabled())
		return;
	pthread_mutex_lock(&tlock);
	check_pid();
	s = slot_of(old);
	d = replace ? slot_of(new) : -1;
	if (s >= 0) {
		op(&r, FZ_DUP);
		put8(&r, nth_open(s));
		if (d >= 0 && d != s) {
			put8(&r, 0x80 | d);
			slots[d].kind = slots[s].kind;
		} else if (d < 0) {
			put8(&r, 0);
			add_slot(new, slots[s].kind);
		}
		emit(&r);
	} else if (d >= 0) {
		slots[d].kind = K_NONE;	/* replaced by something else */
	}
	pthread_mutex_unlock(&tlock);
}

int dup(int fd)
{
	int (*next)(int) = NEXT("dup");
	int ret;

	if (depth)
		return next(fd);
	depth++;
	ret = next(fd);
	after_dup(fd, ret, false);
	depth--;
	return ret;
}

int dup2(int old, int new)
{
	int (*next)(int, int) = NEXT("dup2");
	int ret;

	if (depth)
		return next(old, new);
	depth++;
	ret = next(old, new);
	if (old != new)
		after_dup(old, ret, true);
	depth--;
	return ret;
}

int dup3(int old, int new, int flags)
{
	int (*next)(int, int, int) = NEXT("dup3");
	int ret;

	if (depth)
		return next(old, new, flags);
	depth++;
	ret = next(old, new, flags);
	after_dup(old, ret, true);
	depth--;
	return ret;
}

static void fail_write(int fd, const void *buf, size_t n)
{
	char text[24];

	if (depth || fd < 0 || fd != failnth_fd || !enabled() ||
	    n >= sizeof(text))
		return;
	memcpy(text, buf, n);
	text[n] = 0;
	pthread_mutex_lock(&tlock);
	pending_fail = (unsigned int)strtoul(text, NULL, 10);
	pthread_mutex_unlock(&tlock);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t (*next)(int, const void *, size_t) = NEXT("write");

	fail_write(fd, buf, n);
	return next(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t (*next)(int, const void *, size_t, off_t) = NEXT("pwrite");

	fail_write(fd, buf, n);
	return next(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t (*next)(int, const void *, size_t, off_t) = NEXT("pwrite64");

	fail_write(fd, buf, n);
	return next(fd, buf, n, off);
}

/* ------------------------------------------------------------------ */
/* The address space */

static void add_mapping(unsigned long start, unsigned long len)
{
	if (nmaps == (int)(sizeof(maps) / sizeof(maps[0]))) {
		memmove(maps, maps + 1, sizeof(maps) - sizeof(maps[0]));
		nmaps--;
	}
	maps[nmaps++] = (struct mapping){ start, (len + PAGE - 1) & ~(PAGE - 1), -1 };
}

/* a memory command on [a, a + len) if an ioctl named its mapping */
static void mem_op(unsigned int code, unsigned long a, unsigned long len,
		   int extra)
{
	struct mapping *m = mapping_of(a);
	struct rec r = { .n = 0 };
	unsigned long np, pages;
	int reg;

	if (!m || m->region < 0)
		return;
	reg = m->region;
	np = region_pages[reg];
	pages = (len + PAGE - 1) / PAGE;
	op(&r, code);
	put8(&r, reg);
	put8(&r, page_byte((a - m->start) / PAGE, np));
	put8(&r, pages ? (pages - 1) % 256 : 0);
	if (extra >= 0)
		put8(&r, extra);
	emit(&r);
}

/* forget [a, a + len) of the mappings: trim or split them */
static void drop_range(unsigned long a, unsigned long len)
{
	unsigned long end = a + ((len + PAGE - 1) & ~(PAGE - 1));
	int i;

	for (i = 0; i < nmaps; i++) {
		struct mapping *m = &maps[i];
		unsigned long mend = m->start + m->len;

		if (end <= m->start || a >= mend)
			continue;
		if (a <= m->start && end >= mend) {
			m->len = 0;
		} else if (a <= m->start) {
			m->len = mend - end;
			m->start = end;
		} else if (end >= mend) {
			m->len = a - m->start;
		} else {
			m->len = a - m->start;	/* keep the front */
		}
	}
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *(*next)(void *, size_t, int, int, int, off_t) = NEXT("mmap");
	void *p;

	if (depth || !enabled())
		return next(addr, len, prot, flags, fd, off);
	depth++;
	p = next(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED) {
		pthread_mutex_lock(&tlock);
		check_pid();
		if (flags & MAP_FIXED) {
			struct mapping *m = mapping_of((unsigned long)p);

			if (m && m->region >= 0)
				mem_op(FZ_REMAP, (unsigned long)p, len,
				       prot == (PROT_READ | PROT_WRITE) ? 0 :
				       prot == PROT_READ ? 1 : 2);
			drop_range((unsigned long)p, len);
		}
		add_mapping((unsigned long)p, len);
		pthread_mutex_unlock(&tlock);
	}
	depth--;
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	int (*next)(void *, size_t) = NEXT("munmap");
	int ret;

	if (depth || !enabled())
		return next(addr, len);
	depth++;
	pthread_mutex_lock(&tlock);
	check_pid();
	mem_op(FZ_MUNMAP, (unsigned long)addr, len, -1);
	drop_range((unsigned long)addr, len);
	pthread_mutex_unlock(&tlock);
	ret = next(addr, len);
	depth--;
	return ret;
}

int mprotect(void *addr, size_t len, int prot)
{
	int (*next)(void *, size_t, int) = NEXT("mprotect");

	if (!depth && enabled()) {
		pthread_mutex_lock(&tlock);
		check_pid();
		mem_op(FZ_PROTECT, (unsigned long)addr, len,
		       prot == (PROT_READ | PROT_WRITE) ? 0 :
		       prot == PROT_READ ? 1 : prot == PROT_NONE ? 2 : 3);
		pthread_mutex_unlock(&tlock);
	}
	return next(addr, len, prot);
}

int madvise(void *addr, size_t len, int advice)
{
	int (*next)(void *, size_t, int) = NEXT("madvise");

	if (!depth && enabled() && advice == MADV_DONTNEED) {
		pthread_mutex_lock(&tlock);
		check_pid();
		mem_op(FZ_DONTNEED, (unsigned long)addr, len, -1);
		pthread_mutex_unlock(&tlock);
	}
	return next(addr, len, advice);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *(*next)(void *, size_t, size_t, int, ...) = NEXT("mremap");
	void *new_addr = NULL, *p;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (depth || !enabled())
		return next(old, old_len, new_len, flags, new_addr);
	depth++;
	p = next(old, old_len, new_len, flags, new_addr);
	if (p != MAP_FAILED) {
		pthread_mutex_lock(&tlock);
		check_pid();
		if (p != old)
			mem_op(FZ_MREMAP, (unsigned long)old, old_len, 0);
		drop_range((unsigned long)old, old_len);
		add_mapping((unsigned long)p, new_len);
		pthread_mutex_unlock(&tlock);
	}
	depth--;
	return p;
}
