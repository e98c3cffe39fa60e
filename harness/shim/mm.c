// SPDX-License-Identifier: GPL-2.0
/*
 * Pages of the user-space shim.
 *
 * A struct page stands for the physical page behind one virtual page of
 * this process.  It is made when get/pin_user_pages first meets the
 * address and keeps its identity (and its dirty flag) while the address
 * stays mapped.  While attached, its memory is the process's own memory
 * at that address, so the CPU and a device see the same bytes.  When the
 * mapping goes away (munmap, mmap MAP_FIXED over it, mremap, madvise
 * DONTNEED; the interposer reports these), a page still referenced or
 * pinned is detached: its content is copied into the page object, which
 * lives on until the last unpin, as a pinned page outlives its mapping in
 * the kernel; a new page is made for whatever is mapped there later.
 *
 * pin_user_pages finds holes, read-only and PROT_NONE memory, and
 * mappings GUP refuses (VM_IO/VM_PFNMAP, long-term writable pins of
 * shared file mappings) from /proc/self/maps, and faults the pages in by
 * reading one byte of each with process_vm_readv.  The parsed maps are
 * kept until the address space changes as the shim sees it (every change
 * the interposer passes on takes the mm write lock, and its unlock makes
 * the copy stale); a mapping that is missing or lacks a permission in the
 * copy is looked up again in a fresh read, because the C library and the
 * sanitizers map memory behind the interposer's back.  What the copy can
 * miss is only a permission taken away behind its back; the probe still
 * finds every hole.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <shim/base.h>
#include <shim/shim.h>
#include <linux/list.h>

#define HASH_BITS 16
#define PFN_CHUNK_BITS 16
#define PFN_DIR_SIZE (1UL << 21)

/* the address index and the lives of detached pages */
static pthread_rwlock_t pages_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct page *index_hash[1UL << HASH_BITS];
static long nattached;
static struct list_head attached = LIST_HEAD_INIT(attached);
static struct page **pfn_dir[PFN_DIR_SIZE];
#define SYNTHETIC_PFN (1UL << 36)
static unsigned long next_pfn = SYNTHETIC_PFN;
static long npinned;		/* pages with a pin */

static unsigned int hash_of(unsigned long uaddr)
{
	unsigned long k = uaddr >> PAGE_SHIFT;

	return (unsigned int)((k * 0x9E3779B97F4A7C15UL) >> (64 - HASH_BITS));
}

struct page *pfn_to_page(unsigned long pfn)
{
	struct page **chunk = NULL;

	if ((pfn >> PFN_CHUNK_BITS) < PFN_DIR_SIZE)
		chunk = __atomic_load_n(&pfn_dir[pfn >> PFN_CHUNK_BITS],
					__ATOMIC_ACQUIRE);
	if (!chunk)
		return NULL;
	return __atomic_load_n(&chunk[pfn & ((1UL << PFN_CHUNK_BITS) - 1)],
			       __ATOMIC_ACQUIRE);
}

