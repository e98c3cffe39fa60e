// SPDX-License-Identifier: GPL-2.0
/*
 * A few hand-made inputs of the /dev/ioasid fuzzer (fuzz_format.h), for
 * the paths the conformance tests' traces reach only after much else:
 * the whole life of a device with DMA, PASID routes, groups, registered
 * memory unmapped while pinned, mappings whose memory is replaced, and
 * the same with failure injection at each command.
 *
 *   seedgen DIR    writes DIR/hand-NN
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_format.h"

struct seed {
	unsigned char b[4096];
	size_t n;
	size_t starts[64];	/* where each command begins */
	unsigned int ncmds;
};

static void put(struct seed *s, int n, ...)
{
	va_list ap;

	if (s->ncmds < 64)
		s->starts[s->ncmds++] = s->n;
	va_start(ap, n);
	while (n--) {
		int v = va_arg(ap, int);

		if (s->n < sizeof(s->b))
			s->b[s->n++] = (unsigned char)v;
	}
	va_end(ap);
}

#define P(s, ...) put(s, sizeof((int[]){ __VA_ARGS__ }) / sizeof(int), __VA_ARGS__)

/* fd selectors: the first descriptor of the expected kind, or the second */
#define FD0 0
#define FD1 1
/* normal placement, exact argsz, flags 0 */
#define HEAD 0, 0, 0
/* flags given as defined-flag mask bits (< 0x80) */
#define HEADF(f) 0, 0, (f)
#define END 0		/* no tweaks */
/* ID selectors: the most recent returned number, the one before, ... */
#define ID(k) (k)
/* an address in region r at page p */
#define REG(r, p) (r), (p)
/* lengths: n pages from the table (index) */
#define PAGES_1 0
#define PAGES_4 3
#define PAGES_16 7
#define PAGES_64 12
#define PAGES_512 15
/* IOVA: byte k times 4 KiB, 2 MiB */
#define IOVA_4K(k) 0x40, (k)
#define IOVA_2M(k) 0x50, (k)
#define IOVA_LAST(adj) (adj << 4)	/* the latest mapping */

static void open_dev(struct seed *s, int bits, int class)
{
	P(s, FZ_T_CREATE, FD0, HEAD, bits, class, 0, END);
}

/* ioasid fd, testif, device of @class bound, IOASID allocated, attached */
static void setup_class(struct seed *s, int bits, int class)
{
	P(s, FZ_OPEN_IOASID, 0);
	P(s, FZ_OPEN_TESTIF, 0);
	P(s, FZ_ALLOC, FD0, HEAD, END);
	open_dev(s, bits, class);
	P(s, FZ_BIND, FD0, HEAD, FD0, END);	/* vals: label, ioasid */
	P(s, FZ_ATTACH, FD0, HEAD, ID(1), 0, END);
}

static void setup(struct seed *s, int bits)
{
	setup_class(s, bits, 0);
}

static void seed_dma(struct seed *s)
{
	setup(s, 0);
	P(s, FZ_TOUCH, 1, 0, 15, 0x5a);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), IOVA_4K(0), PAGES_16, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_DMA, FD0, HEADF(1), 0, IOVA_LAST(2), 0x03, 0, REG(2, 0), END);
	P(s, FZ_T_IOTLB, FD0, HEAD, END);
	P(s, FZ_T_PINNED, FD0, HEAD, REG(1, 3), END);
	P(s, FZ_GET_INFO, FD0, HEAD, ID(1), 2, 2, 0x80, 0, 0x80, 8, END);
	P(s, FZ_UNMAP, FD0, HEAD, ID(1), IOVA_LAST(0), PAGES_4, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(1), 0xc0, 0xc0, END);
	P(s, FZ_DETACH, FD0, HEAD, ID(1), 0, END);
	P(s, FZ_UNBIND, FD0, HEAD, END);
	P(s, FZ_FREE, FD0, HEAD, ID(1), END);
}

static void seed_pasid(struct seed *s)
{
	setup(s, 8);
	P(s, FZ_ALLOC, FD0, HEAD, END);
	P(s, FZ_ATTACH, FD0, HEADF(1), ID(0), 4, END);	/* PASID 5 */
	P(s, FZ_MAP, FD0, HEADF(3), ID(0), REG(0, 0), IOVA_2M(1), PAGES_512, END);
	P(s, FZ_T_DMA, FD0, HEADF(2), 4, IOVA_LAST(2), 0x07, 0, 0x80, 0, END);
	P(s, FZ_DETACH, FD0, HEADF(1), ID(0), 4, END);
	P(s, FZ_FREE, FD0, HEAD, ID(0), END);
	P(s, FZ_CLOSE, 2);
}

