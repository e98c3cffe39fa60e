// SPDX-License-Identifier: GPL-2.0
/*
 * The user-space shim of the kernel API: reports, the lock checker, RCU,
 * wait queues, allocation with failure injection, tasks, users,
 * capabilities, limits, user copies and modules.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <shim/base.h>
#include <shim/shim.h>

/* ------------------------------------------------------------------ */
/* Reports */

static unsigned long report_count;
static int kmsg_sinks[16];
static int nkmsg_sinks;
static pthread_mutex_t kmsg_lock = PTHREAD_MUTEX_INITIALIZER;

void shim_kmsg_add_sink(int fd)
{
	pthread_mutex_lock(&kmsg_lock);
	if (nkmsg_sinks < (int)(sizeof(kmsg_sinks) / sizeof(kmsg_sinks[0])))
		kmsg_sinks[nkmsg_sinks++] = fd;
	pthread_mutex_unlock(&kmsg_lock);
}

void shim_kmsg_remove_sink(int fd)
{
	int i;

	pthread_mutex_lock(&kmsg_lock);
	for (i = 0; i < nkmsg_sinks; i++)
		if (kmsg_sinks[i] == fd)
			kmsg_sinks[i--] = kmsg_sinks[--nkmsg_sinks];
	pthread_mutex_unlock(&kmsg_lock);
}

/* One record to stderr and to every open /dev/kmsg of the interposer. */
static void kmsg_emit(const char *text)
{
	size_t n = strlen(text);
	int i;

	if (syscall(SYS_write, 2, text, n) < 0)
		return;
	pthread_mutex_lock(&kmsg_lock);
	for (i = 0; i < nkmsg_sinks; i++)
		if (syscall(SYS_write, kmsg_sinks[i], text, n) < 0)
			continue;
	pthread_mutex_unlock(&kmsg_lock);
}

void shim_printk(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kmsg_emit(buf);
}

unsigned long shim_report_count(void)
{
	return __atomic_load_n(&report_count, __ATOMIC_RELAXED);
}

static void print_held_locks(void);

void shim_report(enum shim_report_kind kind, const char *file, int line,
		 const char *fmt, ...)
{
	static const char *const head[] = {
		[SHIM_REPORT_WARN] = "WARNING: ",
		[SHIM_REPORT_BUG] = "BUG: ",
		[SHIM_REPORT_LOCK] = "WARNING: possible locking bug: ",
		[SHIM_REPORT_SLEEP] = "BUG: sleeping function called from invalid context: ",
		[SHIM_REPORT_REFCOUNT] = "WARNING: refcount_t: ",
	};
	char msg[768], rec[1024];
	const char *mode = getenv("IOASID_SHIM_REPORT");
	void *frames[32];
	int n;
	va_list ap;

	__atomic_add_fetch(&report_count, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(rec, sizeof(rec), "ioasid-shim: %s%s at %s:%d\n", head[kind],
		 msg, file, line);
	kmsg_emit(rec);
	print_held_locks();
	n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, 2);
	if (!mode || strcmp(mode, "continue"))
		abort();
}

void shim_refcount_bad(const char *what, const char *file, int line)
{
	shim_report(SHIM_REPORT_REFCOUNT, file, line, "%s", what);
}

/* ------------------------------------------------------------------ */
/* The lock checker */

#define MAX_CLASSES 256
#define MAX_HELD 48

struct lock_class {
	const void *key;
	const char *name;
};

struct held_lock {
	struct shim_lock *l;
	int cls;
	const char *file;
	int line;
};

struct edge_site {
	const char *file;
	int line;
};

static pthread_mutex_t checker_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock_class classes[MAX_CLASSES];
static int nclasses;
static unsigned long order[MAX_CLASSES][MAX_CLASSES / 64];
static struct edge_site order_site[MAX_CLASSES][MAX_CLASSES];

static __thread struct held_lock held[MAX_HELD];
static __thread int nheld;
static __thread int natomic;		/* spinlocks held */
static __thread int rcu_depth;

struct shim_lock shim_mmap_lock = SHIM_LOCK_STATIC("mmap_lock", SHIM_LOCK_RWSEM);