/* pages_lock held for writing */
static void set_pfn(unsigned long pfn, struct page *p)
{
	struct page ***slot = &pfn_dir[pfn >> PFN_CHUNK_BITS];

	if ((pfn >> PFN_CHUNK_BITS) >= PFN_DIR_SIZE)
		abort();
	if (!*slot) {
		struct page **c = calloc(1UL << PFN_CHUNK_BITS, sizeof(*c));

		if (!c)
			abort();
		__atomic_store_n(slot, c, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&(*slot)[pfn & ((1UL << PFN_CHUNK_BITS) - 1)], p,
			 __ATOMIC_RELEASE);
}

static struct page *index_find(unsigned long uaddr)
{
	struct page *p;

	for (p = index_hash[hash_of(uaddr)]; p; p = p->hnext)
		if (p->uaddr == uaddr)
			return p;
	return NULL;
}

static void index_remove(struct page *p)
{
	struct page **pp = &index_hash[hash_of(p->uaddr)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	p->hnext = NULL;
	list_del(&p->alist);
	nattached--;
}

static void index_insert(struct page *p)
{
	unsigned int h = hash_of(p->uaddr);

	p->hnext = index_hash[h];
	index_hash[h] = p;
	list_add(&p->alist, &attached);
	nattached++;
}

/*
 * The frame of the page at @uaddr as /proc/self/pagemap shows it (to a
 * process with CAP_SYS_ADMIN), or 0.  A page of the shim takes the real
 * frame while no other page of the shim has it, so that the contiguity
 * the core sees is the real one (tests arrange discontiguous frames with
 * mremap); a frame seen twice (the zero page, a frame the kernel reused
 * after an unpinned munmap) gets a synthetic one.
 */
static unsigned long real_pfn(unsigned long uaddr)
{
	static int fd = -2;
	unsigned long long e;

	if (fd == -2)
		fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap",
				  O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_pread64, fd, &e, sizeof(e),
			      (uaddr >> PAGE_SHIFT) * sizeof(e)) != sizeof(e))
		return 0;
	if (!(e >> 63 & 1))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/*
 * A new page at @uaddr.  Pages made for consecutive addresses one after
 * the other get consecutive frames, as memory often is; others start a
 * new stretch after a gap, so that nothing looks contiguous by accident.
 */
static struct page *page_new(unsigned long uaddr, unsigned long *last_uaddr,
			     unsigned long *last_pfn)
{
	struct page *p = calloc(1, sizeof(*p));

	unsigned long real = real_pfn(uaddr);

	if (!p)
		abort();
	if (real && !pfn_to_page(real) && real < SYNTHETIC_PFN)
		p->pfn = real;
	else if (*last_pfn && *last_uaddr + PAGE_SIZE == uaddr &&
	    *last_pfn + 1 == next_pfn)
		p->pfn = next_pfn++;
	else {
		p->pfn = next_pfn + 1;
		next_pfn += 2;
	}
	*last_pfn = p->pfn;
	*last_uaddr = uaddr;
	p->uaddr = uaddr;
	p->flags = SHIM_PG_ATTACHED;
	set_pfn(p->pfn, p);
	index_insert(p);
	return p;
}

static bool page_unused(struct page *p)
{
	return !atomic_read(&p->refcount) && !atomic_read(&p->pincount);
}

/* pages_lock held for writing */
static void page_free(struct page *p)
{
	set_pfn(p->pfn, NULL);
	free(p->copy);
	free(p);
}

/* pages_lock held for writing; @p attached */
static void page_detach(struct page *p)
{
	struct iovec l, r;

	index_remove(p);
	p->flags &= ~SHIM_PG_ATTACHED;
	if (page_unused(p)) {
		page_free(p);
		return;
	}
	p->copy = calloc(1, PAGE_SIZE);
	if (!p->copy)
		abort();
	l = (struct iovec){ p->copy, PAGE_SIZE };
	r = (struct iovec){ (void *)p->uaddr, PAGE_SIZE };
	if (syscall(SYS_process_vm_readv, getpid(), &l, 1, &r, 1, 0) != (ssize_t)PAGE_SIZE)
		memset(p->copy, 0, PAGE_SIZE);
}

/*
 * The pages' read locks this thread holds, and the write locks it skipped
 * meanwhile.  The one rule: a thread with a page mapped
 * (kmap_local_page()) holds the read lock, so no detach and no change of
 * the address space can run while it does, and every write lock it would
 * take (an unmap by the sanitizer's symbolizer when the copy faults, the
 * drop of a pin or a reference) is skipped rather than waited for: it
 * would wait for itself.
 */
static __thread unsigned int pages_read_held, write_skipped;

void shim_mm_write_lock(void)
{
	if (pages_read_held) {
		write_skipped++;
		return;
	}
	pthread_rwlock_wrlock(&pages_lock);
}

static unsigned long maps_gen;	/* changes of the address space */

void shim_mm_write_unlock(void)
{
	__atomic_add_fetch(&maps_gen, 1, __ATOMIC_RELEASE);
	if (write_skipped) {
		write_skipped--;
		return;
	}
	pthread_rwlock_unlock(&pages_lock);
}

void shim_mm_detach(unsigned long start, unsigned long len)
{
	unsigned long a, end, n = len >> PAGE_SHIFT;
	struct page *p, *next;

	start &= PAGE_MASK;
	if (__builtin_add_overflow(start, len, &end))
		end = ~0UL;
	if (!nattached)
		return;
	if (n > (unsigned long)nattached) {
		list_for_each_entry_safe(p, next, &attached, alist)
			if (p->uaddr >= start && p->uaddr < end)
				page_detach(p);
		return;
	}
	for (a = start; a < end && a >= start; a += PAGE_SIZE) {
		p = index_find(a);
		if (p)
			page_detach(p);
	}
}

/*
 * What the program unmaps becomes an inaccessible mapping instead of a
 * hole.  In the kernel, the core's own allocations never take addresses
 * of the user's address space; here the shim's (and the sanitizer's)
 * allocations are mappings of the same process, and one of them could
 * land in a range a test has just unmapped, so that an access the test
 * expects to fault would succeed.  A PROT_NONE mapping faults as a hole
 * does (for process_vm_readv and for pinning) and keeps its addresses
 * from being handed out again.  The pages there are detached first.
 * 0, or -1 with errno.
 */
int shim_mm_unmap(unsigned long addr, size_t len)
{
	size_t whole = (len + PAGE_SIZE - 1) & PAGE_MASK;

	if (addr & ~PAGE_MASK || !len || whole < len)
		return (int)syscall(SYS_munmap, addr, len);
	shim_mm_detach(addr, whole);
	if ((void *)syscall(SYS_mmap, addr, whole, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			    MAP_NORESERVE, -1, 0) != MAP_FAILED)
		return 0;
	return (int)syscall(SYS_munmap, addr, len);
}

void shim_mm_move(unsigned long old, unsigned long new, unsigned long len)
{
	struct page *moved = NULL, *p, *next;
	unsigned long a;

	shim_mm_detach(new, len);
	for (a = 0; a < len; a += PAGE_SIZE) {
		p = index_find(old + a);
		if (!p)
			continue;
		index_remove(p);
		p->uaddr = new + a;
		p->hnext = moved;
		moved = p;
	}
	for (p = moved; p; p = next) {
		next = p->hnext;
		index_insert(p);
	}
}

long shim_pages_pinned(void)
{
	return __atomic_load_n(&npinned, __ATOMIC_RELAXED);
}

static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

/* the order: pages_lock, then maps_lock */
void shim_mm_atfork_prepare(void)
{
	pthread_rwlock_wrlock(&pages_lock);
	pthread_mutex_lock(&maps_lock);
}

void shim_mm_atfork_parent(void)
{
	pthread_mutex_unlock(&maps_lock);
	pthread_rwlock_unlock(&pages_lock);
}

/* the child's only thread: a fresh lock rather than an unlock of the
 * parent thread's write lock */
void shim_mm_atfork_child(void)
{
	pthread_rwlock_init(&pages_lock, NULL);
	pthread_mutex_init(&maps_lock, NULL);
}

/* ------------------------------------------------------------------ */
/* The mappings, from /proc/self/maps */

struct vma {
	unsigned long start, end;
	bool read, write, exec, shared;
	bool special;		/* VM_IO/VM_PFNMAP: [vvar], [vsyscall] */
	bool file;		/* a regular file, not shmem */
};

/* The text of /proc/self/maps in *@buf (malloc'ed), or -1. */
static int read_maps(char **buf)
{
	size_t cap = 1 << 16, len = 0;
	ssize_t n;
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
			  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*buf = malloc(cap + 1);
	if (!*buf)
		abort();
	for (;;) {
		if (len == cap) {
			cap *= 2;
			*buf = realloc(*buf, cap + 1);
			if (!*buf)
				abort();
		}
		n = syscall(SYS_read, fd, *buf + len, cap - len);
		if (n <= 0)
			break;
		len += n;
	}
	syscall(SYS_close, fd);
	(*buf)[len] = 0;
	return 0;
}

/* One line of the maps: "start-end perms offset maj:min inode   path". */
static bool parse_vma(const char *line, struct vma *v)
{
	const char *path;
	unsigned long ino;
	char *q;
	int i;

	v->start = strtoul(line, &q, 16);
	if (*q != '-')
		return false;
	v->end = strtoul(q + 1, &q, 16);
	if (*q != ' ' || strlen(q) < 6)
		return false;
	v->read = q[1] == 'r';
	v->write = q[2] == 'w';
	v->exec = q[3] == 'x';
	v->shared = q[4] == 's';
	q += 6;
	for (i = 0; i < 2; i++) {	/* offset, device */
		while (*q == ' ')
			q++;
		while (*q && *q != ' ' && *q != '\n')
			q++;
	}
	ino = strtoul(q, &q, 10);
	while (*q == ' ')
		q++;
	path = q;
	v->special = !strncmp(path, "[vvar]", 6) ||
		     !strncmp(path, "[vvar_vclock]", 13) ||
		     !strncmp(path, "[vsyscall]", 10);
	v->file = path[0] == '/' && ino &&
		  strncmp(path, "/memfd:", 7) &&
		  strncmp(path, "/dev/zero", 9) &&
		  strncmp(path, "/SYSV", 5) &&
		  strncmp(path, "/dev/shm/", 9);
	return true;
}

/* the parsed maps of generation maps_cached_gen, under maps_lock */
static struct vma *maps_cache;
static unsigned long maps_cache_len, maps_cache_cap, maps_cached_gen = ~0UL;

static int maps_refresh(void)
{
	unsigned long gen = __atomic_load_n(&maps_gen, __ATOMIC_ACQUIRE);
	char *text, *line, *nl;
	struct vma v;

	if (read_maps(&text))
		return -1;
	maps_cache_len = 0;
	for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (!parse_vma(line, &v))
			continue;
		if (maps_cache_len == maps_cache_cap) {
			maps_cache_cap = maps_cache_cap ? 2 * maps_cache_cap : 256;
			maps_cache = realloc(maps_cache, maps_cache_cap *
					     sizeof(*maps_cache));
			if (!maps_cache)
				abort();
		}
		maps_cache[maps_cache_len++] = v;
	}
	free(text);
	maps_cached_gen = gen;
	return 0;
}