static void seed_group(struct seed *s)
{
	P(s, FZ_OPEN_IOASID, 0);
	P(s, FZ_OPEN_TESTIF, 0);
	open_dev(s, 0, 1);
	P(s, FZ_T_CREATE, FD0, HEADF(1), 0, 1, FD0, END);
	P(s, FZ_BIND, FD0, HEAD, FD0, END);
	P(s, FZ_BIND, FD1, HEAD, FD0, END);
	P(s, FZ_ALLOC, FD0, HEAD, END);
	P(s, FZ_ATTACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_GET_INFO, FD0, HEAD, ID(0), 0, 0, 0xa2, 0xa2, END);
	P(s, FZ_ATTACH, FD1, HEAD, ID(0), 0, END);
	P(s, FZ_MAP, FD0, HEADF(3), ID(0), REG(1, 0), 0x48, 1, 0x80, END);
	P(s, FZ_CLOSE, 2);
	P(s, FZ_T_DMA, FD1, HEAD, 0, IOVA_LAST(0), 0, 0, 0x80, 0, END);
}

static void seed_register(struct seed *s)
{
	P(s, FZ_OPEN_IOASID, 0);
	P(s, FZ_CHECK_EXT, FD0, HEAD, 1, END);
	P(s, FZ_REGISTER, FD0, HEAD, REG(2, 0), PAGES_16, END);
	P(s, FZ_MUNMAP, 2, 4, 3);
	P(s, FZ_REGISTER, FD0, HEAD, REG(1, 0), PAGES_64, END);
	P(s, FZ_UNREGISTER, FD0, HEAD, REG(2, 0), PAGES_16, END);
	P(s, FZ_REMAP, 1, 8, 8, 0);
	P(s, FZ_OPEN_IOASID, 0);
	P(s, FZ_REGISTER, FD1, HEAD, REG(1, 0), PAGES_64, END);
	P(s, FZ_DUP, 0, 0);
	P(s, FZ_CLOSE, 0);
}

static void seed_replace(struct seed *s)
{
	setup(s, 0);
	P(s, FZ_MAP, FD0, HEADF(1), ID(1), REG(1, 0), IOVA_4K(16), PAGES_64, END);
	P(s, FZ_MREMAP, 1, 2, 3, 0);
	P(s, FZ_DONTNEED, 1, 10, 2);
	P(s, FZ_PROTECT, 1, 20, 4, 2);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), IOVA_4K(200), PAGES_64, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0f, 0, REG(3, 0), END);
	P(s, FZ_CLOSE, 0);
	P(s, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0f, 0, REG(3, 0), END);
}

/* FZ_RACE: the commands of @r run on a second thread */
static void race(struct seed *s, const struct seed *r)
{
	size_t i;

	P(s, FZ_RACE, (int)r->n);
	for (i = 0; i < r->n && s->n < sizeof(s->b); i++)
		s->b[s->n++] = r->b[i];
}

/* a mapping, a DMA through it and an unmap race with an unmap of the
 * memory, a free of the IOASID and a detach */
static void seed_race_free(struct seed *s)
{
	struct seed r;

	memset(&r, 0, sizeof(r));
	setup(s, 0);
	P(&r, FZ_MAP, FD0, HEADF(3), ID(1), REG(0, 0), IOVA_2M(1), PAGES_512, END);
	P(&r, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x07, 0, 0x80, 0, END);
	P(&r, FZ_UNMAP, FD0, HEADF(1), ID(1), 0xc0, 0xc0, END);
	race(s, &r);
	P(s, FZ_MUNMAP, 0, 0, 15);
	P(s, FZ_FREE, FD0, HEAD, ID(1), END);
	P(s, FZ_DETACH, FD0, HEAD, ID(1), 0, END);
	P(s, FZ_FREE, FD0, HEAD, ID(1), END);
}

/* the IOASID descriptor closes, and the device unbinds, while mappings
 * are made and used */
static void seed_race_close(struct seed *s)
{
	struct seed r;

	memset(&r, 0, sizeof(r));
	setup(s, 0);
	P(&r, FZ_UNBIND, FD0, HEAD, END);
	P(&r, FZ_CLOSE, 0);
	race(s, &r);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), IOVA_4K(0), PAGES_16, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_REGISTER, FD0, HEAD, REG(2, 0), PAGES_16, END);
}

