// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: eight processes, all of one fresh unprivileged user, race the
 * device DMA of the conformance test interface against everything that
 * ends it: IOASID_UNMAP_DMA, IOASID_DEVICE_DETACH, IOASID_DEVICE_UNBIND,
 * close() of device descriptors and close() of IOASID descriptors.
 *
 * Each worker process runs sessions until the time is up.  A session takes
 * an IOASID descriptor (the one the test opened before forking, which all
 * workers share; one that the two workers of a pair share, passed from one
 * to the other over a unix socket with SCM_RIGHTS; or one of its own),
 * creates two test devices, binds them, allocates an IOASID, attaches, and
 * maps the slots of its buffer (half the workers after
 * IOASID_REGISTER_MEMORY of it).  Forked alike, the workers likely have
 * their buffers at one address.  Then the session takes mappings, routes,
 * bindings and its own descriptor away and gives them back in random
 * order, while a second thread of the worker issues DMA through both
 * devices without pause.  Now and then a session on a shared descriptor
 * leaves some memory mapped behind, for whichever process closes the
 * descriptor last, maybe after this one has exited.
 *
 * The main thread of a worker owns all the worker's objects, so it knows
 * what each command must return.  Errors that races could explain (ENOENT,
 * EBUSY, EINVAL, ENXIO, EPERM, ESTALE, EACCES) are counted, logged and
 * tolerated; any other unexpected result fails.  The DMA thread reads a
 * generation counter before and after each DMA; the main thread makes it
 * odd while a command runs.  When the counter did not move, the DMA ran
 * entirely after the last command returned and before the next began, so
 * its status is known: after an unmap, a detach or an unbind returned, a
 * DMA that succeeds is a failure (REQ-UNMAP-BLOCKS, REQ-DETACH-BLOCKS,
 * REQ-UNBIND-DETACHES), and so is a blocked DMA through
 * a mapped, attached slot (also after the IOASID descriptor was closed:
 * REQ-DEV-CLOSE-CTX), or a read that returns bytes of another slot.
 *
 * A DMA already under way when a command returned must have completed by
 * then, as on real hardware.  The test sees one that did not: when a slot
 * becomes unreachable, the main thread fills it with a sentinel, waits
 * until the DMA in flight has finished, and checks that no byte changed; a
 * DMA read that returns the sentinel read the page after the command
 * returned as well.
 *
 * Every page of a worker's buffer must be unpinned at the end of each
 * session and when the worker has closed everything; so must its VmPin and
 * VmLck be 0, unless it left memory mapped.  At the end a fresh process of
 * the same user must be able to register exactly its RLIMIT_MEMLOCK, and
 * not one page more: it could not if a charge of the workers had stayed
 * with the user (REQ-PIN-UNCHARGE).
 *
 * The test runs 10 seconds, 60 on a kernel with fault injection (the debug
 * kernel, which is slower); IOASID_STRESS_SECONDS overrides that.  It needs
 * root, to change user, and the DEVICE, DMA and PINNED capabilities of the
 * conformance test interface; without them it is skipped.
 */
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ioasid_test.h"

#define PG		4096L
#define NWORKERS	8
#define NDEV		2		/* test devices of a session */
#define NSLOT		4		/* slots of a worker's buffer */
#define SLOT_PAGES	16		/* the longest DMA: 64 KiB */
#define SLOT_SZ		(SLOT_PAGES * PG)
#define BUF_SZ		(NSLOT * SLOT_SZ)	/* 256 KiB per worker */
#define BUF_PAGES	(NSLOT * SLOT_PAGES)
#define IOVA_BASE	0x40000000ull
#define IOVA_STRIDE	0x100000ull	/* slots lie apart */
#define LEFT_IOVA	0x80000000ull	/* where a session leaves memory mapped */
#define LEFT_PAGES	2
#define LEFT_MAX	16		/* times a worker leaves memory mapped */
#define STRESS_UID	4711
#define MEMLOCK		(8L << 20)	/* RLIMIT_MEMLOCK of the user's processes */
#define SENTINEL	0xa5
#define TAG(w, s)	((uint8_t)(0x40 + (w) * NSLOT + (s)))
#define MAX_FAIL_LOG	20
#define MAX_NOTE_LOG	5
#define QUIESCE_LIMIT	30		/* seconds the DMA thread may take */

/* Seconds of racing: 60 on the debug kernel, 10 elsewhere, or the override. */
static int stress_seconds(void)
{
	const char *env = getenv("IOASID_STRESS_SECONDS");

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (!*end && v > 0 && v <= 3600)
			return (int)v;
	}
	return access("/proc/thread-self/fail-nth", F_OK) == 0 ? 60 : 10;
}

/* What each worker counts, in memory shared with the test process. */
struct stats {
	unsigned long sessions;
	unsigned long commands;
	unsigned long dma_ok;
	unsigned long dma_blocked;
	unsigned long dma_checked;	/* with a known expected status */
	unsigned long dma_ebadf;	/* on a device being closed */
	unsigned long blocked_checks;	/* sentinel checks of slots */
	unsigned long late_writes;	/* REQ-UNMAP-BLOCKS & co. violations */
	unsigned long late_reads;
	unsigned long tolerated;	/* errors of the tolerated list */
	unsigned long ctx_orphaned;	/* IOASID descriptor closed, devices bound */
	unsigned long ctx_destroyed;	/* ... and then the last device went */
	unsigned long left_mapped;	/* sessions that left memory mapped */
	unsigned long fds_sent;
	unsigned long fds_received;
	unsigned long failures;
	unsigned long fail_logged;
	unsigned long note_logged;
};