/*
 * Under maps_lock: make the copy of the maps that of the current
 * generation; *@fresh tells whether it was read just now.  A caller that
 * finds less than it looks for in a copy that was not read just now reads
 * it once more: the C library maps memory behind the interposer, so the
 * copy of the current generation may miss a mapping.  -1 when the maps
 * cannot be read.
 */
static int maps_current(bool *fresh)
{
	*fresh = false;
	if (maps_cached_gen == __atomic_load_n(&maps_gen, __ATOMIC_ACQUIRE))
		return 0;
	if (maps_refresh())
		return -1;
	*fresh = true;
	return 0;
}

/* The mapping of the copy that contains @addr (sorted by address). */
static bool find_vma(unsigned long addr, struct vma *v)
{
	unsigned long lo = 0, hi = maps_cache_len;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (addr < maps_cache[mid].start)
			hi = mid;
		else if (addr >= maps_cache[mid].end)
			lo = mid + 1;
		else {
			*v = maps_cache[mid];
			return true;
		}
	}
	return false;
}

/*
 * How many pages from @start on, up to @end, GUP would take with
 * @gup_flags as the copy of the maps sees them.
 */
static unsigned long gup_allowed(unsigned long start, unsigned long end,
				 unsigned int gup_flags)
{
	bool write = gup_flags & FOLL_WRITE;
	struct vma v = { 0 };
	unsigned long a, good = 0;

	for (a = start; a < end; a += PAGE_SIZE, good++) {
		if (a >= v.end && !find_vma(a, &v))
			break;
		if (!v.read || v.special || (write && !v.write) ||
		    shim_user_extent(a, PAGE_SIZE) < PAGE_SIZE)
			break;
		if ((gup_flags & FOLL_LONGTERM) && write && v.shared && v.file)
			break;
	}
	return good;
}