static int class_of(struct shim_lock *l)
{
	const void *key = l->key ? (const void *)l->key : (const void *)l;
	int c = __atomic_load_n(&l->cls, __ATOMIC_ACQUIRE);
	int i;

	if (c)
		return c - 1;
	pthread_mutex_lock(&checker_lock);
	for (i = 0; i < nclasses; i++)
		if (classes[i].key == key)
			break;
	if (i == nclasses) {
		if (nclasses == MAX_CLASSES) {
			pthread_mutex_unlock(&checker_lock);
			fprintf(stderr, "ioasid-shim: too many lock classes\n");
			abort();
		}
		classes[nclasses].key = key;
		classes[nclasses].name = l->name;
		nclasses++;
	}
	pthread_mutex_unlock(&checker_lock);
	__atomic_store_n(&l->cls, i + 1, __ATOMIC_RELEASE);
	return i;
}

static bool has_edge(int a, int b)
{
	return order[a][b / 64] >> (b % 64) & 1;
}

/* Is there a path from @from to @to in the order graph?  checker_lock held. */
static bool reaches(int from, int to, unsigned long *seen)
{
	int i;

	if (from == to)
		return true;
	seen[from / 64] |= 1UL << (from % 64);
	for (i = 0; i < nclasses; i++)
		if (has_edge(from, i) && !(seen[i / 64] >> (i % 64) & 1) &&
		    reaches(i, to, seen))
			return true;
	return false;
}

static void print_held_locks(void)
{
	int i;

	for (i = 0; i < nheld; i++)
		fprintf(stderr, "  held: %s (class %s), taken at %s:%d\n",
			held[i].l->name, classes[held[i].cls].name,
			held[i].file, held[i].line);
}

/* Record that class @c is taken while the locks held now are held. */
static void check_order(int c, int subclass, const char *name,
			const char *file, int line)
{
	unsigned long seen[MAX_CLASSES / 64];
	int i, h;

	pthread_mutex_lock(&checker_lock);
	for (i = 0; i < nheld; i++) {
		h = held[i].cls;
		if (h == c) {
			if (subclass)
				continue;
			pthread_mutex_unlock(&checker_lock);
			shim_report(SHIM_REPORT_LOCK, file, line,
				    "possible recursive locking: %s while holding %s of the same class",
				    name, held[i].l->name);
			return;
		}
		if (has_edge(h, c))
			continue;
		memset(seen, 0, sizeof(seen));
		if (reaches(c, h, seen)) {
			const struct edge_site *s = NULL;
			int k;

			for (k = 0; k < nclasses; k++)
				if (has_edge(c, k)) {
					s = &order_site[c][k];
					break;
				}
			pthread_mutex_unlock(&checker_lock);
			shim_report(SHIM_REPORT_LOCK, file, line,
				    "possible circular locking dependency: taking %s while holding %s; the order %s -> ... -> %s was seen before (first at %s:%d)",
				    name, classes[h].name, classes[c].name,
				    classes[h].name, s ? s->file : "?",
				    s ? s->line : 0);
			return;
		}
		order[h][c / 64] |= 1UL << (c % 64);
		order_site[h][c].file = file;
		order_site[h][c].line = line;
	}
	pthread_mutex_unlock(&checker_lock);
}

void shim_might_sleep(const char *file, int line)
{
	if (natomic || rcu_depth)
		shim_report(SHIM_REPORT_SLEEP, file, line,
			    "in_atomic(): %d, rcu_read_lock depth: %d",
			    natomic, rcu_depth);
}

int shim_in_atomic(void)
{
	return natomic || rcu_depth;
}

void shim_lock_init(struct shim_lock *l, int kind, const char *name,
		    const struct lock_class_key *key)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->m, NULL);
	l->kind = kind;
	l->name = name;
	l->key = key;
}

static void push_held(struct shim_lock *l, int c, const char *file, int line)
{
	if (nheld == MAX_HELD) {
		shim_report(SHIM_REPORT_LOCK, file, line, "too many locks held");
		return;
	}
	held[nheld++] = (struct held_lock){ l, c, file, line };
	if (l->kind == SHIM_LOCK_SPIN)
		natomic++;
}