enum { D_SHARED, D_PAIR, D_PRIVATE };

struct dev_state {
	int fd;
	int open;
	int bound;
	int attached;
	const char *why;	/* why it is not attached */
};

struct worker {
	int id;
	int testif;
	int shared;		/* the descriptor opened before fork, or -1 */
	int sock;		/* to the other worker of the pair, or -1 */
	int pair;		/* latest descriptor of the pair, or -1 */
	bool registers;		/* registers its buffer before mapping */
	bool leaves;		/* leaves memory mapped in shared contexts */
	unsigned int left;	/* times it did */
	uint8_t *buf;		/* BUF_SZ, slot s filled with TAG(id, s) */
	struct stats *st;
	struct timespec deadline;
	unsigned int seed;

	/* the session */
	int kind;
	int d;			/* its IOASID descriptor; -1 once closed */
	bool ctx_alive;
	bool registered;
	bool has_pgtable;
	long a;
	struct dev_state dev[NDEV];
	int slot_mapped[NSLOT];
	int slot_prot[NSLOT];

	/* the DMA thread */
	pthread_t thread;
	uint8_t *dma_buf;	/* its side of a DMA, SLOT_SZ */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int park_req;
	int parked;
	int stop;
	unsigned long gen;	/* odd while a command runs */
	unsigned long cycles;	/* DMA attempts finished */
};

#define LD(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ST(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define COUNT(w, f)	__atomic_fetch_add(&(w)->st->f, 1, __ATOMIC_RELAXED)

/* One line on stdout, written at once: the workers' lines do not mix. */
static void __attribute__((format(printf, 3, 4)))
wsay(struct worker *w, const char *what, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "# stress worker %d: %s", w->id, what);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

#define WFAIL(w, fmt, ...) do {						\
	COUNT(w, failures);						\
	if (__atomic_fetch_add(&(w)->st->fail_logged, 1,		\
			       __ATOMIC_RELAXED) < MAX_FAIL_LOG)	\
		wsay(w, "FAIL: ", "line %d: " fmt, __LINE__,		\
		     ##__VA_ARGS__);					\
} while (0)

static bool race_errno(long err)
{
	switch (err) {
	case ENOENT: case EBUSY: case EINVAL: case ENXIO: case EPERM:
	case ESTALE: case EACCES:
		return true;
	}
	return false;
}

/*
 * The result @got of a command of the main thread, which owns everything
 * the command touches, so that it must return @want.  True when it did.
 * An error that races could explain is tolerated, and logged, since here
 * none should occur; any other result fails.
 */
static bool judge(struct worker *w, int line, const char *what, long got,
		  long want)
{
	if (got == want)
		return true;
	if (got < 0 && race_errno(-got)) {
		COUNT(w, tolerated);
		if (__atomic_fetch_add(&w->st->note_logged, 1,
				       __ATOMIC_RELAXED) < MAX_NOTE_LOG)
			wsay(w, "tolerated: ",
			     "line %d: %s returned %s, expected %ld", line,
			     what, strerror(-got), want);
		return false;
	}
	COUNT(w, failures);
	if (__atomic_fetch_add(&w->st->fail_logged, 1, __ATOMIC_RELAXED) <
	    MAX_FAIL_LOG)
		wsay(w, "FAIL: ", "line %d: %s returned %ld (%s), expected %ld",
		     line, what, got, got < 0 ? strerror(-got) : "-", want);
	return false;
}

#define JUDGE(what, got, want) judge(w, __LINE__, what, got, want)

static uint8_t *slot_buf(struct worker *w, unsigned int s)
{
	return w->buf + s * SLOT_SZ;
}