/* the process is killed while a free waits for a racing map to end */
static void seed_race_kill(struct seed *s)
{
	struct seed r;

	memset(&r, 0, sizeof(r));
	setup(s, 0);
	P(&r, FZ_MAP, FD0, HEADF(3), ID(1), REG(0, 0), IOVA_2M(1), PAGES_512, END);
	race(s, &r);
	P(s, FZ_KILL, 25);
	P(s, FZ_DETACH, FD0, HEAD, ID(1), 0, END);
	P(s, FZ_FREE, FD0, HEAD, ID(1), END);
}

/* a raw address in the middle of AddressSanitizer's shadow (x86-64),
 * mapped memory of this process that is no user memory, with a length of
 * 2 TiB: a register and a map must fail at once */
static void raw64(struct seed *s, unsigned long long v)
{
	int i;

	P(s, FZ_RAW);
	for (i = 0; i < 8; i++)
		P(s, (int)(v >> (8 * i)) & 0xff);
}

static void seed_foreign(struct seed *s)
{
	setup(s, 0);
	P(s, FZ_REGISTER, FD0, HEAD);
	raw64(s, 0x0b0000000000ULL);
	raw64(s, 0x20000000000ULL);
	P(s, END);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1));
	raw64(s, 0x0b0000000000ULL);
	P(s, IOVA_4K(0));
	raw64(s, 0x20000000000ULL);
	P(s, END);
}

/* a child on the attached IOASID, the default route and a PASID route
 * nested on it, a child mapping over the parent's, a parent unmap that
 * is refused, then everything undone in turn */
static void seed_nest(struct seed *s)
{
	setup(s, 8);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), IOVA_4K(0), PAGES_16, END);
	P(s, FZ_NEST, FD0, HEAD, ID(1), END);	/* vals: child, label, ioasid */
	P(s, FZ_ATTACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_ATTACH, FD0, HEADF(1), ID(0), 4, END);	/* PASID 5 */
	P(s, FZ_MAP, FD0, HEADF(7), ID(0), IOVA_4K(2), IOVA_4K(64), PAGES_4,
	  END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_DMA, FD0, HEADF(2), 4, IOVA_LAST(2), 0x03, 0, 0x80, 0, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(2), 0xc0, 0xc0, END);
	P(s, FZ_DETACH, FD0, HEAD, ID(2), 0, END);
	P(s, FZ_GET_INFO, FD0, HEAD, ID(0), 0, 0, 0x80, 0, 0x80, 8, END);
	P(s, FZ_FREE, FD0, HEAD, ID(2), END);
	P(s, FZ_DETACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(0), 0xc0, 0xc0, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(2), 0xc0, 0xc0, END);
}

/* a child mapping and the default route's move race with the parent's
 * unmap and the child's free */
static void seed_race_nest(struct seed *s)
{
	struct seed r;

	memset(&r, 0, sizeof(r));
	setup(s, 0);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), IOVA_4K(0), PAGES_16, END);
	P(s, FZ_NEST, FD0, HEAD, ID(1), END);
	P(&r, FZ_MAP, FD0, HEADF(7), ID(0), IOVA_4K(0), IOVA_4K(64), PAGES_16,
	  END);
	P(&r, FZ_ATTACH, FD0, HEAD, ID(0), 0, END);
	P(&r, FZ_T_DMA, FD0, HEAD, 0, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(&r, FZ_DETACH, FD0, HEAD, ID(0), 0, END);
	race(s, &r);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(2), 0xc0, 0xc0, END);
	P(s, FZ_FREE, FD0, HEAD, ID(0), END);
	P(s, FZ_DETACH, FD0, HEAD, ID(2), 0, END);
}

/* a stage-1 entry written in region 1 at page @page: next GPA page @to */
#define S1_ENTRY(s, page, to, bits) \
	P(s, FZ_S1_ENTRY, REG(1, page), IOVA_4K(to), bits)

/* hardware nesting on a device of class N: guest memory (region 1) at
 * GPA 0, a four-level table in it (GIOVA 0 -> GPA 0x5000), bound to a
 * child with the default route and a PASID route on it, DMA walked, the
 * leaf changed, a batch of invalidations, the parent's unmap under the
 * table, then the table unbound and everything undone in turn */
