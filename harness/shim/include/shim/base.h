/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-space model of the kernel API that the /dev/ioasid core, the
 * mock framework and the mock IOMMU use.  Every linux header of the
 * shim includes this one; the definitions live in the C files of
 * harness/shim.
 *
 * It models what the core relies on, not the kernel's implementation:
 * locks are pthread mutexes with a lock checker, user copies go through
 * process_vm_readv/writev on the own process, pages are objects of the
 * shim that pin_user_pages hands out, files are objects behind real
 * placeholder descriptors.
 */
#ifndef _SHIM_BASE_H
#define _SHIM_BASE_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <fcntl.h>
#include <asm/types.h>
#include <asm-generic/ioctl.h>

/* ------------------------------------------------------------------ */
/* Types */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __le16;
typedef __u32 __le32;
typedef __u64 __le64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u16 __sum16;
typedef __u32 __wsum;
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#define __aligned_be64 __be64 __attribute__((aligned(8)))
#define __aligned_le64 __le64 __attribute__((aligned(8)))
typedef unsigned int __poll_t;
typedef unsigned int gfp_t;
typedef unsigned int fmode_t;
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef unsigned long pgoff_t;

typedef _Bool bool_t;

struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { long long counter; } atomic64_t;

/* ------------------------------------------------------------------ */
/* Compiler */

#define __user
#define __kernel
#define __iomem
#define __rcu
#define __force
#define __bitwise
#define __safe
#define __private
#define __percpu
#define __must_check __attribute__((warn_unused_result))
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define __maybe_unused __attribute__((unused))
#define __always_unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __aligned(x) __attribute__((aligned(x)))
#define __packed __attribute__((packed))
#define __init
#define __exit
#define __initdata
#define __read_mostly
#define __cold __attribute__((cold))
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __cond_acquires(x)
#define notrace
#define __pure __attribute__((pure))
#define __counted_by(m)
#define fallthrough __attribute__((fallthrough))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" : : : "memory")
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))
#define __must_be_array(a) BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))

#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile typeof(x) *)&(x) = (val); } while (0)

#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_acquire__after_ctrl_dep() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()
#define smp_load_acquire(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)

#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int:(-!!(e)); })))
#define BUILD_BUG_ON(e) ((void)BUILD_BUG_ON_ZERO(e))
#define BUILD_BUG_ON_MSG(e, m) _Static_assert(!(e), m)
#define static_assert(e, ...) _Static_assert(e, #e)

/* ------------------------------------------------------------------ */
/* Arithmetic and helpers */

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define BITS_PER_LONG 64
#define BITS_PER_BYTE 8
#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l) (((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (63 - (h))))

#define U8_MAX ((u8)~0U)
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define SIZE_MAX_SHIM (~(size_t)0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + __must_be_array(a))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define container_of_const container_of
#define sizeof_field(t, m) sizeof(((t *)0)->m)
#define offsetofend(t, m) (offsetof(t, m) + sizeof_field(t, m))

#define min(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); \
		     (void)(&__a == &__b); __a < __b ? __a : __b; })
#define max(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); \
		     (void)(&__a == &__b); __a > __b ? __a : __b; })
#define min_t(t, a, b) ({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b) ({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define swap(a, b) do { typeof(a) __t = (a); (a) = (b); (b) = __t; } while (0)

#define __ALIGN_MASK(x, m) (((x) + (m)) & ~(m))
#define ALIGN(x, a) __ALIGN_MASK(x, (typeof(x))(a) - 1)
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define PAGE_ALIGNED(addr) IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)
#define PAGE_ALIGN(addr) ALIGN(addr, PAGE_SIZE)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define round_up(x, y) ((((x) - 1) | ((typeof(x))(y) - 1)) + 1)
#define round_down(x, y) ((x) & ~((typeof(x))(y) - 1))
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define u64_to_user_ptr(x) ((void __user *)(uintptr_t)(x))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))

#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d) __builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)
static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}
#define array_size(a, b) size_mul(a, b)
#define struct_size(p, member, n) \
	size_add(sizeof(*(p)), size_mul(sizeof(*(p)->member), n))
#define flex_array_size(p, member, n) size_mul(sizeof(*(p)->member), n)

static inline unsigned long __ffs(unsigned long w) { return __builtin_ctzl(w); }
static inline unsigned long __fls(unsigned long w) { return 63 - __builtin_clzl(w); }
static inline unsigned int __ffs64(u64 w) { return __builtin_ctzll(w); }
static inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline unsigned long ffz(unsigned long w) { return __builtin_ctzl(~w); }
#define ilog2(n) ((n) ? (int)(63 - __builtin_clzll((unsigned long long)(n))) : -1)
#define is_power_of_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))
#define hweight_long(w) __builtin_popcountl(w)
#define hweight64(w) __builtin_popcountll(w)

/*
 * array_index_nospec(): the kernel's masks the index without a branch so
 * that speculation cannot read past the array; the value is the same.
 */