static bool pop_held(struct shim_lock *l)
{
	int i;

	for (i = nheld - 1; i >= 0; i--) {
		if (held[i].l != l)
			continue;
		memmove(&held[i], &held[i + 1], (nheld - i - 1) * sizeof(held[0]));
		nheld--;
		if (l->kind == SHIM_LOCK_SPIN)
			natomic--;
		return true;
	}
	return false;
}

void shim_lock_acquire(struct shim_lock *l, int subclass, const char *file,
		       int line)
{
	int c = class_of(l);

	if (l->kind != SHIM_LOCK_SPIN)
		shim_might_sleep(file, line);
	if (l->held && pthread_equal(l->owner, pthread_self()))
		shim_report(SHIM_REPORT_LOCK, file, line,
			    "deadlock: %s taken again by its holder", l->name);
	check_order(c, subclass, l->name, file, line);
	pthread_mutex_lock(&l->m);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELEASE);
	push_held(l, c, file, line);
}

int shim_lock_tryacquire(struct shim_lock *l, const char *file, int line)
{
	int c = class_of(l);

	if (pthread_mutex_trylock(&l->m))
		return 0;
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELEASE);
	push_held(l, c, file, line);
	return 1;
}

void shim_lock_release(struct shim_lock *l, const char *file, int line)
{
	if (!l->held || !pthread_equal(l->owner, pthread_self()) ||
	    !pop_held(l)) {
		shim_report(SHIM_REPORT_LOCK, file, line,
			    "unlock of %s, which this thread does not hold",
			    l->name);
		return;
	}
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&l->m);
}

void shim_lock_acquire_pseudo(struct shim_lock *l, const char *file, int line)
{
	int c = class_of(l);

	shim_might_sleep(file, line);
	check_order(c, 0, l->name, file, line);
	push_held(l, c, file, line);
}

void shim_lock_release_pseudo(struct shim_lock *l, const char *file, int line)
{
	if (!pop_held(l))
		shim_report(SHIM_REPORT_LOCK, file, line, "release of %s not held",
			    l->name);
}

void shim_might_lock_mmap(const char *file, int line)
{
	shim_lock_acquire_pseudo(&shim_mmap_lock, file, line);
	shim_lock_release_pseudo(&shim_mmap_lock, file, line);
}

void shim_lock_destroy(struct shim_lock *l, const char *file, int line)
{
	if (l->held)
		shim_report(SHIM_REPORT_LOCK, file, line,
			    "destroying %s while it is held", l->name);
}

bool shim_lock_held(const struct shim_lock *l)
{
	return l->held && pthread_equal(l->owner, pthread_self());
}

void shim_lock_assert_held(const struct shim_lock *l, const char *file, int line)
{
	if (!shim_lock_held(l))
		shim_report(SHIM_REPORT_WARN, file, line,
			    "lockdep_assert_held(%s) fails", l->name);
}

int shim_locks_held(void)
{
	return nheld;
}

/* ------------------------------------------------------------------ */
/* RCU: readers hold a shared lock; a grace period takes it exclusively. */

static pthread_rwlock_t rcu_gp = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t rcu_cb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_head *rcu_cbs;

void rcu_read_lock(void)
{
	if (rcu_depth++ == 0)
		pthread_rwlock_rdlock(&rcu_gp);
}

void rcu_read_unlock(void)
{
	if (rcu_depth <= 0) {
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "rcu_read_unlock() without rcu_read_lock()");
		return;
	}
	if (--rcu_depth == 0)
		pthread_rwlock_unlock(&rcu_gp);
}

bool rcu_read_lock_held(void)
{
	return rcu_depth > 0;
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	pthread_mutex_lock(&rcu_cb_lock);
	head->next = rcu_cbs;
	rcu_cbs = head;
	pthread_mutex_unlock(&rcu_cb_lock);
}

/* Run the callbacks queued so far after a grace period; no RCU read lock
 * or checked lock may be held by the caller. */