/* How many of the @n pages from @addr fault in for reading (each byte). */
static unsigned long probe_pages(unsigned long addr, unsigned long n)
{
	struct iovec l[64], r[64];
	unsigned char sink[64];
	unsigned long done = 0, k, i;
	ssize_t got;

	while (done < n) {
		k = min_t(unsigned long, n - done, 64);
		for (i = 0; i < k; i++) {
			l[i] = (struct iovec){ &sink[i], 1 };
			r[i] = (struct iovec){
				(void *)(addr + ((done + i) << PAGE_SHIFT)), 1 };
		}
		got = syscall(SYS_process_vm_readv, getpid(), l, k, r, k, 0);
		if (got <= 0)
			break;
		done += got;
		if ((unsigned long)got < k)
			break;
	}
	return done;
}

/*
 * get_user_pages_fast()/pin_user_pages_fast(): the number of pages from
 * @start on that were taken, or -EFAULT when not even the first could be.
 */
long shim_pin_user_pages(unsigned long start, unsigned long nr,
			 unsigned int gup_flags, struct page **pages, bool pin,
			 const char *file, int line)
{
	unsigned long end, good, last_uaddr = 0, last_pfn = 0, i;
	bool fresh = false;
	long ret;

	start &= PAGE_MASK;
	if (!nr)
		return 0;
	if (nr > (ULONG_MAX >> PAGE_SHIFT) ||
	    __builtin_add_overflow(start, nr << PAGE_SHIFT, &end))
		return -EOVERFLOW;
	if (end > SHIM_USER_PTR_MAX)
		return -EFAULT;
	if (shim_fatal_signal())	/* as GUP checks before each page */
		return -EINTR;

	shim_lock_acquire_pseudo(&shim_mmap_lock, file, line);
	pthread_mutex_lock(&maps_lock);
	if (maps_current(&fresh))
		goto nomem;
	good = gup_allowed(start, end, gup_flags);
	if (start + (good << PAGE_SHIFT) < end && !fresh) {
		if (maps_refresh())
			goto nomem;
		good = gup_allowed(start, end, gup_flags);
	}
	pthread_mutex_unlock(&maps_lock);
	good = probe_pages(start, good);
	if (!good) {
		ret = -EFAULT;
		goto out;
	}
	pthread_rwlock_wrlock(&pages_lock);
	for (i = 0; i < good; i++) {
		unsigned long ua = start + (i << PAGE_SHIFT);
		struct page *p = index_find(ua);

		if (!p)
			p = page_new(ua, &last_uaddr, &last_pfn);
		if (pin) {
			if (atomic_inc_return(&p->pincount) == 1)
				__atomic_add_fetch(&npinned, 1, __ATOMIC_RELAXED);
		} else {
			atomic_inc(&p->refcount);
		}
		pages[i] = p;
	}
	pthread_rwlock_unlock(&pages_lock);
	ret = good;
out:
	shim_lock_release_pseudo(&shim_mmap_lock, file, line);
	return ret;
nomem:
	pthread_mutex_unlock(&maps_lock);
	ret = -ENOMEM;
	goto out;
}