#define array_index_nospec(index, size) ({				\
	typeof(index) __i = (index);					\
	typeof(size) __s = (size);					\
	unsigned long __mask = 0UL - (unsigned long)(__i < __s);	\
	barrier();							\
	(typeof(__i))(__i & __mask);					\
})

#define SZ_1K 0x00000400
#define SZ_4K 0x00001000
#define SZ_8K 0x00002000
#define SZ_16K 0x00004000
#define SZ_32K 0x00008000
#define SZ_64K 0x00010000
#define SZ_128K 0x00020000
#define SZ_256K 0x00040000
#define SZ_512K 0x00080000
#define SZ_1M 0x00100000
#define SZ_2M 0x00200000
#define SZ_4M 0x00400000
#define SZ_16M 0x01000000
#define SZ_256M 0x10000000
#define SZ_512M 0x20000000
#define SZ_1G 0x40000000
#define SZ_2G 0x80000000ULL
#define SZ_4G 0x100000000ULL

/* ------------------------------------------------------------------ */
/* Errors */

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }
static inline int PTR_ERR_OR_ZERO(const void *ptr) { return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0; }
#define ERESTARTSYS 512
#define ENOIOCTLCMD 515
#define ENOTSUPP 524

/* ------------------------------------------------------------------ */
/* Reports: printing, WARN, BUG.  A report of a checker or a WARN goes to
 * stderr and to every open /dev/kmsg of the interposer; the process aborts
 * unless IOASID_SHIM_REPORT=continue. */

enum shim_report_kind {
	SHIM_REPORT_WARN,
	SHIM_REPORT_BUG,
	SHIM_REPORT_LOCK,
	SHIM_REPORT_SLEEP,
	SHIM_REPORT_REFCOUNT,
};

void shim_printk(const char *fmt, ...) __printf(1, 2);
void shim_report(enum shim_report_kind kind, const char *file, int line,
		 const char *fmt, ...) __printf(4, 5);
unsigned long shim_report_count(void);