void shim_rcu_process(void)
{
	struct rcu_head *list, *next;

	if (rcu_depth || !__atomic_load_n(&rcu_cbs, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&rcu_cb_lock);
	list = rcu_cbs;
	rcu_cbs = NULL;
	pthread_mutex_unlock(&rcu_cb_lock);
	pthread_rwlock_wrlock(&rcu_gp);
	pthread_rwlock_unlock(&rcu_gp);
	for (; list; list = next) {
		next = list->next;
		list->func(list);
	}
}

void synchronize_rcu(void)
{
	might_sleep();
	pthread_rwlock_wrlock(&rcu_gp);
	pthread_rwlock_unlock(&rcu_gp);
}

void rcu_barrier(void)
{
	shim_rcu_process();
}

/* ------------------------------------------------------------------ */
/* Wait queues */

void init_waitqueue_head(wait_queue_head_t *wq)
{
	pthread_mutex_init(&wq->m, NULL);
	pthread_cond_init(&wq->c, NULL);
}

void wake_up_all(wait_queue_head_t *wq)
{
	pthread_mutex_lock(&wq->m);
	pthread_cond_broadcast(&wq->c);
	pthread_mutex_unlock(&wq->m);
}

void shim_wq_lock(wait_queue_head_t *wq)
{
	pthread_mutex_lock(&wq->m);
}

void shim_wq_unlock(wait_queue_head_t *wq)
{
	pthread_mutex_unlock(&wq->m);
}

void shim_wq_wait(wait_queue_head_t *wq)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&wq->c, &wq->m, &ts);
}

/*
 * A fatal signal to the process (SIGKILL): fatal_signal_pending() and every
 * killable wait see it, within the 20 ms a wait sleeps at most.  The
 * caller then issues no more commands and closes the descriptors, as the
 * exit of a killed process does with the signal still pending, and takes
 * the signal back for the next "process".
 */
static bool killed;

void shim_kill_process(bool on)
{
	__atomic_store_n(&killed, on, __ATOMIC_RELEASE);
}

bool shim_fatal_signal(void)
{
	return __atomic_load_n(&killed, __ATOMIC_ACQUIRE);
}

bool shim_need_resched(void)
{
	static __thread unsigned int n;

	return ++n % 61 == 0;
}

/* ------------------------------------------------------------------ */
/* Failure injection: the user-space counterpart of fail-nth, and a hook */

static __thread unsigned int fail_nth;
bool (*shim_fail_hook)(int kind, gfp_t gfp);

void shim_fail_nth_set(unsigned int n)
{
	fail_nth = n;
}

unsigned int shim_fail_nth_get(void)
{
	return fail_nth;
}

bool shim_should_fail(int kind, gfp_t gfp)
{
	if (kind != SHIM_FAIL_USERCOPY && (gfp & __GFP_NOFAIL))
		return false;
	if (fail_nth) {
		if (--fail_nth == 0)
			return true;
		return false;
	}
	return shim_fail_hook && shim_fail_hook(kind, gfp);
}

/* ------------------------------------------------------------------ */
/* Allocation */

static long live_allocs;

long shim_live_allocations(void)
{
	return __atomic_load_n(&live_allocs, __ATOMIC_RELAXED);
}

void shim_might_alloc(gfp_t gfp, const char *file, int line)
{
	if (gfpflags_allow_blocking(gfp))
		shim_might_sleep(file, line);
}

static void *alloc_mem(size_t size, gfp_t gfp)
{
	void *p = (gfp & __GFP_ZERO) ? calloc(1, size) : malloc(size);

	if (p)
		__atomic_add_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	return p;
}

void *shim_kmalloc(size_t size, gfp_t gfp, const char *file, int line)
{
	shim_might_alloc(gfp, file, line);
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_SIZE) {
		/* the page allocator's order check */
		if (!(gfp & __GFP_NOWARN))
			shim_report(SHIM_REPORT_WARN, file, line,
				    "kmalloc of %zu bytes: page allocation order beyond MAX_PAGE_ORDER",
				    size);
		return NULL;
	}
	/* slab, or the page allocator above two pages */
	if (shim_should_fail(size > 2 * PAGE_SIZE ? SHIM_FAIL_PAGE : SHIM_FAIL_SLAB, gfp))
		return NULL;
	return alloc_mem(size, gfp);
}

