// SPDX-License-Identifier: GPL-2.0
/*
 * The interposer: libc entry points that a test program calls, so that
 * /dev/ioasid and /dev/ioasid-test reach the core and the mock framework
 * running in this process.  Loaded with LD_PRELOAD (after the sanitizer
 * runtime) into a dynamically linked test program.
 *
 * Besides the device nodes it models:
 *  - /dev/kmsg: a pipe that receives the shim's reports and printk();
 *  - /proc/thread-self/fail-nth: the shim's failure injection;
 *  - VmPin of /proc/self/status: the pages the core charged to this mm;
 *  - /proc/sys/vm/nr_hugepages: refused, so that no test changes the
 *    host's huge page pool;
 *  - munmap, mremap, mmap MAP_FIXED and madvise(MADV_DONTNEED etc.): the
 *    shim's pages leave the addresses they had.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <shim/shim.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void atfork_prepare(void)
{
	shim_vfs_atfork_prepare();
	shim_mm_atfork_prepare();
}

static void atfork_parent(void)
{
	shim_mm_atfork_parent();
	shim_vfs_atfork_parent();
}

static void atfork_child(void)
{
	shim_mm_atfork_child();
	shim_vfs_atfork_child();
}

static bool exited;

/* exit() and _exit(): the process ends; see shim_process_exit() */
static void process_exit(void)
{
	if (__atomic_exchange_n(&exited, true, __ATOMIC_RELAXED))
		return;
	shim_process_exit();
}

static void do_init(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	shim_load_modules();
	atexit(process_exit);
}