/*
 * The references and pins of a page drop under the pages' write lock: a
 * page that is detached and unused is freed at once, by whichever comes
 * last of its final unpin or put and its detach (shim_mm_detach() holds
 * the lock too).  Dropping them outside it let a detach on another thread
 * free the page between an unpin's decrement and its look at the flags.
 * A thread with a page mapped skips the lock (pages_read_held above).
 */
static void pages_drop_lock(void)
{
	if (!pages_read_held)
		pthread_rwlock_wrlock(&pages_lock);
}

static void pages_drop_unlock(void)
{
	if (!pages_read_held)
		pthread_rwlock_unlock(&pages_lock);
}

/* pages_drop_lock() held */
static void page_free_if_done(struct page *p)
{
	if (!(p->flags & SHIM_PG_ATTACHED) && page_unused(p))
		page_free(p);
}

void get_page(struct page *page)
{
	atomic_inc(&page->refcount);
}

void put_page(struct page *page)
{
	int left;

	pages_drop_lock();
	left = atomic_dec_return(&page->refcount);
	if (left < 0)
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "put_page() of a page without a reference (pfn %#lx)",
			    page->pfn);
	else if (!left)
		page_free_if_done(page);
	pages_drop_unlock();
}

/* pages_drop_lock() held */
static void unpin_one(struct page *page, bool make_dirty)
{
	int left;

	if (make_dirty)
		__atomic_or_fetch(&page->flags, SHIM_PG_DIRTY, __ATOMIC_RELAXED);
	left = atomic_dec_return(&page->pincount);
	if (left < 0) {
		shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
			    "unpin of a page that is not pinned (pfn %#lx)",
			    page->pfn);
		return;
	}
	if (!left) {
		__atomic_sub_fetch(&npinned, 1, __ATOMIC_RELAXED);
		page_free_if_done(page);
	}
}

void unpin_user_page(struct page *page)
{
	pages_drop_lock();
	unpin_one(page, false);
	pages_drop_unlock();
}

void unpin_user_pages(struct page **pages, unsigned long npages)
{
	unsigned long i;

	pages_drop_lock();
	for (i = 0; i < npages; i++)
		unpin_one(pages[i], false);
	pages_drop_unlock();
}