void *shim_kvmalloc(size_t size, gfp_t gfp, const char *file, int line)
{
	shim_might_alloc(gfp, file, line);
	if (size > INT_MAX) {
		/* 6.12's __kvmalloc_node_noprof() */
		if (!(gfp & __GFP_NOWARN))
			shim_report(SHIM_REPORT_WARN, file, line,
				    "kvmalloc of %zu bytes: beyond INT_MAX", size);
		return NULL;
	}
	if (!size)
		return ZERO_SIZE_PTR;
	/* the kmalloc attempt, then the vmalloc fallback */
	if (size <= KMALLOC_MAX_SIZE && !shim_should_fail(SHIM_FAIL_SLAB, gfp))
		return alloc_mem(size, gfp);
	if (!gfpflags_allow_blocking(gfp) || shim_should_fail(SHIM_FAIL_PAGE, gfp))
		return NULL;
	return alloc_mem(size, gfp);
}

void shim_kfree(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	__atomic_sub_fetch(&live_allocs, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = shim_kmalloc(len, gfp, __FILE__, __LINE__);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

void *kmem_cache_alloc_lru(struct kmem_cache *c, struct list_lru *lru, gfp_t gfp)
{
	void *p;

	(void)lru;
	shim_might_alloc(gfp, __FILE__, __LINE__);
	if (shim_should_fail(SHIM_FAIL_SLAB, gfp))
		return NULL;
	p = alloc_mem(c->size, __GFP_ZERO);
	if (p && c->ctor)
		c->ctor(p);
	return p;
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	(void)c;
	shim_kfree(obj);
}

/* ------------------------------------------------------------------ */
/* Tasks, users, the mm, capabilities, limits */

static struct mm_struct shim_mm = { .mm_count = ATOMIC_INIT(1) };
static __thread struct task_struct task;

struct mm_struct *shim_mm_of_process(void)
{
	return &shim_mm;
}

struct task_struct *shim_current(void)
{
	if (!task.mm) {
		task.mm = &shim_mm;
		task.pid = (int)syscall(SYS_gettid);
		task.comm = "test";
	}
	return &task;
}

static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
static struct user_struct *users;

struct user_struct *shim_user_of(unsigned int uid, bool create)
{
	struct user_struct *u;

	pthread_mutex_lock(&users_lock);
	for (u = users; u; u = u->next)
		if (u->uid == uid)
			break;
	if (!u && create) {
		u = calloc(1, sizeof(*u));
		if (!u)
			abort();
		u->uid = uid;
		refcount_set(&u->__count, 1);	/* the credentials' */
		u->next = users;
		users = u;
	}
	pthread_mutex_unlock(&users_lock);
	return u;
}

long shim_user_locked_vm(unsigned int uid)
{
	struct user_struct *u = shim_user_of(uid, false);

	return u ? atomic_long_read(&u->locked_vm) : 0;
}

/* current_user(): the user of the real uid, as the credentials' */
struct user_struct *shim_current_user(void)
{
	return shim_user_of(getuid(), true);
}

struct user_struct *get_uid(struct user_struct *u)
{
	refcount_inc(&u->__count);
	return u;
}

void free_uid(struct user_struct *u)
{
	if (u)
		refcount_dec(&u->__count);
}

void mmgrab(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_count);
}

void mmdrop(struct mm_struct *mm)
{
	if (atomic_dec_return(&mm->mm_count) <= 0)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "mmdrop() of the last reference of the process's mm");
}

long long shim_mm_pinned_vm(void)
{
	return atomic64_read(&shim_mm.pinned_vm);
}

/* capable(): the effective set of the calling thread, read now */
bool capable(int cap)
{
	/* struct __user_cap_header_struct and __user_cap_data_struct */
	struct { u32 version; int pid; } hdr = { 0x20080522, 0 };
	struct { u32 effective, permitted, inheritable; } data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective >> (cap % 32) & 1;
}

unsigned long rlimit(unsigned int limit)
{
	struct rlimit r;

	if (getrlimit(limit, &r))
		return 0;
	return r.rlim_cur;
}

/* ------------------------------------------------------------------ */
/* User copies: through process_vm_readv/writev on this process, so that
 * an unmapped or protected address gives a real fault. */

/*
 * The user memory of the process, when the program that runs the core says
 * what it is (the fuzzer: its argument pages and its memory regions); else
 * every mapping.  Outside it user copies and pins find nothing, as if it
 * were unmapped: in user space the core shares the process with the shim,
 * the sanitizers' shadow and the program's own data, which a user address
 * never reaches in the kernel.
 */