#define KERN_ERR ""
#define KERN_WARNING ""
#define KERN_INFO ""
#define KERN_DEBUG ""
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define printk(fmt, ...) shim_printk(fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...) shim_printk(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { if (0) shim_printk(pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#define pr_warn_once pr_warn
#define pr_err_ratelimited pr_err
#define pr_warn_ratelimited pr_warn
#define dump_stack() do { } while (0)

#define WARN_ON(cond) ({						\
	int __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_report(SHIM_REPORT_WARN, __FILE__, __LINE__,	\
			    "WARN_ON(%s)", #cond);			\
	unlikely(__c);							\
})
#define WARN_ON_ONCE(cond) ({						\
	static bool __warned;						\
	int __c = !!(cond);						\
	if (unlikely(__c) && !__warned) {				\
		__warned = true;					\
		shim_report(SHIM_REPORT_WARN, __FILE__, __LINE__,	\
			    "WARN_ON_ONCE(%s)", #cond);			\
	}								\
	unlikely(__c);							\
})
#define WARN(cond, fmt, ...) ({						\
	int __c = !!(cond);						\
	if (unlikely(__c))						\
		shim_report(SHIM_REPORT_WARN, __FILE__, __LINE__,	\
			    fmt, ##__VA_ARGS__);			\
	unlikely(__c);							\
})
#define WARN_ONCE WARN
#define BUG() shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__, "BUG()")
#define BUG_ON(cond) do { if (unlikely(cond)) \
	shim_report(SHIM_REPORT_BUG, __FILE__, __LINE__, "BUG_ON(%s)", #cond); } while (0)
#define VM_BUG_ON(cond) BUG_ON(cond)
#define VM_WARN_ON(cond) ((void)WARN_ON(cond))
#define VM_WARN_ON_ONCE(cond) ((void)WARN_ON_ONCE(cond))

/* ------------------------------------------------------------------ */
/* Atomics */

#define ATOMIC_INIT(i) { (i) }
#define __SHIM_ATOMIC_OPS(pfx, atype, vtype)				\
static inline vtype pfx##_read(const atype *v)				\
{ return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }		\
static inline void pfx##_set(atype *v, vtype i)				\
{ __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }			\
static inline void pfx##_add(vtype i, atype *v)				\
{ __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_sub(vtype i, atype *v)				\
{ __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }		\
static inline void pfx##_inc(atype *v) { pfx##_add(1, v); }		\
static inline void pfx##_dec(atype *v) { pfx##_sub(1, v); }		\
static inline vtype pfx##_add_return(vtype i, atype *v)			\
{ return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vtype pfx##_sub_return(vtype i, atype *v)			\
{ return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vtype pfx##_inc_return(atype *v) { return pfx##_add_return(1, v); } \
static inline vtype pfx##_dec_return(atype *v) { return pfx##_sub_return(1, v); } \
static inline bool pfx##_dec_and_test(atype *v) { return pfx##_dec_return(v) == 0; } \
static inline vtype pfx##_fetch_add(vtype i, atype *v)			\
{ return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vtype pfx##_xchg(atype *v, vtype i)			\
{ return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST); }	\
static inline vtype pfx##_cmpxchg(atype *v, vtype o, vtype n)		\
{ __atomic_compare_exchange_n(&v->counter, &o, n, false,		\
			      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
  return o; }								\
static inline bool pfx##_try_cmpxchg(atype *v, vtype *o, vtype n)	\
{ return __atomic_compare_exchange_n(&v->counter, o, n, false,		\
				     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); } \
static inline vtype pfx##_dec_if_positive(atype *v)			\
{ vtype c = pfx##_read(v), d;						\
  do { d = c - 1; if (d < 0) break; }					\
  while (!pfx##_try_cmpxchg(v, &c, d));					\
  return d; }
__SHIM_ATOMIC_OPS(atomic, atomic_t, int)
__SHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)
__SHIM_ATOMIC_OPS(atomic64, atomic64_t, long long)

/* ------------------------------------------------------------------ */
/* refcount_t, with the kernel's checks: saturation on overflow and a
 * report for an increment from zero or a decrement to below zero. */

typedef struct { atomic_t refs; } refcount_t;
#define REFCOUNT_INIT(n) { .refs = ATOMIC_INIT(n) }
#define REFCOUNT_SATURATED (INT_MIN / 2)

void shim_refcount_bad(const char *what, const char *file, int line);
#define refcount_set(r, n) atomic_set(&(r)->refs, n)
#define refcount_read(r) ((unsigned int)atomic_read(&(r)->refs))
#define refcount_inc(r) __shim_refcount_add(r, 1, __FILE__, __LINE__)
#define refcount_add(n, r) __shim_refcount_add(r, n, __FILE__, __LINE__)
#define refcount_inc_not_zero(r) __shim_refcount_inc_not_zero(r, __FILE__, __LINE__)
#define refcount_dec_and_test(r) __shim_refcount_sub_and_test(r, 1, __FILE__, __LINE__)
#define refcount_sub_and_test(n, r) __shim_refcount_sub_and_test(r, n, __FILE__, __LINE__)
#define refcount_dec(r) __shim_refcount_dec(r, __FILE__, __LINE__)
#define refcount_dec_if_one(r) __shim_refcount_dec_if_one(r)

static inline void __shim_refcount_add(refcount_t *r, int i, const char *f, int l)
{
	int old = __atomic_fetch_add(&r->refs.counter, i, __ATOMIC_RELAXED);

	if (unlikely(!old))
		shim_refcount_bad("addition on 0; use-after-free", f, l);
	else if (unlikely(old < 0 || old + i < 0))
		shim_refcount_bad("saturated; leaking memory", f, l);
}

static inline bool __shim_refcount_inc_not_zero(refcount_t *r, const char *f, int l)
{
	int old = atomic_read(&r->refs);

	do {
		if (!old)
			return false;
	} while (!atomic_try_cmpxchg(&r->refs, &old, old + 1));
	if (unlikely(old < 0 || old + 1 < 0))
		shim_refcount_bad("saturated; leaking memory", f, l);
	return true;
}

static inline bool __shim_refcount_sub_and_test(refcount_t *r, int i, const char *f, int l)
{
	int old = __atomic_fetch_sub(&r->refs.counter, i, __ATOMIC_RELEASE);

	if (old == i) {
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		return true;
	}
	if (unlikely(old < 0 || old - i < 0))
		shim_refcount_bad("underflow; use-after-free", f, l);
	return false;
}

static inline void __shim_refcount_dec(refcount_t *r, const char *f, int l)
{
	if (unlikely(__shim_refcount_sub_and_test(r, 1, f, l)))
		shim_refcount_bad("decrement hit 0; leaking memory", f, l);
}

static inline bool __shim_refcount_dec_if_one(refcount_t *r)
{
	int one = 1;

	return atomic_try_cmpxchg(&r->refs, &one, 0);
}

struct kref {
	refcount_t refcount;
};
#define kref_init(k) refcount_set(&(k)->refcount, 1)
#define kref_get(k) refcount_inc(&(k)->refcount)
#define kref_read(k) refcount_read(&(k)->refcount)
static inline int kref_put(struct kref *k, void (*release)(struct kref *))
{
	if (refcount_dec_and_test(&k->refcount)) {
		release(k);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Locks and the lock checker.  A lock of the kernel (spinlock, mutex,
 * rwsem) is a struct shim_lock; its class is the call site of its
 * initialisation (or, for a static lock, the lock itself), as lockdep's.
 * The checker keeps a graph of the order in which classes were taken and
 * reports an inversion, recursion on one class, an unlock by a thread
 * that does not hold the lock, and sleeping under a spinlock or RCU. */

struct lock_class_key {
	char unused;
};

struct shim_lock {
	pthread_mutex_t m;
	pthread_t owner;
	int held;
	unsigned char kind;		/* SHIM_LOCK_* */
	const char *name;
	const struct lock_class_key *key;	/* NULL: the lock itself */
	int cls;			/* class index + 1, 0 until first use */
};

enum { SHIM_LOCK_SPIN = 1, SHIM_LOCK_MUTEX = 2, SHIM_LOCK_RWSEM = 3 };

#define SHIM_LOCK_STATIC(n, k)						\
	{ .m = PTHREAD_MUTEX_INITIALIZER, .kind = (k), .name = (n) }

void shim_lock_init(struct shim_lock *l, int kind, const char *name,
		    const struct lock_class_key *key);
void shim_lock_acquire(struct shim_lock *l, int subclass, const char *file, int line);
int shim_lock_tryacquire(struct shim_lock *l, const char *file, int line);
void shim_lock_release(struct shim_lock *l, const char *file, int line);
void shim_lock_destroy(struct shim_lock *l, const char *file, int line);
bool shim_lock_held(const struct shim_lock *l);
void shim_lock_assert_held(const struct shim_lock *l, const char *file, int line);
/* what might_fault() and GUP take: current->mm's mmap_lock */
void shim_might_lock_mmap(const char *file, int line);
void shim_might_sleep(const char *file, int line);
void shim_lock_acquire_pseudo(struct shim_lock *l, const char *file, int line);
void shim_lock_release_pseudo(struct shim_lock *l, const char *file, int line);
extern struct shim_lock shim_mmap_lock;
int shim_in_atomic(void);

typedef struct spinlock {
	struct shim_lock dep_map;
} spinlock_t;

struct mutex {
	struct shim_lock dep_map;
};

struct rw_semaphore {
	struct shim_lock dep_map;
};

#define __SPIN_LOCK_UNLOCKED(n) { .dep_map = SHIM_LOCK_STATIC(#n, SHIM_LOCK_SPIN) }
#define DEFINE_SPINLOCK(n) spinlock_t n = __SPIN_LOCK_UNLOCKED(n)
#define __MUTEX_INITIALIZER(n) { .dep_map = SHIM_LOCK_STATIC(#n, SHIM_LOCK_MUTEX) }
#define DEFINE_MUTEX(n) struct mutex n = __MUTEX_INITIALIZER(n)

#define spin_lock_init(l) do {						\
	static struct lock_class_key __key;				\
	shim_lock_init(&(l)->dep_map, SHIM_LOCK_SPIN, #l, &__key);	\
} while (0)
#define mutex_init(l) do {						\
	static struct lock_class_key __key;				\
	shim_lock_init(&(l)->dep_map, SHIM_LOCK_MUTEX, #l, &__key);	\
} while (0)
#define init_rwsem(l) do {						\
	static struct lock_class_key __key;				\
	shim_lock_init(&(l)->dep_map, SHIM_LOCK_RWSEM, #l, &__key);	\
} while (0)

#define spin_lock(l) shim_lock_acquire(&(l)->dep_map, 0, __FILE__, __LINE__)
#define spin_lock_nested(l, s) shim_lock_acquire(&(l)->dep_map, s, __FILE__, __LINE__)
#define spin_unlock(l) shim_lock_release(&(l)->dep_map, __FILE__, __LINE__)
#define spin_trylock(l) shim_lock_tryacquire(&(l)->dep_map, __FILE__, __LINE__)
#define spin_lock_bh spin_lock
#define spin_unlock_bh spin_unlock
#define spin_lock_irq spin_lock
#define spin_unlock_irq spin_unlock
#define spin_lock_irqsave(l, f) do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); spin_unlock(l); } while (0)
#define spin_lock_bh_nested spin_lock_nested
#define spin_lock_irq_nested spin_lock_nested
#define spin_lock_irqsave_nested(l, f, s) do { (f) = 0; spin_lock_nested(l, s); } while (0)
#define assert_spin_locked(l) shim_lock_assert_held(&(l)->dep_map, __FILE__, __LINE__)

#define mutex_lock(l) shim_lock_acquire(&(l)->dep_map, 0, __FILE__, __LINE__)
#define mutex_lock_nested(l, s) shim_lock_acquire(&(l)->dep_map, s, __FILE__, __LINE__)
#define mutex_lock_killable(l) (mutex_lock(l), 0)
#define mutex_lock_interruptible(l) (mutex_lock(l), 0)
#define mutex_trylock(l) shim_lock_tryacquire(&(l)->dep_map, __FILE__, __LINE__)
#define mutex_unlock(l) shim_lock_release(&(l)->dep_map, __FILE__, __LINE__)
#define mutex_destroy(l) shim_lock_destroy(&(l)->dep_map, __FILE__, __LINE__)
#define mutex_is_locked(l) (READ_ONCE((l)->dep_map.held) != 0)

#define down_read(l) shim_lock_acquire(&(l)->dep_map, 0, __FILE__, __LINE__)
#define up_read(l) shim_lock_release(&(l)->dep_map, __FILE__, __LINE__)
#define down_write down_read
#define up_write up_read

#define lockdep_assert_held(l) shim_lock_assert_held(&(l)->dep_map, __FILE__, __LINE__)
#define lockdep_assert_held_once lockdep_assert_held
#define lockdep_assert_not_held(l) \
	WARN_ON(shim_lock_held(&(l)->dep_map))
#define lockdep_is_held(l) shim_lock_held(&(l)->dep_map)
#define lockdep_set_class(l, k) ((void)(k))
#define lockdep_set_subclass(l, s) ((void)(s))
#define SINGLE_DEPTH_NESTING 1

#define might_sleep() shim_might_sleep(__FILE__, __LINE__)
#define might_fault() shim_might_lock_mmap(__FILE__, __LINE__)
#define cond_resched() ({ might_sleep(); 0; })
bool shim_need_resched(void);
#define need_resched() shim_need_resched()
#define cpu_relax() do { } while (0)
#define in_atomic() shim_in_atomic()
#define preempt_disable() do { } while (0)
#define preempt_enable() do { } while (0)

/* RCU: readers take a shared lock that the grace period takes exclusively. */
void rcu_read_lock(void);
void rcu_read_unlock(void);
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void synchronize_rcu(void);
void rcu_barrier(void);
bool rcu_read_lock_held(void);
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_raw(p) rcu_dereference(p)
#define rcu_dereference_check(p, c) rcu_dereference(p)
#define rcu_dereference_protected(p, c) (p)
#define rcu_access_pointer(p) READ_ONCE(p)
#define rcu_assign_pointer(p, v) \
	__atomic_store_n(&(p), (typeof(p))(v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v) do { (p) = (v); } while (0)

/* ------------------------------------------------------------------ */
/* Wait queues */

typedef struct wait_queue_head {
	pthread_mutex_t m;
	pthread_cond_t c;
} wait_queue_head_t;

void init_waitqueue_head(wait_queue_head_t *wq);
void wake_up_all(wait_queue_head_t *wq);
#define wake_up(wq) wake_up_all(wq)
void shim_wq_lock(wait_queue_head_t *wq);
void shim_wq_unlock(wait_queue_head_t *wq);
void shim_wq_wait(wait_queue_head_t *wq);
bool shim_fatal_signal(void);

#define __shim_wait_event(wq, cond, killable) ({			\
	int __ret = 0;							\
	might_sleep();							\
	shim_wq_lock(wq);						\
	while (!(cond)) {						\
		if ((killable) && shim_fatal_signal()) {		\
			__ret = -ERESTARTSYS;				\
			break;						\
		}							\
		shim_wq_wait(wq);					\
	}								\
	shim_wq_unlock(wq);						\
	__ret;								\
})
#define wait_event(wq, cond) ((void)__shim_wait_event(&(wq), cond, 0))
#define wait_event_killable(wq, cond) __shim_wait_event(&(wq), cond, 1)
#define wait_event_interruptible(wq, cond) __shim_wait_event(&(wq), cond, 1)

/* ------------------------------------------------------------------ */
/* Allocation, with failure injection (shim_should_fail()). */

#define ___GFP_DIRECT_RECLAIM 0x400u
#define ___GFP_KSWAPD_RECLAIM 0x800u
#define __GFP_DIRECT_RECLAIM ((gfp_t)___GFP_DIRECT_RECLAIM)
#define __GFP_KSWAPD_RECLAIM ((gfp_t)___GFP_KSWAPD_RECLAIM)
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_IO ((gfp_t)0x40u)
#define __GFP_FS ((gfp_t)0x80u)
#define __GFP_ZERO ((gfp_t)0x100u)
#define __GFP_NOWARN ((gfp_t)0x2000u)
#define __GFP_NOFAIL ((gfp_t)0x8000u)
#define __GFP_NORETRY ((gfp_t)0x10000u)
#define __GFP_NOMEMALLOC ((gfp_t)0x80000u)
#define __GFP_ACCOUNT ((gfp_t)0x400000u)
#define __GFP_HIGH ((gfp_t)0x20u)
#define __GFP_HIGHMEM ((gfp_t)0x02u)
#define __GFP_MOVABLE ((gfp_t)0x08u)
#define __GFP_RETRY_MAYFAIL ((gfp_t)0x4000u)
#define __GFP_BITS_SHIFT 24
struct list_lru;
#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER GFP_KERNEL
#define GFP_HIGHUSER GFP_KERNEL
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}
void shim_might_alloc(gfp_t gfp, const char *file, int line);
#define might_alloc(gfp) shim_might_alloc(gfp, __FILE__, __LINE__)

/* KMALLOC_MAX_SIZE: an order-10 allocation of 4 KiB pages, as on x86-64 */
#define KMALLOC_MAX_SIZE (1UL << (10 + PAGE_SHIFT))
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* fail-nth point kinds */
enum { SHIM_FAIL_SLAB, SHIM_FAIL_PAGE, SHIM_FAIL_USERCOPY };
bool shim_should_fail(int kind, gfp_t gfp);

void *shim_kmalloc(size_t size, gfp_t gfp, const char *file, int line);
void *shim_kvmalloc(size_t size, gfp_t gfp, const char *file, int line);
void shim_kfree(const void *p);
#define kmalloc(s, g) shim_kmalloc(s, g, __FILE__, __LINE__)
#define kzalloc(s, g) shim_kmalloc(s, (g) | __GFP_ZERO, __FILE__, __LINE__)
#define kcalloc(n, s, g) kzalloc(size_mul(n, s), g)
#define kmalloc_array(n, s, g) kmalloc(size_mul(n, s), g)
#define kvmalloc(s, g) shim_kvmalloc(s, g, __FILE__, __LINE__)
#define kvzalloc(s, g) shim_kvmalloc(s, (g) | __GFP_ZERO, __FILE__, __LINE__)
#define kvcalloc(n, s, g) kvzalloc(size_mul(n, s), g)
#define kvmalloc_array(n, s, g) kvmalloc(size_mul(n, s), g)
#define kfree(p) shim_kfree(p)
#define kvfree(p) shim_kfree(p)
#define kfree_sensitive(p) shim_kfree(p)
void *kmemdup(const void *src, size_t len, gfp_t gfp);

struct kmem_cache {
	const char *name;
	size_t size;
	void (*ctor)(void *obj);
};
struct list_lru;
void *kmem_cache_alloc_lru(struct kmem_cache *c, struct list_lru *lru, gfp_t gfp);
#define kmem_cache_alloc(c, g) kmem_cache_alloc_lru(c, NULL, g)
#define kmem_cache_zalloc(c, g) kmem_cache_alloc_lru(c, NULL, (g) | __GFP_ZERO)
void kmem_cache_free(struct kmem_cache *c, void *obj);
#define SLAB_PANIC 0
#define SLAB_RECLAIM_ACCOUNT 0
#define SLAB_ACCOUNT 0

/* ------------------------------------------------------------------ */
/* Tasks, users, credentials, limits */

struct user_struct {
	refcount_t __count;
	atomic_long_t locked_vm;
	unsigned int uid;
	struct user_struct *next;
};

struct mm_struct {
	atomic_t mm_count;
	atomic64_t pinned_vm;
	unsigned long locked_vm;
};

struct task_struct {
	struct mm_struct *mm;
	int pid;
	const char *comm;
};

struct task_struct *shim_current(void);
#define current shim_current()
struct user_struct *shim_current_user(void);
#define current_user() shim_current_user()
struct user_struct *get_uid(struct user_struct *u);
void free_uid(struct user_struct *u);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
#define fatal_signal_pending(t) ((void)(t), shim_fatal_signal())
#define signal_pending(t) ((void)(t), shim_fatal_signal())

#define CAP_SYS_ADMIN 21
#define CAP_IPC_LOCK 14
#define CAP_SYS_RAWIO 17
bool capable(int cap);
unsigned long rlimit(unsigned int limit);

/* ------------------------------------------------------------------ */
/* User memory */

/* The top of the user address space of x86-64 with 4-level paging:
 * TASK_SIZE_MAX, which 6.12 compares against as USER_PTR_MAX. */
#define SHIM_USER_PTR_MAX ((1UL << 47) - PAGE_SIZE)
#define TASK_SIZE SHIM_USER_PTR_MAX

static inline bool shim_valid_user_address(unsigned long a)
{
	return a <= SHIM_USER_PTR_MAX;
}

/* 6.12's x86-64 __access_ok(), including its shortcut for constant sizes
 * of at most a page. */
#define access_ok(ptr, size) ({						\
	unsigned long __p = (unsigned long)(ptr);			\
	unsigned long __n = (size);					\
	(__builtin_constant_p((size) <= PAGE_SIZE) &&			\
	 (size) <= PAGE_SIZE) ? shim_valid_user_address(__p) :		\
	(shim_valid_user_address(__p + __n) && __p + __n >= __p);	\
})

unsigned long shim_copy_from_user(void *to, const void __user *from,
				  unsigned long n, const char *file, int line);
unsigned long shim_copy_to_user(void __user *to, const void *from,
				unsigned long n, const char *file, int line);
int shim_check_zeroed_user(const void __user *from, size_t size);
#define copy_from_user(to, from, n) shim_copy_from_user(to, from, n, __FILE__, __LINE__)
#define copy_to_user(to, from, n) shim_copy_to_user(to, from, n, __FILE__, __LINE__)
#define check_zeroed_user shim_check_zeroed_user
int shim_clear_user(void __user *to, unsigned long n);
#define clear_user shim_clear_user

/* get_user()/put_user(): 0 or -EFAULT; get_user() zeroes on a fault */
#define get_user(x, ptr) ({						\
	__typeof__(+*(ptr)) __v;					\
	int __e = 0;							\
	if (!access_ok(ptr, sizeof(*(ptr))) ||				\
	    shim_copy_from_user(&__v, ptr, sizeof(*(ptr)),		\
				__FILE__, __LINE__)) {			\
		memset(&__v, 0, sizeof(__v));				\
		__e = -EFAULT;						\
	}								\
	(x) = __v;							\
	__e;								\
})
#define put_user(x, ptr) ({						\
	typeof(*(ptr)) __v = (x);					\
	(!access_ok(ptr, sizeof(*(ptr))) ||				\
	 shim_copy_to_user(ptr, &__v, sizeof(*(ptr)),			\
			   __FILE__, __LINE__)) ? -EFAULT : 0;		\
})