static void seed_hw_nest(struct seed *s)
{
	setup_class(s, 8, 2);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), 0xc0, PAGES_16, END);
	S1_ENTRY(s, 1, 2, 0x07);
	S1_ENTRY(s, 2, 3, 0x07);
	S1_ENTRY(s, 3, 4, 0x07);
	S1_ENTRY(s, 4, 5, 0x07);
	P(s, FZ_NEST, FD0, HEAD, ID(1), END);	/* vals: child, label, ioasid */
	P(s, FZ_BIND_PGTABLE, FD0, HEAD, ID(0), 1, IOVA_4K(1), END);
	P(s, FZ_ATTACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_ATTACH, FD0, HEADF(1), ID(0), 4, END);	/* PASID 5 */
	P(s, FZ_T_DMA, FD0, HEAD, 0, 0xc0, 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_DMA, FD0, HEADF(3), 4, 0xc0, 0x03, 0, 0x80, 0, END);
	S1_ENTRY(s, 4, 6, 0x03);
	P(s, FZ_T_DMA, FD0, HEADF(1), 0, 0xc0, 0x03, 0, 0x80, 0, END);
	P(s, FZ_INVALIDATE, FD0, HEAD, ID(0), 0, 3,
	  0, 0, 0, 0xc0, 0xc0,
	  2, 0, 0, 0xc0, 0,
	  1, 0, 4, 0xc0, 0xc0,
	  0, END);
	P(s, FZ_T_DMA, FD0, HEADF(1), 0, 0xc0, 0x03, 0, 0x80, 0, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(2), 0xc0, 0xc0, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, 0xc0, 0x0d, 0, 0x80, 0, END);
	P(s, FZ_UNBIND_PGTABLE, FD0, HEAD, ID(0), END);
	P(s, FZ_DETACH, FD0, HEADF(1), ID(0), 4, END);
	P(s, FZ_DETACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_FREE, FD0, HEAD, ID(0), END);
}

/* a PASID table (flow 5.7) in region 1 whose entry 0 names a four-level
 * table (entry 5 stays invalid: the selectors reach only a page's first
 * bytes), the default route on the child that holds it, a second child
 * owning PASID 5 with a table of its own, DMA with and without the PASID,
 * a leaf changed and both caches invalidated, then the parent's unmap
 * under the tables and everything undone */
static void seed_pasid_table(struct seed *s)
{
	setup_class(s, 8, 2);
	P(s, FZ_MAP, FD0, HEADF(3), ID(1), REG(1, 0), 0xc0, PAGES_16, END);
	S1_ENTRY(s, 1, 2, 0x07);	/* table A: GIOVA 0 -> GPA 0x5000 */
	S1_ENTRY(s, 2, 3, 0x07);
	S1_ENTRY(s, 3, 4, 0x07);
	S1_ENTRY(s, 4, 5, 0x07);
	S1_ENTRY(s, 7, 2, 0x07);	/* table B: root at 0x7000, shares A's */
	S1_ENTRY(s, 8, 1, 0x01);	/* PASID table at 0x8000: entry 0 -> A */
	P(s, FZ_NEST, FD0, HEAD, ID(1), END);	/* vals: ptab, label, ioasid */
	P(s, FZ_ATTACH, FD0, HEAD, ID(0), 0, END);
	P(s, FZ_BIND_PASID_TABLE, FD0, HEAD, ID(0), 1, IOVA_4K(8), 8, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, 0xc0, 0x0d, 0, 0x80, 0, END);
	P(s, FZ_NEST, FD0, HEAD, ID(2), END);	/* vals: gva, ptab, label, ... */
	P(s, FZ_ATTACH, FD0, HEADF(1), ID(0), 4, END);	/* PASID 5 */
	P(s, FZ_BIND_PGTABLE, FD0, HEAD, ID(0), 1, IOVA_4K(7), END);
	P(s, FZ_T_DMA, FD0, HEADF(2), 4, 0xc0, 0x03, 0, 0x80, 0, END);
	S1_ENTRY(s, 4, 6, 0x03);
	P(s, FZ_INVALIDATE, FD0, HEAD, ID(1), 0, 2,
	  1, 1, 4, 0xc0, 0xc0,
	  0, 0, 0, 0xc0, 0xc0,
	  0, END);
	P(s, FZ_INVALIDATE, FD0, HEAD, ID(0), 0, 1,
	  1, 0, 4, 0xc0, 0xc0,
	  0, END);
	P(s, FZ_T_DMA, FD0, HEADF(3), 4, 0xc0, 0x03, 0, 0x80, 0, END);
	P(s, FZ_UNMAP, FD0, HEADF(1), ID(3), 0xc0, 0xc0, END);
	P(s, FZ_T_DMA, FD0, HEAD, 0, 0xc0, 0x0d, 0, 0x80, 0, END);
	P(s, FZ_UNBIND_PASID_TABLE, FD0, HEAD, ID(1), END);
	P(s, FZ_DETACH, FD0, HEADF(1), ID(0), 4, END);
	P(s, FZ_DETACH, FD0, HEAD, ID(1), 0, END);
	P(s, FZ_FREE, FD0, HEAD, ID(0), END);
	P(s, FZ_FREE, FD0, HEAD, ID(1), END);
}