static const struct shim_user_range *user_ranges;
static unsigned int nuser_ranges;

void shim_set_user_ranges(const struct shim_user_range *r, unsigned int n)
{
	user_ranges = r;
	nuser_ranges = n;
}

size_t shim_user_extent(unsigned long addr, size_t n)
{
	unsigned int i;

	if (!user_ranges)
		return n;
	for (i = 0; i < nuser_ranges; i++) {
		const struct shim_user_range *r = &user_ranges[i];

		if (addr >= r->start && addr - r->start < r->len)
			return min_t(size_t, n, r->len - (addr - r->start));
	}
	return 0;
}

static size_t vm_rw(void *local, unsigned long remote, size_t n, bool write)
{
	struct iovec l, r;
	ssize_t done;

	n = shim_user_extent(remote, n);
	if (!n)
		return 0;
	l = (struct iovec){ .iov_base = local, .iov_len = n };
	r = (struct iovec){ .iov_base = (void *)remote, .iov_len = n };
	done = write ? syscall(SYS_process_vm_writev, getpid(), &l, 1, &r, 1, 0) :
		       syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0);
	return done < 0 ? 0 : (size_t)done;
}

/* As _copy_from_user(): the bytes not copied; the rest of @to is zeroed. */
unsigned long shim_copy_from_user(void *to, const void __user *from,
				  unsigned long n, const char *file, int line)
{
	size_t done = 0;

	shim_might_lock_mmap(file, line);
	if (!shim_should_fail(SHIM_FAIL_USERCOPY, 0) && access_ok(from, n))
		done = vm_rw(to, (unsigned long)from, n, false);
	if (done < n)
		memset((char *)to + done, 0, n - done);
	return n - done;
}

unsigned long shim_copy_to_user(void __user *to, const void *from,
				unsigned long n, const char *file, int line)
{
	shim_might_lock_mmap(file, line);
	if (shim_should_fail(SHIM_FAIL_USERCOPY, 0) || !access_ok(to, n))
		return n;
	return n - vm_rw((void *)from, (unsigned long)to, n, true);
}

int shim_clear_user(void __user *to, unsigned long n)
{
	static const char zero[PAGE_SIZE];
	unsigned long done = 0, k, got;

	shim_might_lock_mmap(__FILE__, __LINE__);
	if (!access_ok(to, n))
		return n;
	while (done < n) {
		k = min_t(unsigned long, n - done, PAGE_SIZE);
		got = vm_rw((void *)zero, (unsigned long)to + done, k, true);
		done += got;
		if (got < k)
			break;
	}
	return n - done;
}

/*
 * check_zeroed_user() as lib/usercopy.c: word by word from the aligned
 * word that holds @from; 1 if every byte is zero, 0 at the first word
 * with a non-zero byte of the range (even if a later word would fault),
 * -EFAULT at a word that cannot be read before that.
 */
int shim_check_zeroed_user(const void __user *from, size_t size)
{
	unsigned long p = (unsigned long)from, val;
	size_t align = p % sizeof(unsigned long);

	if (!size)
		return 1;
	p -= align;
	size += align;
	shim_might_lock_mmap(__FILE__, __LINE__);
	if (!access_ok(p, size))
		return -EFAULT;
	if (vm_rw(&val, p, sizeof(val), false) != sizeof(val))
		return -EFAULT;
	if (align)
		val &= ~((1UL << (8 * align)) - 1);
	while (size > sizeof(unsigned long)) {
		if (val)
			return 0;
		p += sizeof(unsigned long);
		size -= sizeof(unsigned long);
		if (vm_rw(&val, p, sizeof(val), false) != sizeof(val))
			return -EFAULT;
	}
	if (size < sizeof(unsigned long))
		val &= (1UL << (8 * size)) - 1;
	return val == 0;
}

/* ------------------------------------------------------------------ */
/* Modules */

struct module shim_module_ioasid_fd = { .name = "ioasid_fd" };
struct module shim_module_ioasid_mock = { .name = "ioasid_mock" };