void _exit(int status)
{
	process_exit();
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

static void init(void)
{
	pthread_once(&init_once, do_init);
}

#define REAL(name, ret, ...)						\
	static ret (*real_##name)(__VA_ARGS__);				\
	static ret (*get_##name(void))(__VA_ARGS__)			\
	{								\
		if (!real_##name)					\
			real_##name = dlsym(RTLD_NEXT, #name);		\
		return real_##name;					\
	}

REAL(fopen, FILE *, const char *, const char *)
REAL(fopen64, FILE *, const char *, const char *)

/* ------------------------------------------------------------------ */
/* Special descriptors: /dev/kmsg and fail-nth */

enum { SPECIAL_KMSG = 1, SPECIAL_FAILNTH };

struct special {
	unsigned long ino;
	int kind;
	int write_fd;		/* kmsg: the pipe's write end */
};

static pthread_mutex_t special_lock = PTHREAD_MUTEX_INITIALIZER;
static struct special specials[64];

static unsigned long ino_of(int fd)
{
	struct stat st;

	if (syscall(SYS_fstat, fd, &st))
		return 0;
	return st.st_ino;
}

static struct special *special_of(int fd)
{
	unsigned long ino = ino_of(fd);
	int i;

	if (!ino)
		return NULL;
	for (i = 0; i < 64; i++)
		if (specials[i].kind && specials[i].ino == ino)
			return &specials[i];
	return NULL;
}

static int special_add(int fd, int kind, int write_fd)
{
	int i;

	pthread_mutex_lock(&special_lock);
	for (i = 0; i < 64; i++)
		if (!specials[i].kind) {
			specials[i] = (struct special){ ino_of(fd), kind, write_fd };
			pthread_mutex_unlock(&special_lock);
			return fd;
		}
	pthread_mutex_unlock(&special_lock);
	syscall(SYS_close, fd);
	errno = EMFILE;
	return -1;
}

static int open_kmsg(int flags)
{
	int p[2];

	if (syscall(SYS_pipe2, p, O_NONBLOCK | O_CLOEXEC))
		return -1;
	if (!(flags & O_NONBLOCK))
		fcntl(p[0], F_SETFL, 0);
	shim_kmsg_add_sink(p[1]);
	return special_add(p[0], SPECIAL_KMSG, p[1]);
}

static bool is_fail_nth(const char *path)
{
	char own[64];

	if (!strcmp(path, "/proc/thread-self/fail-nth"))
		return true;
	snprintf(own, sizeof(own), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return !strcmp(path, own);
}

static int open_path(const char *path, int flags)
{
	int fd;

	init();
	if (!strcmp(path, "/dev/kmsg"))
		return open_kmsg(flags);
	if (is_fail_nth(path)) {
		fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return fd < 0 ? -1 : special_add(fd, SPECIAL_FAILNTH, -1);
	}
	shim_syscall_enter();
	fd = shim_open_device(path, flags);
	shim_syscall_exit();
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

static bool ours(const char *path)
{
	if (!path)
		return false;
	init();
	return !strcmp(path, "/dev/kmsg") || is_fail_nth(path) ||
	       shim_is_device_path(path);
}

/* an open of @path: the modelled nodes here, anything else by the kernel */
static int do_open(int dirfd, const char *path, int flags, mode_t mode)
{
	if (path && path[0] == '/' && ours(path))
		return open_path(path, flags);
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* the mode argument, which only an open that may create a file passes */
#define OPEN_MODE(flags, mode) do {					\
	va_list __ap;							\
									\
	if ((flags) & (O_CREAT | __O_TMPFILE)) {			\
		va_start(__ap, flags);					\
		(mode) = va_arg(__ap, mode_t);				\
		va_end(__ap);						\
	}								\
} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int __open_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return do_open(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return do_open(dirfd, path, flags | O_LARGEFILE, mode);
}

/* ------------------------------------------------------------------ */
/* /proc files read with stdio */

static FILE *status_with_vmpin(const char *mode)
{
	char buf[16384], out[17000];
	size_t len = 0, olen = 0;
	bool seen = false;
	char *line, *save;
	long n;
	int fd;
	FILE *f;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status",
			  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	while (len < sizeof(buf) - 1 &&
	       (n = syscall(SYS_read, fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	syscall(SYS_close, fd);
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "VmPin:", 6)) {
			olen += snprintf(out + olen, sizeof(out) - olen,
					 "VmPin:\t%8lld kB\n",
					 shim_mm_pinned_vm() * 4);
			seen = true;
		} else {
			olen += snprintf(out + olen, sizeof(out) - olen, "%s\n",
					 line);
		}
		if (olen >= sizeof(out))
			olen = sizeof(out) - 1;
	}
	if (!seen)
		olen += snprintf(out + olen, sizeof(out) - olen,
				 "VmPin:\t%8lld kB\n", shim_mm_pinned_vm() * 4);
	(void)mode;
	f = fmemopen(NULL, olen + 1, "w+");
	if (!f)
		return NULL;
	fwrite(out, 1, olen, f);
	rewind(f);
	return f;
}

static FILE *fopen_special(const char *path, const char *mode, bool *handled)
{
	*handled = true;
	if (!strcmp(path, "/proc/self/status") ||
	    !strcmp(path, "/proc/thread-self/status"))
		return status_with_vmpin(mode);
	if (!strcmp(path, "/proc/sys/vm/nr_hugepages")) {
		errno = EACCES;
		return NULL;
	}
	*handled = false;
	return NULL;
}

FILE *fopen(const char *path, const char *mode)
{
	bool handled;
	FILE *f = path ? fopen_special(path, mode, &handled) : NULL;

	if (path && handled)
		return f;
	return get_fopen()(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	bool handled;
	FILE *f = path ? fopen_special(path, mode, &handled) : NULL;

	if (path && handled)
		return f;
	return get_fopen64()(path, mode);
}

/* ------------------------------------------------------------------ */
/* Descriptor operations */

int close(int fd)
{
	struct special *s;
	int ret;

	pthread_mutex_lock(&special_lock);
	s = special_of(fd);
	if (s) {
		if (s->kind == SPECIAL_KMSG) {
			shim_kmsg_remove_sink(s->write_fd);
			syscall(SYS_close, s->write_fd);
		}
		s->kind = 0;
	}
	pthread_mutex_unlock(&special_lock);
	if (s || !shim_fd_ino(fd))
		return (int)syscall(SYS_close, fd);
	shim_syscall_enter();
	ret = shim_close(fd);
	shim_syscall_exit();
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static int after_dup(int ret, unsigned long replaced)
{
	if (ret >= 0 && replaced) {
		shim_syscall_enter();
		shim_fd_replaced(replaced);
		shim_syscall_exit();
	}
	return ret;
}

int dup2(int oldfd, int newfd)
{
	unsigned long replaced = oldfd != newfd ? shim_fd_ino(newfd) : 0;

	return after_dup((int)syscall(SYS_dup2, oldfd, newfd), replaced);
}

int dup3(int oldfd, int newfd, int flags)
{
	unsigned long replaced = oldfd != newfd ? shim_fd_ino(newfd) : 0;

	return after_dup((int)syscall(SYS_dup3, oldfd, newfd, flags), replaced);
}

int ioctl(int fd, unsigned long req, ...)
{
	unsigned long arg;
	struct file *f;
	va_list ap;
	long ret;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	f = shim_fdget(fd);
	if (!f)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	shim_syscall_enter();
	ret = shim_file_ioctl(f, fd, (unsigned int)req, arg);
	shim_fdput(f);
	shim_syscall_exit();
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}

static ssize_t fail_nth_read(void *buf, size_t n, off_t off)
{
	char text[24];
	int len;

	if (off) {
		return 0;
	}
	len = snprintf(text, sizeof(text), "%u\n", shim_fail_nth_get());
	if ((size_t)len > n)
		len = (int)n;
	memcpy(buf, text, len);
	return len;
}

static ssize_t fail_nth_write(const void *buf, size_t n)
{
	char text[24];
	char *end;
	unsigned long v;

	if (n >= sizeof(text)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(text, buf, n);
	text[n] = 0;
	v = strtoul(text, &end, 10);
	if (end == text || v > 0x7fffffffUL) {
		errno = EINVAL;
		return -1;
	}
	shim_fail_nth_set((unsigned int)v);
	return (ssize_t)n;
}

/* read/write of a modelled file: none has ->read or ->write */
static ssize_t file_rw(struct file *f)
{
	shim_fdput(f);
	errno = EINVAL;
	return -1;
}

ssize_t read(int fd, void *buf, size_t n)
{
	struct special *s = special_of(fd);
	struct file *f;

	if (s && s->kind == SPECIAL_FAILNTH)
		return fail_nth_read(buf, n, 0);
	f = s ? NULL : shim_fdget(fd);
	if (f)
		return file_rw(f);
	return syscall(SYS_read, fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	struct special *s = special_of(fd);
	struct file *f;

	if (s && s->kind == SPECIAL_FAILNTH)
		return fail_nth_write(buf, n);
	f = s ? NULL : shim_fdget(fd);
	if (f)
		return file_rw(f);
	return syscall(SYS_write, fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	struct special *s = special_of(fd);
	struct file *f;

	if (s && s->kind == SPECIAL_FAILNTH)
		return fail_nth_read(buf, n, off);
	f = s ? NULL : shim_fdget(fd);
	if (f) {
		shim_fdput(f);
		errno = ESPIPE;
		return -1;
	}
	return syscall(SYS_pread64, fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct special *s = special_of(fd);
	struct file *f;

	if (s && s->kind == SPECIAL_FAILNTH)
		return fail_nth_write(buf, n);
	f = s ? NULL : shim_fdget(fd);
	if (f) {
		shim_fdput(f);
		errno = ESPIPE;
		return -1;
	}
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite(fd, buf, n, off);
}

off_t lseek(int fd, off_t off, int whence)
{
	struct special *s = special_of(fd);
	struct file *f;

	if (s)
		return 0;	/* kmsg: SEEK_END positions at the end */
	f = shim_fdget(fd);
	if (f) {
		shim_fdput(f);
		errno = ESPIPE;	/* no modelled file has ->llseek */
		return -1;
	}
	return syscall(SYS_lseek, fd, off, whence);
}

off_t lseek64(int fd, off_t off, int whence)
{
	return lseek(fd, off, whence);
}

/* ------------------------------------------------------------------ */
/* The address space */

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
		      off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct file *f = (flags & MAP_ANONYMOUS) ? NULL : shim_fdget(fd);
	void *p;

	if (f) {
		shim_fdput(f);
		errno = ENODEV;	/* no modelled file has ->mmap */
		return MAP_FAILED;
	}
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		return sys_mmap(addr, len, prot, flags, fd, off);
	shim_mm_write_lock();
	/* detach first: a detached page copies its content from the mapping */
	if (flags & MAP_FIXED)
		shim_mm_detach((unsigned long)addr, len);
	p = sys_mmap(addr, len, prot, flags, fd, off);
	shim_mm_write_unlock();
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	int ret;

	shim_mm_write_lock();
	ret = shim_mm_unmap((unsigned long)addr, len);
	shim_mm_write_unlock();
	return ret;
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL, *p;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	shim_mm_write_lock();
	if (new_len < old_len)
		shim_mm_detach((unsigned long)old + new_len, old_len - new_len);
	p = (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (p != MAP_FAILED && p != old)
		shim_mm_move((unsigned long)old, (unsigned long)p,
			     old_len < new_len ? old_len : new_len);
	/* what the move or the shrink left unmapped: as munmap() */
	if (p != MAP_FAILED && p != old && !(flags & MREMAP_DONTUNMAP))
		shim_mm_unmap((unsigned long)old, old_len);
	else if (p != MAP_FAILED && new_len < old_len)
		shim_mm_unmap((unsigned long)old + new_len, old_len - new_len);
	shim_mm_write_unlock();
	return p;
}

/* A change of protection: the shim's copy of the maps goes stale. */
int mprotect(void *addr, size_t len, int prot)
{
	long ret;

	shim_mm_write_lock();
	ret = syscall(SYS_mprotect, addr, len, prot);
	shim_mm_write_unlock();
	return (int)ret;
}

int madvise(void *addr, size_t len, int advice)
{
	long ret;

	if (advice != MADV_DONTNEED && advice != MADV_FREE &&
	    advice != MADV_REMOVE && advice != MADV_DONTNEED_LOCKED)
		return (int)syscall(SYS_madvise, addr, len, advice);
	shim_mm_write_lock();
	ret = syscall(SYS_madvise, addr, len, advice);
	if (!ret)
		shim_mm_detach((unsigned long)addr, len);
	shim_mm_write_unlock();
	return (int)ret;
}