static uint64_t slot_iova(unsigned int s)
{
	return IOVA_BASE + s * IOVA_STRIDE;
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool time_is_up(struct worker *w)
{
	return since(&w->deadline) >= 0;
}

/* ------------------------------------------------------------------ */
/* The DMA thread */

/*
 * Mostly aim at a slot that some device reaches, from one that does: those
 * DMAs are the ones a command can catch in flight.  A hint only, read
 * without regard to the commands of the main thread.
 */
static void aim(struct worker *w, unsigned int *j, unsigned int *s)
{
	unsigned int k, jj, ss;

	for (k = 0; k < NDEV; k++) {
		jj = (*j + k) % NDEV;
		if (LD(&w->dev[jj].open) && LD(&w->dev[jj].attached))
			break;
	}
	if (k == NDEV)
		return;
	for (k = 0; k < NSLOT; k++) {
		ss = (*s + k) % NSLOT;
		if (LD(&w->slot_mapped[ss])) {
			*j = jj;
			*s = ss;
			return;
		}
	}
}

static void dma_once(struct worker *w, uint8_t *data, unsigned int *seed)
{
	unsigned int r = rand_r(seed);
	unsigned int j = r % NDEV, s = (r / NDEV) % NSLOT;
	bool write = (r >> 8) & 1, stable, attached, mapped;
	uint64_t iova, fault = 0;
	unsigned long g1, g2;
	size_t len, off, k, late, bad, first_bad = 0;
	const char *why;
	int fd, prot;
	long st, want;

	if ((r >> 9) & 1) {
		/* the whole slot: the copy lasts longest */
		off = 0;
		len = SLOT_SZ;
	} else {
		len = 1 + rand_r(seed) % SLOT_SZ;
		off = rand_r(seed) % (SLOT_SZ - len + 1);
	}
	if ((r >> 10) % 4)
		aim(w, &j, &s);
	iova = slot_iova(s) + off;

	g1 = __atomic_load_n(&w->gen, __ATOMIC_SEQ_CST);
	if (!LD(&w->dev[j].open))
		return;
	fd = LD(&w->dev[j].fd);
	attached = LD(&w->dev[j].attached);
	why = LD(&w->dev[j].why);
	mapped = LD(&w->slot_mapped[s]);
	prot = LD(&w->slot_prot[s]);
	memset(data, write ? TAG(w->id, s) : 0, len);
	st = testif_dma(fd, write ? IOASID_TEST_DMA_WRITE : 0, 0, iova, data,
			len, &fault);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	g2 = __atomic_load_n(&w->gen, __ATOMIC_SEQ_CST);
	stable = g1 == g2 && !(g1 & 1);

	if (st < 0) {
		if (st == -EBADF && !stable && !LD(&w->dev[j].open)) {
			COUNT(w, dma_ebadf);
			return;
		}
		WFAIL(w, "IOASID_TEST_DMA (%s of %zu bytes at %#llx) failed: %s",
		      write ? "write" : "read", len, (unsigned long long)iova,
		      strerror(-st));
		return;
	}
	if (st > IOASID_TEST_DMA_PERMISSION) {
		WFAIL(w, "IOASID_TEST_DMA: unknown status %ld", st);
		return;
	}
	if (st == IOASID_TEST_DMA_OK)
		COUNT(w, dma_ok);
	else
		COUNT(w, dma_blocked);

	if (stable) {
		COUNT(w, dma_checked);
		if (!attached || !mapped)
			want = IOASID_TEST_DMA_NO_TRANSLATION;
		else if (prot & (write ? IOASID_DMA_WRITE : IOASID_DMA_READ))
			want = IOASID_TEST_DMA_OK;
		else
			want = IOASID_TEST_DMA_PERMISSION;
		if (st == IOASID_TEST_DMA_OK && want != st)
			WFAIL(w, "%s: a DMA %s of slot %u through device %u, issued after the %s returned, succeeded",
			      !attached ? "REQ-DETACH-BLOCKS" : "REQ-UNMAP-BLOCKS",
			      write ? "write" : "read", s, j,
			      !attached ? (why ? why : "detach") : "unmap");
		else if (st != want)
			WFAIL(w, "a DMA %s of slot %u through device %u (%s, slot %s) gave status %ld, expected %ld",
			      write ? "write" : "read", s, j,
			      attached ? "attached" : "not attached",
			      mapped ? "mapped" : "not mapped", st, want);
		else if (st != IOASID_TEST_DMA_OK && fault != iova)
			WFAIL(w, "REQ-TESTIF-DMA: blocked at %#llx, not at the first address %#llx",
			      (unsigned long long)fault,
			      (unsigned long long)iova);
	}

	if (st != IOASID_TEST_DMA_OK || write)
		return;
	for (k = late = bad = 0; k < len; k++) {
		if (data[k] == SENTINEL)
			late++;
		else if (data[k] != TAG(w->id, s) && !bad++)
			first_bad = k;
	}
	if (late) {
		COUNT(w, late_reads);
		WFAIL(w, "REQ-UNMAP-BLOCKS: a DMA read of slot %u through device %u returned %zu bytes that the CPU wrote after the slot became unreachable",
		      s, j, late);
	}
	if (bad)
		WFAIL(w, "REQ-MAP: a DMA read of slot %u returned %zu bytes that are not the slot's (%#x, not %#x)",
		      s, bad, data[first_bad], TAG(w->id, s));
}

static void *dma_thread(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = 0x5eed + 7919 * w->id;

	for (;;) {
		if (LD(&w->park_req) || LD(&w->stop)) {
			pthread_mutex_lock(&w->lock);
			w->parked = 1;
			pthread_cond_broadcast(&w->cond);
			while (w->park_req && !w->stop)
				pthread_cond_wait(&w->cond, &w->lock);
			w->parked = 0;
			pthread_mutex_unlock(&w->lock);
			if (LD(&w->stop))
				break;
			continue;
		}
		dma_once(w, w->dma_buf, &seed);
		__atomic_fetch_add(&w->cycles, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void park(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	ST(&w->park_req, 1);
	while (!w->parked)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void unpark(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	ST(&w->park_req, 0);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Wait until the DMA in flight, if any, has finished, and one more has
 * been tried after it: then no DMA the thread issued before the caller's
 * last command is left.  The thread must not be parked.
 */
static void quiesce(struct worker *w)
{
	unsigned long start = __atomic_load_n(&w->cycles, __ATOMIC_SEQ_CST);
	struct timespec t0;
	unsigned int spins = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&w->cycles, __ATOMIC_SEQ_CST) < start + 2) {
		sched_yield();
		if (++spins % 256 == 0 && since(&t0) > QUIESCE_LIMIT) {
			WFAIL(w, "the DMA thread made no progress for %d s",
			      QUIESCE_LIMIT);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The state the DMA thread sees */

static void cmd_begin(struct worker *w)
{
	__atomic_fetch_add(&w->gen, 1, __ATOMIC_SEQ_CST);
	COUNT(w, commands);
}

static void cmd_end(struct worker *w)
{
	__atomic_fetch_add(&w->gen, 1, __ATOMIC_SEQ_CST);
}

/* The slots a DMA of some device can reach now. */
static unsigned int reachable(struct worker *w)
{
	unsigned int mask = 0, s, j;
	bool any = false;

	for (j = 0; j < NDEV; j++)
		any |= w->dev[j].attached;
	if (!any)
		return 0;
	for (s = 0; s < NSLOT; s++)
		if (w->slot_mapped[s])
			mask |= 1u << s;
	return mask;
}

static void set_unmapped(struct worker *w, unsigned int s)
{
	ST(&w->slot_mapped[s], 0);
}

static void set_detached(struct worker *w, unsigned int j, const char *why)
{
	ST(&w->dev[j].why, why);
	ST(&w->dev[j].attached, 0);
}

/*
 * The slots of @mask have just become unreachable by @what: fill them
 * with the sentinel, last page first (a DMA copies in page order), let the
 * DMA in flight finish, and check that it wrote nothing; then give the
 * slots their contents back, before anything makes them reachable again.
 */
static void verify_blocked(struct worker *w, unsigned int mask,
			   const char *what)
{
	unsigned int s;
	long p;
	size_t k, n;

	if (!mask)
		return;
	for (s = 0; s < NSLOT; s++)
		if (mask & (1u << s))
			for (p = SLOT_PAGES - 1; p >= 0; p--)
				memset(slot_buf(w, s) + p * PG, SENTINEL, PG);
	quiesce(w);
	for (s = 0; s < NSLOT; s++) {
		if (!(mask & (1u << s)))
			continue;
		COUNT(w, blocked_checks);
		for (k = n = 0; k < (size_t)SLOT_SZ; k++)
			n += slot_buf(w, s)[k] != SENTINEL;
		if (n) {
			COUNT(w, late_writes);
			WFAIL(w, "REQ-UNMAP-BLOCKS/REQ-DETACH-BLOCKS: %zu bytes of slot %u were written by DMA after the %s returned",
			      n, s, what);
		}
		memset(slot_buf(w, s), TAG(w->id, s), SLOT_SZ);
	}
}

static void check_unpinned(struct worker *w, const char *when)
{
	unsigned int k;
	long p;

	for (k = 0; k < BUF_PAGES; k++) {
		p = testif_pinned(w->testif, w->buf + k * PG);
		if (p == 0)
			continue;
		if (p == 1)
			WFAIL(w, "REQ-UNMAP-UNPIN: page %u of the buffer is still pinned %s",
			      k, when);
		else
			WFAIL(w, "IOASID_TEST_PINNED: %s", strerror(-p));
		return;
	}
}

static unsigned int bound_devices(struct worker *w)
{
	unsigned int j, n = 0;

	for (j = 0; j < NDEV; j++)
		n += w->dev[j].bound;
	return n;
}

/*
 * After the IOASID descriptor was closed, the last binding went: the
 * context is destroyed, and with it the mappings and the registration
 * (REQ-DEV-CLOSE-CTX, REQ-IOASID-CLOSE, REQ-MEM-CLOSE).
 */
static void ctx_gone(struct worker *w)
{
	unsigned int s;

	for (s = 0; s < NSLOT; s++)
		set_unmapped(w, s);
	w->ctx_alive = false;
	w->registered = false;
	COUNT(w, ctx_destroyed);
}

/* ------------------------------------------------------------------ */
/* The commands of the main thread */

static void do_map(struct worker *w, unsigned int s)
{
	int prot = rand_r(&w->seed) % 4 ? IOASID_DMA_RW : IOASID_DMA_READ;
	long ret;

	if (w->d < 0 || w->slot_mapped[s])
		return;
	cmd_begin(w);
	ret = ioasid_map(w->d, w->a, slot_buf(w, s), slot_iova(s), SLOT_SZ,
			 prot);
	if (JUDGE("IOASID_MAP_DMA", ret, w->has_pgtable ? 0 : -ENXIO) &&
	    ret == 0) {
		ST(&w->slot_prot[s], prot);
		ST(&w->slot_mapped[s], 1);
	}
	cmd_end(w);
}

/* Unmap slots @first to @last, or everything with @all. */
static void do_unmap(struct worker *w, unsigned int first, unsigned int last,
		     bool all)
{
	unsigned int before = reachable(w), s;
	long ret, want = 0;

	if (w->d < 0)
		return;
	if (all) {
		first = 0;
		last = NSLOT - 1;
	}
	for (s = first; s <= last; s++)
		want += w->slot_mapped[s] ? SLOT_SZ : 0;
	if (!w->has_pgtable)
		want = -ENXIO;
	cmd_begin(w);
	if (all)
		ret = ioasid_unmap_all(w->d, w->a);
	else
		ret = ioasid_unmap(w->d, w->a, slot_iova(first),
				   slot_iova(last) + SLOT_SZ - slot_iova(first));
	if (JUDGE("IOASID_UNMAP_DMA", ret, want) && ret >= 0)
		for (s = first; s <= last; s++)
			set_unmapped(w, s);
	cmd_end(w);
	verify_blocked(w, before & ~reachable(w), "unmap");
}

static void do_attach(struct worker *w, unsigned int j)
{
	long ret;

	if (!w->ctx_alive || !w->dev[j].bound || w->dev[j].attached)
		return;
	cmd_begin(w);
	ret = device_attach(w->dev[j].fd, w->a);
	if (JUDGE("IOASID_DEVICE_ATTACH", ret, 0)) {
		w->has_pgtable = true;
		ST(&w->dev[j].attached, 1);
	}
	cmd_end(w);
}

static void do_detach(struct worker *w, unsigned int j)
{
	unsigned int before = reachable(w);
	long ret;

	if (!w->dev[j].attached)
		return;
	cmd_begin(w);
	ret = device_detach(w->dev[j].fd, w->a);
	if (JUDGE("IOASID_DEVICE_DETACH", ret, 0))
		set_detached(w, j, "detach");
	cmd_end(w);
	verify_blocked(w, before & ~reachable(w), "detach");
}

static void do_bind(struct worker *w, unsigned int j)
{
	long ret;

	if (w->d < 0 || !w->dev[j].open || w->dev[j].bound)
		return;
	cmd_begin(w);
	ret = device_bind(w->dev[j].fd, w->d);
	if (ret >= 1)
		ST(&w->dev[j].bound, 1);
	else
		JUDGE("IOASID_DEVICE_BIND", ret, 1);
	cmd_end(w);
}

static void do_unbind(struct worker *w, unsigned int j)
{
	unsigned int before = reachable(w);
	long ret;

	if (!w->dev[j].bound)
		return;
	cmd_begin(w);
	ret = device_unbind(w->dev[j].fd);
	if (JUDGE("IOASID_DEVICE_UNBIND", ret, 0)) {
		set_detached(w, j, "unbind (REQ-UNBIND-DETACHES)");
		ST(&w->dev[j].bound, 0);
		if (w->d < 0 && !bound_devices(w))
			ctx_gone(w);
	}
	cmd_end(w);
	verify_blocked(w, before & ~reachable(w), "unbind");
	if (!w->ctx_alive && w->d < 0)
		check_unpinned(w, "after the last device of a closed descriptor was unbound");
}

/*
 * close() of a device: the last descriptor, so it unbinds the device
 * (REQ-DEV-CLOSE-DEVICE) once a DMA that holds the file has finished.
 */
static void do_close_dev(struct worker *w, unsigned int j)
{
	unsigned int before = reachable(w);
	bool was_bound = w->dev[j].bound;

	if (!w->dev[j].open)
		return;
	cmd_begin(w);
	ST(&w->dev[j].open, 0);
	if (close(w->dev[j].fd))
		WFAIL(w, "close of device %u: %s", j, strerror(errno));
	set_detached(w, j, "close of the device (REQ-DEV-CLOSE-DEVICE)");
	ST(&w->dev[j].bound, 0);
	ST(&w->dev[j].fd, -1);
	if (was_bound && w->d < 0 && w->ctx_alive && !bound_devices(w))
		ctx_gone(w);
	cmd_end(w);
	/* a DMA may still hold the file: the device lives until it ends */
	quiesce(w);
	verify_blocked(w, before & ~reachable(w), "close of the device");
	if (!w->ctx_alive && w->d < 0)
		check_unpinned(w, "after the last device of a closed descriptor was closed");
}

static void do_create_dev(struct worker *w, unsigned int j)
{
	int fd;

	if (w->d < 0 || w->dev[j].open)
		return;
	fd = testif_create_device(w->testif);
	if (fd < 0) {
		JUDGE("IOASID_TEST_CREATE_DEVICE", fd, 0);
		return;
	}
	cmd_begin(w);
	ST(&w->dev[j].fd, fd);
	ST(&w->dev[j].bound, 0);
	set_detached(w, j, "nothing (never attached)");
	ST(&w->dev[j].open, 1);
	cmd_end(w);
	do_bind(w, j);
}

/*
 * close() of the session's own IOASID descriptor, its only reference:
 * with devices bound the context lives on and keeps translating their DMA
 * (REQ-DEV-CLOSE-CTX), without them it is destroyed (REQ-IOASID-CLOSE).
 */
static void do_close_ctx(struct worker *w)
{
	int d = w->d;

	if (w->kind != D_PRIVATE || d < 0)
		return;
	cmd_begin(w);
	w->d = -1;
	if (close(d))
		WFAIL(w, "close of the IOASID descriptor: %s", strerror(errno));
	if (bound_devices(w))
		COUNT(w, ctx_orphaned);
	else
		ctx_gone(w);
	cmd_end(w);
	if (!w->ctx_alive)
		check_unpinned(w, "after the IOASID descriptor was closed");
}

/* IOASID_FREE of an IOASID that is in use (REQ-FREE-ATTACHED). */
static void do_free_busy(struct worker *w)
{
	unsigned int j;

	for (j = 0; j < NDEV; j++)
		if (w->dev[j].attached)
			break;
	if (w->d < 0 || j == NDEV)
		return;
	cmd_begin(w);
	JUDGE("IOASID_FREE of an attached IOASID",
	      ioasid_free_one(w->d, w->a), -EBUSY);
	cmd_end(w);
}

/* IOASID_UNREGISTER_MEMORY of a registration in use (REQ-MEM-BUSY). */
static void do_unregister_busy(struct worker *w)
{
	unsigned int s;

	for (s = 0; s < NSLOT; s++)
		if (w->slot_mapped[s])
			break;
	if (w->d < 0 || !w->registered || s == NSLOT)
		return;
	cmd_begin(w);
	JUDGE("IOASID_UNREGISTER_MEMORY of memory in use",
	      ioasid_unregister(w->d, w->buf, BUF_SZ), -EBUSY);
	cmd_end(w);
}

static void random_command(struct worker *w)
{
	unsigned int r = rand_r(&w->seed);
	unsigned int s = (r >> 8) % NSLOT, j = (r >> 12) % NDEV;
	unsigned int last = s + (r >> 16) % (NSLOT - s);

	switch (r % 24) {
	case 0 ... 4:
		do_map(w, s);
		break;
	case 5 ... 7:
		do_unmap(w, s, s, false);
		break;
	case 8:
		do_unmap(w, s, last, false);
		break;
	case 9:
		do_unmap(w, 0, 0, true);
		break;
	case 10 ... 12:
		do_attach(w, j);
		break;
	case 13 ... 14:
		do_detach(w, j);
		break;
	case 15:
		do_unbind(w, j);
		break;
	case 16:
		do_bind(w, j);
		break;
	case 17:
		do_close_dev(w, j);
		break;
	case 18:
		do_create_dev(w, j);
		break;
	case 19:
		do_close_ctx(w);
		break;
	case 20:
		do_free_busy(w);
		break;
	case 21:
		do_unregister_busy(w);
		break;
	default:
		/* let the DMA thread run */
		usleep(r % 300);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Descriptors passed between the workers of a pair */

static int recv_fd(struct worker *w)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(w->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0) {
		if (errno != EAGAIN)
			WFAIL(w, "recvmsg: %s", strerror(errno));
		return -1;
	}
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    (msg.msg_flags & MSG_CTRUNC)) {
		WFAIL(w, "a message without a descriptor");
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
	return fd;
}

static void send_fd(struct worker *w, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'd';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;

	memset(cbuf, 0, sizeof(cbuf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	if (sendmsg(w->sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
		COUNT(w, fds_sent);
		return;
	}
	/* a full queue, or the other worker has finished */
	switch (errno) {
	case EAGAIN: case ECONNREFUSED: case EPIPE: case ENOBUFS:
	case ETOOMANYREFS:
		return;
	}
	WFAIL(w, "sendmsg: %s", strerror(errno));
}

/*
 * Take the descriptors the other worker sent, keeping the newest, and
 * now and then open a new one and send it: the copies closed here may be
 * in use by the other worker's session right now.  A kernel without unix
 * sockets (the debug kernel has no networking) passes no descriptors:
 * then the pair keeps the one it inherited, until one of them closes it.
 */
static void rotate_pair(struct worker *w)
{
	int fd;

	if (w->sock < 0) {
		/* without sockets, only the inherited one, for a while */
		if (w->pair >= 0 && rand_r(&w->seed) % 32 == 0) {
			close(w->pair);
			w->pair = -1;
		}
		return;
	}
	while ((fd = recv_fd(w)) >= 0) {
		COUNT(w, fds_received);
		if (w->pair >= 0)
			close(w->pair);
		w->pair = fd;
	}
	if (rand_r(&w->seed) % 4 == 0) {
		fd = ioasid_open();
		if (fd < 0) {
			WFAIL(w, "open /dev/ioasid: %s", strerror(errno));
			return;
		}
		send_fd(w, fd);
		if (w->pair >= 0)
			close(w->pair);
		w->pair = fd;
	}
}

/* ------------------------------------------------------------------ */
/* A session */

static void session_start(struct worker *w)
{
	unsigned int r = rand_r(&w->seed), s, j;
	long ret;

	w->ctx_alive = false;
	w->kind = D_PRIVATE;
	if (r % 4 == 0 && w->shared >= 0)
		w->kind = D_SHARED;
	else if (r % 4 == 1 && w->pair >= 0)
		w->kind = D_PAIR;
	w->d = w->kind == D_SHARED ? w->shared :
	       w->kind == D_PAIR ? w->pair : ioasid_open();
	if (w->d < 0) {
		WFAIL(w, "open /dev/ioasid: %s", strerror(errno));
		return;
	}
	w->ctx_alive = true;
	w->has_pgtable = false;
	w->registered = false;
	for (s = 0; s < NSLOT; s++)
		w->slot_mapped[s] = 0;
	for (j = 0; j < NDEV; j++) {
		w->dev[j].open = w->dev[j].bound = w->dev[j].attached = 0;
		w->dev[j].fd = -1;
	}

	if (w->registers && (w->kind == D_PRIVATE || (r >> 4) % 8 == 0)) {
		ret = ioasid_register(w->d, w->buf, BUF_SZ);
		w->registered = JUDGE("IOASID_REGISTER_MEMORY", ret, 0);
	}
	for (j = 0; j < NDEV; j++)
		do_create_dev(w, j);
	w->a = ioasid_alloc_one(w->d);
	if (w->a < 1) {
		JUDGE("IOASID_ALLOC", w->a, 1);
		w->ctx_alive = false;
		return;
	}
	/* before the first attach the IOASID has no page table */
	if ((r >> 8) % 4 == 0)
		do_map(w, 0);
	do_attach(w, 0);
	if ((r >> 10) % 4)
		do_attach(w, 1);
	for (s = 0; s < NSLOT; s++)
		if ((r >> (12 + s)) % 4)
			do_map(w, s);
}

/*
 * Now and then, on a descriptor other processes hold too, leave the IOASID
 * with some fresh memory mapped: its pages stay pinned, and charged to the
 * user, until the last of those processes closes the descriptor, maybe
 * after this one has exited (REQ-PIN-UNCHARGE, checked at the end).  True
 * when it did.
 */
static bool leave_mapped(struct worker *w)
{
	uint8_t *mem;
	long ret;

	if (!w->leaves || w->kind == D_PRIVATE || !w->has_pgtable ||
	    w->left >= LEFT_MAX || rand_r(&w->seed) % 4)
		return false;
	mem = test_memory(LEFT_PAGES * PG, PG, 0x33);
	if (mem == MAP_FAILED) {
		WFAIL(w, "no memory to leave mapped");
		return false;
	}
	ret = ioasid_map(w->d, w->a, mem, LEFT_IOVA, LEFT_PAGES * PG,
			 IOASID_DMA_RW);
	if (!JUDGE("IOASID_MAP_DMA", ret, 0)) {
		munmap(mem, LEFT_PAGES * PG);
		return false;
	}
	/* the process may unmap the memory: the mapping keeps the pages */
	munmap(mem, LEFT_PAGES * PG);
	w->left++;
	COUNT(w, left_mapped);
	return true;
}

static void session_end(struct worker *w)
{
	unsigned int j;

	if (w->ctx_alive && w->d >= 0) {
		do_unmap(w, 0, 0, true);
		if (w->registered) {
			cmd_begin(w);
			if (JUDGE("IOASID_UNREGISTER_MEMORY",
				  ioasid_unregister(w->d, w->buf, BUF_SZ), 0))
				w->registered = false;
			cmd_end(w);
		}
		for (j = 0; j < NDEV; j++)
			do_detach(w, j);
		if (!leave_mapped(w)) {
			cmd_begin(w);
			JUDGE("IOASID_FREE", ioasid_free_one(w->d, w->a), 0);
			cmd_end(w);
		}
	}
	for (j = 0; j < NDEV; j++)
		do_close_dev(w, j);
	if (w->kind == D_PRIVATE && w->d >= 0)
		do_close_ctx(w);
	w->d = -1;
}

static void session(struct worker *w)
{
	unsigned int n, i;

	rotate_pair(w);
	session_start(w);
	unpark(w);
	if (w->d >= 0 && w->ctx_alive) {
		n = 16 + rand_r(&w->seed) % 32;
		for (i = 0; i < n && w->ctx_alive && !time_is_up(w); i++)
			random_command(w);
	}
	session_end(w);
	park(w);
	check_unpinned(w, "at the end of a session");
	COUNT(w, sessions);
}

/* ------------------------------------------------------------------ */
/* The processes */

static int become_stress_user(void)
{
	if (setgroups(0, NULL) || setgid(STRESS_UID) || setuid(STRESS_UID))
		return -1;
	return getuid() == STRESS_UID && geteuid() == STRESS_UID ? 0 : -1;
}

static int set_memlock(void)
{
	struct rlimit limit = { .rlim_cur = MEMLOCK, .rlim_max = MEMLOCK };

	return setrlimit(RLIMIT_MEMLOCK, &limit);
}

static int worker_main(struct worker *w)
{
	unsigned int s;
	long pinned, locked;

	if (set_memlock() || become_stress_user()) {
		WFAIL(w, "cannot become user %d: %s", STRESS_UID,
		      strerror(errno));
		return 1;
	}
	/*
	 * Forked alike, the workers likely get their buffers at the same
	 * address: registrations and mappings must tell them apart.
	 */
	w->buf = test_memory(BUF_SZ, PG, 0);
	w->dma_buf = malloc(SLOT_SZ);
	if (w->buf == MAP_FAILED || !w->dma_buf) {
		WFAIL(w, "no memory for the buffers");
		return 1;
	}
	for (s = 0; s < NSLOT; s++)
		memset(slot_buf(w, s), TAG(w->id, s), SLOT_SZ);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->park_req = 1;
	if (pthread_create(&w->thread, NULL, dma_thread, w)) {
		WFAIL(w, "pthread_create failed");
		return 1;
	}
	park(w);
	while (!time_is_up(w))
		session(w);

	pthread_mutex_lock(&w->lock);
	ST(&w->stop, 1);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);

	if (w->pair >= 0)
		close(w->pair);
	if (w->shared >= 0)
		close(w->shared);
	if (w->sock >= 0)
		close(w->sock);
	check_unpinned(w, "after the worker closed everything");
	/*
	 * What it left mapped stays pinned until the others close the
	 * descriptors; else nothing of this process is pinned any more.
	 */
	pinned = ioasid_pinned_kb();
	locked = ioasid_vmlck_kb();
	if (!w->left && (pinned > 0 || locked != 0))
		WFAIL(w, "REQ-PIN-UNCHARGE: VmPin %ld kB, VmLck %ld kB after the worker closed everything",
		      pinned, locked);
	close(w->testif);
	return LD(&w->st->failures) ? 1 : 0;
}

/*
 * A fresh process of the stress user, with the workers' RLIMIT_MEMLOCK:
 * registering exactly that much must succeed, one page more must not.
 * 0, or the line of the check that failed.
 */
static int charges_are_back(int *retries)
{
	uint8_t *mem = test_memory(MEMLOCK + PG, PG, 0x5a);
	long ret = -ENOMEM;
	int fd;

	if (mem == MAP_FAILED)
		return __LINE__;
	if (set_memlock() || become_stress_user())
		return __LINE__;
	fd = ioasid_open();
	if (fd < 0)
		return __LINE__;
	for (*retries = 0; *retries < 10; ++*retries) {
		ret = ioasid_register(fd, mem, MEMLOCK);
		if (ret != -ENOMEM)
			break;
		usleep(200000);
	}
	if (ret) {
		ksft_print_msg("registering RLIMIT_MEMLOCK bytes: %s\n",
			       strerror(-ret));
		return __LINE__;
	}
	ret = ioasid_register(fd, mem + MEMLOCK, PG);
	if (ret != -ENOMEM) {
		ksft_print_msg("registering one page beyond RLIMIT_MEMLOCK: %ld\n",
			       ret);
		return __LINE__;
	}
	if (ioasid_unregister(fd, mem, MEMLOCK))
		return __LINE__;
	close(fd);
	return 0;
}

FIXTURE(stress) {
	int testif;
};

FIXTURE_SETUP(stress)
{
	const char *why = NULL;

	self->testif = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root, to run the workers as user %d",
		     STRESS_UID);
	self->testif = testif_open(IOASID_TEST_CAP_DEVICE |
				   IOASID_TEST_CAP_DMA |
				   IOASID_TEST_CAP_PINNED, &why);
	if (self->testif < 0)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->testif >= 0)
		close(self->testif);
}

#define SUM(f) ({						\
	unsigned long __sum = 0;				\
	for (i = 0; i < NWORKERS; i++)				\
		__sum += stats[i].f;				\
	__sum;							\
})

TEST_F_TIMEOUT(stress, dma_races_teardown, stress_seconds() + 60)
{
	int seconds = stress_seconds();
	int socks[NWORKERS][2], pairs[NWORKERS / 2], shared, status, i, k;
	int retries = 0;
	bool sockets = true;
	pid_t pids[NWORKERS], pid;
	struct timespec deadline;
	struct stats *stats;

	REQ(REQ-UNMAP-BLOCKS, REQ-DETACH-BLOCKS, REQ-UNBIND-DETACHES,
	    REQ-DEV-CLOSE-DEVICE, REQ-DEV-CLOSE-CTX, REQ-IOASID-CLOSE,
	    REQ-UNMAP-UNPIN, REQ-MEM-CLOSE, REQ-MEM-BUSY, REQ-FREE-ATTACHED,
	    REQ-MAP-REGISTERED-USE, REQ-PIN-LIMIT, REQ-PIN-UNCHARGE,
	    REQ-TESTIF-DMA);
	ksft_print_msg("%d workers for %d s, user %d, RLIMIT_MEMLOCK %ld KiB\n",
		       NWORKERS, seconds, STRESS_UID, MEMLOCK >> 10);

	stats = mmap(NULL, NWORKERS * sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stats);
	memset(stats, 0, NWORKERS * sizeof(*stats));
	/*
	 * The descriptor every worker inherits, and the first one of each
	 * pair of workers, opened as their user.
	 */
	ASSERT_EQ(0, seteuid(STRESS_UID));
	shared = ioasid_open();
	for (i = 0; i < NWORKERS / 2; i++)
		pairs[i] = ioasid_open();
	ASSERT_EQ(0, seteuid(0));
	ASSERT_LE(0, shared);
	for (i = 0; i < NWORKERS / 2; i++)
		ASSERT_LE(0, pairs[i]);
	for (i = 0; i < NWORKERS; i += 2) {
		socks[i][0] = socks[i][1] = -1;
		if (sockets && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
					  socks[i])) {
			ASSERT_TRUE(errno == ENOSYS || errno == EAFNOSUPPORT)
				TH_LOG("socketpair: %s", strerror(errno));
			ksft_print_msg("no unix sockets (%s): no descriptors passed with SCM_RIGHTS\n",
				       strerror(errno));
			sockets = false;
		}
		socks[i + 1][0] = socks[i][1];
		socks[i + 1][1] = socks[i][0];
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < NWORKERS; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct worker w = {
				.id = i,
				.testif = self->testif,
				.shared = shared,
				.sock = socks[i][0],
				.pair = pairs[i / 2],
				.registers = i >= NWORKERS / 2,
				.leaves = i % 2,
				.st = &stats[i],
				.deadline = deadline,
				.seed = 0x1234567u * (i + 1),
			};
			for (k = 0; k < NWORKERS; k += 2) {
				if (k == (i & ~1))
					continue;
				close(pairs[k / 2]);
				if (socks[k][0] >= 0) {
					close(socks[k][0]);
					close(socks[k][1]);
				}
			}
			if (socks[i][1] >= 0)
				close(socks[i][1]);
			_exit(worker_main(&w));
		}
		pids[i] = pid;
	}
	/* from now on only the workers hold the descriptors */
	close(shared);
	for (i = 0; i < NWORKERS; i += 2) {
		close(pairs[i / 2]);
		if (socks[i][0] >= 0) {
			close(socks[i][0]);
			close(socks[i][1]);
		}
	}

	for (i = 0; i < NWORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		if (WIFSIGNALED(status))
			TH_LOG("worker %d was killed by signal %d", i,
			       WTERMSIG(status));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker %d failed", i);
	}

	ksft_print_msg("%lu sessions, %lu commands; DMA: %lu ok, %lu blocked, %lu with known outcome, %lu EBADF on closing devices\n",
		       SUM(sessions), SUM(commands), SUM(dma_ok),
		       SUM(dma_blocked), SUM(dma_checked), SUM(dma_ebadf));
	ksft_print_msg("%lu sentinel checks, %lu late DMA writes, %lu late DMA reads; %lu tolerated errors\n",
		       SUM(blocked_checks), SUM(late_writes), SUM(late_reads),
		       SUM(tolerated));
	ksft_print_msg("%lu contexts outlived their descriptor, %lu ended with their last device; %lu sessions left memory mapped; %lu descriptors sent, %lu received\n",
		       SUM(ctx_orphaned), SUM(ctx_destroyed), SUM(left_mapped),
		       SUM(fds_sent), SUM(fds_received));
	EXPECT_EQ(0UL, SUM(failures));
	EXPECT_EQ(0UL, SUM(late_writes));
	EXPECT_EQ(0UL, SUM(late_reads));
	/* the test raced something */
	EXPECT_LE((unsigned long)NWORKERS, SUM(sessions));
	EXPECT_LT(0UL, SUM(dma_ok));
	EXPECT_LT(0UL, SUM(dma_blocked));
	EXPECT_LT(0UL, SUM(dma_checked));
	EXPECT_LT(0UL, SUM(blocked_checks));
	munmap(stats, NWORKERS * sizeof(*stats));

	/* every charge went back to the user */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int line = charges_are_back(&retries);

		if (line)
			ksft_print_msg("charge check failed at line %d\n", line);
		else if (retries)
			ksft_print_msg("the charges came back only after %d retries\n",
				       retries);
		fflush(stdout);
		_exit(line ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("a fresh process of user %d cannot register RLIMIT_MEMLOCK bytes",
		       STRESS_UID);
}

TEST_HARNESS_MAIN