bool try_module_get(struct module *m)
{
	if (!m)
		return true;
	if (__atomic_load_n(&m->dying, __ATOMIC_ACQUIRE))
		return false;
	atomic_inc(&m->refcnt);
	return true;
}

void __module_get(struct module *m)
{
	if (m)
		atomic_inc(&m->refcnt);
}

void module_put(struct module *m)
{
	if (m && atomic_dec_return(&m->refcnt) < 0)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "module_put() of %s below zero", m->name);
}

struct initcall {
	const char *mod;
	int (*init)(void);
	void (*exit)(void);
};
static struct initcall initcalls[8];
static int ninitcalls;

void shim_register_initcall(const char *modname, int (*init)(void),
			    void (*exit)(void))
{
	int i;

	for (i = 0; i < ninitcalls; i++)
		if (!strcmp(initcalls[i].mod, modname))
			break;
	if (i == ninitcalls) {
		if (ninitcalls == 8)
			abort();
		initcalls[ninitcalls++].mod = modname;
	}
	if (init)
		initcalls[i].init = init;
	if (exit)
		initcalls[i].exit = exit;
}

static long allocations_after_load;
static bool modules_loaded;

/* Load the modules in the order of their dependencies: the core first. */
void shim_load_modules(void)
{
	static const char *const order_of_load[] = { "ioasid_fd", "ioasid_mock" };
	unsigned int k;
	int i, ret;

	for (k = 0; k < ARRAY_SIZE(order_of_load); k++)
		for (i = 0; i < ninitcalls; i++) {
			if (strcmp(initcalls[i].mod, order_of_load[k]) ||
			    !initcalls[i].init)
				continue;
			ret = initcalls[i].init();
			if (ret)
				shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
					    "init of module %s: %d",
					    initcalls[i].mod, ret);
		}
	allocations_after_load = shim_live_allocations();
	modules_loaded = true;
}

/*
 * What a process whose descriptors are all closed must have given back,
 * checked at its exit (shim_process_exit): no page pinned, nothing charged
 * to any user or to the mm, no file left, no lock held, and no allocation
 * beyond those the modules made when they loaded.  Each difference is a
 * report.  Then the modules unload, as rmmod would (none may still be in
 * use), and their exit functions must free what their init functions
 * allocated.
 */
void shim_check_released(void)
{
	static struct module *const modules[] = {
		&shim_module_ioasid_fd, &shim_module_ioasid_mock,
	};
	struct user_struct *u;
	long n;
	int i;

	if (!modules_loaded)
		return;
	n = shim_pages_pinned();
	if (n)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "leak at exit: %ld pages still pinned", n);
	pthread_mutex_lock(&users_lock);
	for (u = users; u; u = u->next) {
		n = atomic_long_read(&u->locked_vm);
		if (n)
			shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
				    "leak at exit: %ld pages still charged to uid %u",
				    n, u->uid);
	}
	pthread_mutex_unlock(&users_lock);
	if (atomic64_read(&shim_mm.pinned_vm))
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "leak at exit: pinned_vm of the mm is %lld",
			    (long long)atomic64_read(&shim_mm.pinned_vm));
	n = shim_files_open();
	if (n)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "leak at exit: %ld files still open", n);
	n = shim_live_allocations() - allocations_after_load;
	if (n)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "leak at exit: %ld allocations more than after the modules loaded",
			    n);
	for (i = 0; i < (int)ARRAY_SIZE(modules); i++)
		if (atomic_read(&modules[i]->refcnt))
			shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
				    "module %s still in use at exit (%d)",
				    modules[i]->name,
				    atomic_read(&modules[i]->refcnt));
	/* unload in the reverse order of the load */
	for (i = ninitcalls - 1; i >= 0; i--)
		if (!strcmp(initcalls[i].mod, "ioasid_mock") && initcalls[i].exit)
			initcalls[i].exit();
	for (i = ninitcalls - 1; i >= 0; i--)
		if (!strcmp(initcalls[i].mod, "ioasid_fd") && initcalls[i].exit)
			initcalls[i].exit();
	modules_loaded = false;
	shim_rcu_process();
	n = shim_live_allocations();
	if (n)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "leak at unload: %ld allocations left after the modules' exit",
			    n);
}