void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty)
{
	unsigned long i;

	pages_drop_lock();
	for (i = 0; i < npages; i++)
		unpin_one(pages[i], make_dirty);
	pages_drop_unlock();
}

/* The @npages physically contiguous pages from @page on. */
void unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
				      bool make_dirty)
{
	unsigned long i, pfn = page->pfn;

	might_sleep();
	pages_drop_lock();
	for (i = 0; i < npages; i++) {
		struct page *p = pfn_to_page(pfn + i);

		if (!p) {
			shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__,
				    "unpin of frame %#lx, which has no page",
				    pfn + i);
			break;
		}
		unpin_one(p, make_dirty);
	}
	pages_drop_unlock();
}

bool folio_maybe_dma_pinned(struct folio *f)
{
	return atomic_read(&f->page.pincount) > 0;
}

bool folio_test_dirty(struct folio *f)
{
	return READ_ONCE(f->page.flags) & SHIM_PG_DIRTY;
}

/*
 * The page's memory: the process's while attached, the copy after.  A
 * device reaches a pinned page whatever the CPU's protection of its
 * address has become since; so while an attached page is mapped without
 * read and write access, its address is made accessible for the time of
 * the mapping and its protection put back at kunmap_local().  The read
 * lock of the pages keeps every change of the address space the
 * interposer passes on out meanwhile, and maps_lock keeps pins from
 * seeing the borrowed access.  Such mappings nest (a thread may map two
 * pages at once); a thread keeps maps_lock while it has any.
 */
struct kmap_borrow {
	unsigned long addr;
	int prot;		/* to put back; -1: an inner mapping of it */
};

static __thread struct kmap_borrow borrowed[8];
static __thread unsigned int nborrowed;

static int vma_prot(const struct vma *v)
{
	return (v->read ? PROT_READ : 0) | (v->write ? PROT_WRITE : 0) |
	       (v->exec ? PROT_EXEC : 0);
}

/* The protection of @uaddr from the maps, or -1 if it is not mapped. */
static int prot_of(unsigned long uaddr)
{
	struct vma v;
	bool fresh;

	if (maps_current(&fresh))
		abort();
	if (!find_vma(uaddr, &v) &&
	    (fresh || maps_refresh() || !find_vma(uaddr, &v)))
		return -1;
	return vma_prot(&v);
}

static void kmap_borrow(unsigned long uaddr)
{
	unsigned int i;
	int prot;

	if (!nborrowed)
		pthread_mutex_lock(&maps_lock);
	for (i = 0; i < nborrowed; i++)
		if (borrowed[i].addr == uaddr)
			break;
	if (i < nborrowed) {
		prot = -1;
	} else {
		prot = prot_of(uaddr);
		if (prot < 0 || (prot & (PROT_READ | PROT_WRITE)) ==
				(PROT_READ | PROT_WRITE)) {
			if (!nborrowed)
				pthread_mutex_unlock(&maps_lock);
			return;
		}
		if (syscall(SYS_mprotect, uaddr, PAGE_SIZE,
			    prot | PROT_READ | PROT_WRITE))
			abort();
	}
	if (nborrowed == ARRAY_SIZE(borrowed))
		abort();
	borrowed[nborrowed++] = (struct kmap_borrow){ uaddr, prot };
}

void *kmap_local_page(struct page *page)
{
	pthread_rwlock_rdlock(&pages_lock);
	pages_read_held++;
	if (!(page->flags & SHIM_PG_ATTACHED))
		return page->copy;
	kmap_borrow(page->uaddr);
	return (void *)page->uaddr;
}

/* kmap_local mappings end in the reverse order of their beginnings */
void kunmap_local(const void *addr)
{
	unsigned long a = (unsigned long)addr & PAGE_MASK;

	if (nborrowed && borrowed[nborrowed - 1].addr == a) {
		int prot = borrowed[--nborrowed].prot;

		if (prot >= 0 && syscall(SYS_mprotect, a, PAGE_SIZE, prot))
			abort();
		/* a parse of the maps meanwhile saw the borrowed access */
		maps_cached_gen = ~0UL;
		if (!nborrowed)
			pthread_mutex_unlock(&maps_lock);
	}
	pages_read_held--;
	pthread_rwlock_unlock(&pages_lock);
}