/*
 * copy_struct_from_user() as include/linux/uaccess.h defines it: the
 * kernel's structure of @ksize bytes from the user's of @usize; a smaller
 * user structure is zero-extended, a larger one must have a zero tail
 * (-E2BIG otherwise, -EFAULT when the tail cannot be read); the tail is
 * checked before the copy.
 */
static inline __must_check int
copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
		      size_t usize)
{
	size_t size = min(ksize, usize);
	size_t rest = max(ksize, usize) - size;

	if (usize < ksize) {
		memset((char *)dst + size, 0, rest);
	} else if (usize > ksize) {
		/*
		 * On the address as an integer, as the kernel (built with
		 * -fno-strict-overflow) computes it: a user pointer may be
		 * NULL or near the top, and the check of the tail must
		 * fail, not the shim.
		 */
		int ret = check_zeroed_user((const void __user *)
					    ((uintptr_t)src + size), rest);

		if (ret <= 0)
			return ret ?: -E2BIG;
	}
	if (copy_from_user(dst, src, size))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pages */

struct page {
	unsigned long flags;		/* SHIM_PG_* */
	unsigned long pfn;
	unsigned long uaddr;		/* while attached */
	atomic_t refcount;		/* get_user_pages references */
	atomic_t pincount;		/* pin_user_pages pins */
	void *copy;			/* the content once detached */
	struct page *hnext;		/* in the address index */
	struct list_head alist;		/* among the attached pages */
};
struct folio {
	struct page page;
};
enum { SHIM_PG_ATTACHED = 1, SHIM_PG_DIRTY = 2 };

#define FOLL_WRITE 0x01
#define FOLL_GET 0x04
#define FOLL_FORCE 0x10
#define FOLL_NOWAIT 0x20
#define FOLL_NOFAULT 0x80
#define FOLL_PIN 0x40000
#define FOLL_LONGTERM 0x100
#define FOLL_FAST_ONLY 0x80000

struct page *pfn_to_page(unsigned long pfn);
static inline unsigned long page_to_pfn(const struct page *p) { return p->pfn; }
#define page_to_phys(p) PFN_PHYS(page_to_pfn(p))
#define nth_page(p, n) pfn_to_page(page_to_pfn(p) + (n))
static inline struct folio *page_folio(struct page *p) { return (struct folio *)p; }
bool folio_maybe_dma_pinned(struct folio *f);
bool folio_test_dirty(struct folio *f);
#define PageDirty(p) folio_test_dirty(page_folio(p))
void put_page(struct page *page);
void get_page(struct page *page);
long shim_pin_user_pages(unsigned long start, unsigned long nr,
			 unsigned int gup_flags, struct page **pages, bool pin,
			 const char *file, int line);
#define pin_user_pages_fast(s, n, f, p) \
	((int)shim_pin_user_pages(s, n, f, p, true, __FILE__, __LINE__))
#define pin_user_pages(s, n, f, p) \
	shim_pin_user_pages(s, n, f, p, true, __FILE__, __LINE__)
#define pin_user_pages_unlocked(s, n, p, f) \
	shim_pin_user_pages(s, n, f, p, true, __FILE__, __LINE__)
#define get_user_pages_fast(s, n, f, p) \
	((int)shim_pin_user_pages(s, n, f, p, false, __FILE__, __LINE__))
void unpin_user_page(struct page *page);
void unpin_user_pages(struct page **pages, unsigned long npages);
void unpin_user_pages_dirty_lock(struct page **pages, unsigned long npages,
				 bool make_dirty);
void unpin_user_page_range_dirty_lock(struct page *page, unsigned long npages,
				      bool make_dirty);
void *kmap_local_page(struct page *page);
void kunmap_local(const void *addr);
#define kmap_local_folio(f, off) ((char *)kmap_local_page(&(f)->page) + (off))
#define page_address(p) kmap_local_page(p)

/* ------------------------------------------------------------------ */
/* Files, modules, devices */

struct module {
	const char *name;
	atomic_t refcnt;
	bool dying;
};

#define __SHIM_MODSYM2(m) shim_module_##m
#define __SHIM_MODSYM(m) __SHIM_MODSYM2(m)
#ifdef SHIM_MODULE
extern struct module __SHIM_MODSYM(SHIM_MODULE);
#define THIS_MODULE (&__SHIM_MODSYM(SHIM_MODULE))
#else
#define THIS_MODULE ((struct module *)NULL)
#endif
bool try_module_get(struct module *m);
void module_put(struct module *m);
void __module_get(struct module *m);

#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define EXPORT_SYMBOL_NS_GPL(s, ns)
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_AUTHOR(x)
#define MODULE_IMPORT_NS(x)
#define MODULE_ALIAS(x)
#define MODULE_ALIAS_MISCDEV(x)
#define module_param(n, t, p)
#define MODULE_PARM_DESC(n, d)

void shim_register_initcall(const char *modname, int (*init)(void),
			    void (*exit)(void));
#define module_init(fn)							\
	static void __attribute__((constructor)) __shim_init_##fn(void)	\
	{ shim_register_initcall(KBUILD_MODNAME, fn, NULL); }
#define module_exit(fn)							\
	static void __attribute__((constructor)) __shim_exit_##fn(void)	\
	{ shim_register_initcall(KBUILD_MODNAME, NULL, fn); }

#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u
#define FMODE_LSEEK 0x4u
#define FMODE_PREAD 0x8u
#define FMODE_PWRITE 0x10u
#define FMODE_ATOMIC_POS 0x8000u

struct inode {
	unsigned int i_mode;
	unsigned long i_ino;
	unsigned int i_rdev;
};

struct file;
struct poll_table_struct;
struct vm_area_struct;
struct kiocb;
struct iov_iter;
typedef void *fl_owner_t;

struct file_operations {
	struct module *owner;
	loff_t (*llseek)(struct file *f, loff_t off, int whence);
	ssize_t (*read)(struct file *f, char __user *b, size_t n, loff_t *pos);
	ssize_t (*write)(struct file *f, const char __user *b, size_t n, loff_t *pos);
	__poll_t (*poll)(struct file *f, struct poll_table_struct *pt);
	long (*unlocked_ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
	long (*compat_ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
	int (*mmap)(struct file *f, struct vm_area_struct *vma);
	int (*open)(struct inode *i, struct file *f);
	int (*flush)(struct file *f, fl_owner_t id);
	int (*release)(struct inode *i, struct file *f);
	int (*fasync)(int fd, struct file *f, int on);
};

struct file {
	atomic_long_t f_count;
	const struct file_operations *f_op;
	void *private_data;
	unsigned int f_flags;
	fmode_t f_mode;
	loff_t f_pos;
	struct inode *f_inode;
	unsigned long shim_ino;		/* the placeholder's inode, or 0 */
	bool shim_foreign;		/* a descriptor the shim does not model */
};

static inline struct inode *file_inode(const struct file *f) { return f->f_inode; }
struct file *fget(unsigned int fd);
void fput(struct file *file);
struct file *get_file(struct file *f);
int get_unused_fd_flags(unsigned int flags);
void put_unused_fd(unsigned int fd);
void fd_install(unsigned int fd, struct file *file);
struct file *anon_inode_getfile(const char *name,
				const struct file_operations *fops,
				void *priv, int flags);
int anon_inode_getfd(const char *name, const struct file_operations *fops,
		     void *priv, int flags);
int nonseekable_open(struct inode *inode, struct file *filp);
int stream_open(struct inode *inode, struct file *filp);
long compat_ptr_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
loff_t no_llseek(struct file *file, loff_t offset, int whence);
loff_t noop_llseek(struct file *file, loff_t offset, int whence);

#define MISC_DYNAMIC_MINOR 255
struct device;
struct miscdevice {
	int minor;
	const char *name;
	const struct file_operations *fops;
	struct list_head list;
	struct device *parent;
	struct device *this_device;
	const char *nodename;
	unsigned short mode;
};
int misc_register(struct miscdevice *misc);
void misc_deregister(struct miscdevice *misc);
#define module_misc_device(m)						\
	static int __init m##_shim_init(void) { return misc_register(&(m)); } \
	module_init(m##_shim_init);					\
	static void __exit m##_shim_exit(void) { misc_deregister(&(m)); } \
	module_exit(m##_shim_exit)

/* ------------------------------------------------------------------ */
/* Bits of bitmaps, as xarray.c uses them */

static inline void __set_bit(unsigned long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}
static inline void __clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}
static inline bool test_bit(unsigned long nr, const volatile unsigned long *addr)
{
	return (addr[BIT_WORD(nr)] >> (nr % BITS_PER_LONG)) & 1;
}
static inline bool __test_and_set_bit(unsigned long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__set_bit(nr, addr);
	return old;
}
static inline bool __test_and_clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	__clear_bit(nr, addr);
	return old;
}
#define set_bit __set_bit
#define clear_bit __clear_bit
static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	for (; offset < size; offset++)
		if (test_bit(offset, addr))
			return offset;
	return size;
}
#define find_first_bit(a, s) find_next_bit(a, s, 0)
static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	unsigned int i;

	for (i = 0; i < nbits; i++)
		__set_bit(i, dst);
}
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}
static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int len)
{
	while (len--)
		__clear_bit(start++, map);
}
static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_next_bit(src, nbits, 0) == nbits;
}

/* ------------------------------------------------------------------ */
/* Misc */

#define jiffies ((unsigned long)0)
#define HZ 100
static inline int fls_long(unsigned long l) { return l ? 64 - __builtin_clzl(l) : 0; }
#define __is_constexpr(x) __builtin_constant_p(x)
#define IS_ENABLED(option) __shim_is_defined(option)
#define __shim_arg_placeholder_1 0,
#define __shim_take_second_arg(__ignored, val, ...) val
#define __shim_is_defined(x) ___shim_is_defined(x)
#define ___shim_is_defined(val) ____shim_is_defined(__shim_arg_placeholder_##val)
#define ____shim_is_defined(arg1_or_junk) __shim_take_second_arg(arg1_or_junk 1, 0)
#define IS_BUILTIN(x) IS_ENABLED(x)
#define CONFIG_64BIT 1
#define CONFIG_XARRAY_MULTI 1

#endif /* _SHIM_BASE_H */
