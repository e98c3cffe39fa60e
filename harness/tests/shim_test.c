// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the shim against the kernel's documented behaviour: the user
 * copies (include/linux/uaccess.h, lib/usercopy.c), access_ok() of x86-64,
 * pinning (holes, read-only memory, pages that outlive their mapping, the
 * dirty flag), failure injection, and the lock checker's reports, each
 * checker case in a child that must abort.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shim/base.h>
#include <shim/shim.h>

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "shim_test: %s:%d: %s\n", __FILE__,	\
			__LINE__, #cond);				\
		failures++;						\
	}								\
} while (0)

static unsigned char *map(size_t len, int prot)
{
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	memset(p, 0, len);
	mprotect(p, len, prot);
	return p;
}

static void test_user_copies(void)
{
	unsigned char *p = map(2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	unsigned char k[32];
	u32 v = 7;
	unsigned long n;

	/* the second page cannot be accessed (an unmapped page could be
	 * refilled by any allocation of the process) */
	mprotect(p + PAGE_SIZE, PAGE_SIZE, PROT_NONE);
	memset(p, 0x11, PAGE_SIZE);

	/* copy_from_user: bytes not copied, the rest of the buffer zeroed */
	memset(k, 0xff, sizeof(k));
	n = copy_from_user(k, p + PAGE_SIZE - 8, 16);
	if (n != 8)
		fprintf(stderr, "copy_from_user: %lu not copied\n", n);
	CHECK(n == 8);
	CHECK(k[7] == 0x11 && k[8] == 0 && k[15] == 0);
	CHECK(copy_to_user(p + PAGE_SIZE - 4, k, 8) == 4);
	CHECK(get_user(v, (u32 *)(p + PAGE_SIZE)) == -EFAULT && v == 0);
	CHECK(put_user(5u, (u32 *)p) == 0 && *(u32 *)p == 5);
	CHECK(get_user(v, (u32 *)NULL) == -EFAULT);

	/* copy_struct_from_user(): zero-extend, E2BIG for a non-zero tail,
	 * EFAULT for an unreadable tail, the tail checked before the copy */
	memset(p, 0, 64);
	p[0] = 1;
	memset(k, 0xff, sizeof(k));
	CHECK(copy_struct_from_user(k, 16, p, 8) == 0);
	CHECK(k[0] == 1 && k[8] == 0 && k[15] == 0);
	CHECK(copy_struct_from_user(k, 16, p, 64) == 0);
	p[40] = 1;
	CHECK(copy_struct_from_user(k, 16, p, 64) == -E2BIG);
	CHECK(copy_struct_from_user(k, 16, p + PAGE_SIZE - 16, 32) == -EFAULT);
	p[PAGE_SIZE - 1] = 1;
	/* a non-zero byte before the unreadable part: E2BIG, as the word
	 * loop of check_zeroed_user() stops there */
	CHECK(copy_struct_from_user(k, 8, p + PAGE_SIZE - 16, 32) == -E2BIG);
	CHECK(check_zeroed_user(p + 1, 0) == 1);
	CHECK(check_zeroed_user(p + 41, 3) == 1);
	CHECK(check_zeroed_user(p + 39, 3) == 0);

	/* access_ok() of 6.12 x86-64: the sum stays within USER_PTR_MAX */
	CHECK(access_ok((void *)(SHIM_USER_PTR_MAX - 16), 16));
	CHECK(!access_ok((void *)(SHIM_USER_PTR_MAX - 16), 17 + PAGE_SIZE));
	CHECK(!access_ok((void *)-4096UL, 8192));
	munmap(p, 2 * PAGE_SIZE);
}

static void test_pinning(void)
{
	unsigned char *p = map(4 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	unsigned char *ro = map(PAGE_SIZE, PROT_READ);
	struct page *pages[4], *again;
	long n;

	memset(p, 0x22, 4 * PAGE_SIZE);
	mprotect(p + 2 * PAGE_SIZE, PAGE_SIZE, PROT_NONE);	/* no access to page 2 */
	n = pin_user_pages_fast((unsigned long)p, 4, FOLL_WRITE | FOLL_LONGTERM, pages);
	CHECK(n == 2);
	CHECK(pin_user_pages_fast((unsigned long)p + 2 * PAGE_SIZE, 1, FOLL_WRITE, pages + 2) == -EFAULT);
	CHECK(pin_user_pages_fast((unsigned long)ro, 1, FOLL_WRITE, pages + 2) == -EFAULT);
	CHECK(pin_user_pages_fast((unsigned long)ro, 1, 0, pages + 2) == 1);
	unpin_user_page(pages[2]);
	CHECK(folio_maybe_dma_pinned(page_folio(pages[0])));

	/* the pinned page outlives munmap and keeps its content */
	munmap(p, PAGE_SIZE);
	{
		unsigned char *va = kmap_local_page(pages[0]);

		CHECK(va[100] == 0x22);
		kunmap_local(va);
	}
	/* what is mapped there later is another page */
	CHECK(mmap(p, PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p);
	p[0] = 1;
	CHECK(get_user_pages_fast((unsigned long)p, 1, 0, &again) == 1);
	CHECK(again != pages[0] && !folio_maybe_dma_pinned(page_folio(again)));
	put_page(again);

	/* unpinning with the dirty mark leaves the page dirty */
	unpin_user_pages_dirty_lock(pages + 1, 1, true);
	CHECK(get_user_pages_fast((unsigned long)p + PAGE_SIZE, 1, 0, &again) == 1);
	CHECK(again == pages[1] && folio_test_dirty(page_folio(again)));
	put_page(again);
	unpin_user_page(pages[0]);
	CHECK(shim_pages_pinned() == 0);
}

/* A device reaches a pinned page that the program made inaccessible, and
 * the page is inaccessible again afterwards. */
static void test_kmap_protection(void)
{
	unsigned char *p = map(PAGE_SIZE, PROT_READ | PROT_WRITE);
	unsigned char *va, *inner;
	struct page *pg, *other;

	memset(p, 0x33, PAGE_SIZE);
	CHECK(pin_user_pages_fast((unsigned long)p, 1, FOLL_WRITE, &pg) == 1);
	mprotect(p, PAGE_SIZE, PROT_NONE);
	va = kmap_local_page(pg);
	inner = kmap_local_page(pg);
	CHECK(inner[1] == 0x33);
	inner[1] = 0x44;
	kunmap_local(inner);
	va[2] = 0x55;		/* the outer mapping still has the access */
	kunmap_local(va);
	CHECK(pin_user_pages_fast((unsigned long)p, 1, 0, &other) == -EFAULT);
	mprotect(p, PAGE_SIZE, PROT_READ);
	CHECK(p[1] == 0x44 && p[2] == 0x55 && p[3] == 0x33);
	CHECK(pin_user_pages_fast((unsigned long)p, 1, FOLL_WRITE, &other) == -EFAULT);
	unpin_user_page(pg);
	munmap(p, PAGE_SIZE);
	CHECK(shim_pages_pinned() == 0);
}

static void test_fail_nth(void)
{
	void *a, *b;

	shim_fail_nth_set(2);
	a = kmalloc(8, GFP_KERNEL);
	b = kmalloc(8, GFP_KERNEL);
	CHECK(a && !b && shim_fail_nth_get() == 0);
	kfree(a);
	shim_fail_nth_set(1);
	CHECK(kvmalloc(64, GFP_KERNEL) != NULL);	/* the vmalloc fallback */
	shim_fail_nth_set(0);
}

/* A checker case: @fn must make the process abort with a report. */
static void expect_report(const char *what, void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		fprintf(stderr, "shim_test: no report for %s\n", what);
		failures++;
	}
}

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(spin);

static void inversion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
}

static void sleep_under_spinlock(void)
{
	spin_lock(&spin);
	kfree(kmalloc(8, GFP_KERNEL));
}

static void *unlocker(void *arg)
{
	mutex_unlock((struct mutex *)arg);
	return NULL;
}

static void unlock_by_other(void)
{
	pthread_t t;

	mutex_lock(&lock_a);
	pthread_create(&t, NULL, unlocker, &lock_a);
	pthread_join(t, NULL);
}

static void held_at_return(void)
{
	shim_syscall_enter();
	mutex_lock(&lock_a);
	shim_syscall_exit();
}

static void refcount_from_zero(void)
{
	refcount_t r = REFCOUNT_INIT(0);

	refcount_inc(&r);
}

static void no_report(void)
{
	mutex_lock(&lock_a);
	spin_lock(&spin);
	spin_unlock(&spin);
	mutex_unlock(&lock_a);
	abort();	/* the expected way out */
}

int main(void)
{
	test_user_copies();
	test_pinning();
	test_kmap_protection();
	test_fail_nth();
	expect_report("an inverted lock order", inversion);
	expect_report("a sleep under a spinlock", sleep_under_spinlock);
	expect_report("an unlock by a non-owner", unlock_by_other);
	expect_report("a lock held on return to user space", held_at_return);
	expect_report("refcount_inc() from 0", refcount_from_zero);
	expect_report("(control)", no_report);
	printf("shim_test: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