/*
 * A parent and two mediated devices of it, the second with ENQCMD: routes
 * with PASIDs of the parent's routing ID and a global PASID, the CPU's
 * translation of guest PASID 7 to it, and DMA through both ways.
 */
static void seed_mediated(struct seed *s)
{
	P(s, FZ_OPEN_IOASID, 0);
	P(s, FZ_OPEN_TESTIF, 0);
	P(s, FZ_ALLOC, FD0, HEAD, END);			/* vals: ioasid */
	open_dev(s, 4, 0);				/* the parent */
	P(s, FZ_T_CREATE, FD0, HEADF(2), 8, 0, FD0, END);	/* mediated */
	P(s, FZ_T_CREATE, FD0, HEADF(6), 8, 0, FD0, END);	/* and ENQCMD */
	P(s, FZ_BIND, 1, HEAD, FD0, END);
	P(s, FZ_BIND, 2, HEAD, FD0, END);	/* vals: label, label, ioasid */
	P(s, FZ_ATTACH, 1, HEAD, ID(2), 0, END);
	P(s, FZ_ATTACH, 1, HEADF(1), ID(2), 4, END);	/* PASID 5 */
	P(s, FZ_ATTACH, 2, HEADF(1), ID(2), 4, END);
	P(s, FZ_MAP, FD0, HEADF(3), ID(2), REG(1, 0), IOVA_4K(0), PAGES_16, END);
	P(s, FZ_T_DMA, 1, HEADF(2), 4, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_MAP_PASID, FD0, HEAD, FD0, ID(2), 5, END);	/* PASID 7 */
	P(s, FZ_T_DMA, 2, HEADF(6), 5, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_DMA, 2, HEADF(2), 4, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_DETACH, 2, HEADF(1), ID(2), 4, END);
	P(s, FZ_T_DMA, 2, HEADF(6), 5, IOVA_LAST(0), 0x0d, 0, 0x80, 0, END);
	P(s, FZ_T_UNMAP_PASID, FD0, HEAD, 5, END);
	P(s, FZ_DETACH, 1, HEAD, ID(2), 0, END);
	P(s, FZ_CLOSE, 3);
}

static void write_seed(const char *dir, int k, struct seed *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/hand-%02d", dir, k);
	f = fopen(path, "wb");
	if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static void (*const seeds[])(struct seed *) = {
		seed_dma, seed_pasid, seed_group, seed_register, seed_replace,
		seed_race_free, seed_race_close, seed_race_kill, seed_foreign,
		seed_nest, seed_race_nest, seed_hw_nest, seed_pasid_table,
		seed_mediated,
	};
	unsigned int i, n = sizeof(seeds) / sizeof(seeds[0]);
	int k = 0;
	struct seed s;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		seeds[i](&s);
		write_seed(argv[1], k++, &s);
	}
	/* the first seed with the Nth fallible point of one command
	 * failing, for each command and N = 1, 3 */
	memset(&s, 0, sizeof(s));
	seed_dma(&s);
	for (i = 0; i < 2 * s.ncmds; i++) {
		unsigned int c = i / 2, cmd = 0;
		struct seed f;
		size_t pos;

		memset(&f, 0, sizeof(f));
		for (pos = 0; pos < s.n; pos++) {
			if (cmd < s.ncmds && pos == s.starts[cmd]) {
				if (cmd++ == c) {
					f.b[f.n++] = s.b[pos] | FZ_OP_FAIL;
					f.b[f.n++] = 1 + 2 * (i & 1);
					continue;
				}
			}
			f.b[f.n++] = s.b[pos];
		}
		write_seed(argv[1], k++, &f);
	}
	return 0;
}
