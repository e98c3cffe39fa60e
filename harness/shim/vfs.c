// SPDX-License-Identifier: GPL-2.0
/*
 * Files of the user-space shim.
 *
 * A modelled file (a /dev/ioasid context, a test device) sits behind a
 * real descriptor of the process: one end of an AF_UNIX stream socket
 * pair, whose inode names the file.  So the kernel's own file table does
 * the work of dup(), fcntl(F_DUPFD), fork and descriptor passing, lseek()
 * gives ESPIPE, and the shim's table maps a placeholder's inode to its
 * struct file.  That table holds one reference for the open file
 * description; it is dropped when the last descriptor of the placeholder
 * is closed.  The shim keeps the other end of the pair (the peer, at a
 * high descriptor number, close-on-exec) and learns that from the kernel:
 * the peer reports POLLHUP once the placeholder's open file description
 * is gone.  When it does not yet (a real system call of another thread
 * still holds the description for a moment, or a child process or a
 * message in flight holds it), the interposer's close() looks through
 * /proc/self/fd, and the file is dropped when no descriptor of this
 * process refers to it any more.
 *
 * fput() defers the release of a file to the end of the current system
 * call, as the kernel's task work runs on the return to user space; at
 * that point the lock checker also checks that no lock is left held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <shim/base.h>

/* the generic ioctls of fs/ioctl.c, as asm-generic/ioctls.h numbers them */
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#include <shim/shim.h>

struct fentry {
	unsigned long ino;
	struct file *file;
	int peer;		/* the other end of the placeholder's pair */
	struct fentry *next;
};

/* The lowest descriptor number for a peer, out of the way of the numbers
 * a program expects to be given. */
#define PEER_FD_MIN 700

static pthread_mutex_t ftable_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t close_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fentry *ftable[256];
static long nfiles;

static __thread int syscall_depth;

static struct inode anon_inode = { .i_mode = 0, .i_ino = 1 };
static const struct file_operations foreign_fops;

long shim_files_open(void)
{
	return __atomic_load_n(&nfiles, __ATOMIC_RELAXED);
}

static unsigned long placeholder_ino(int fd)
{
	struct stat st;

	if (syscall(SYS_fstat, fd, &st) || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

static struct file *table_find(unsigned long ino)
{
	struct fentry *e;

	for (e = ftable[ino % 256]; e; e = e->next)
		if (e->ino == ino)
			return e->file;
	return NULL;
}

unsigned long shim_fd_ino(int fd)
{
	unsigned long ino = placeholder_ino(fd);
	struct file *f;

	if (!ino)
		return 0;
	pthread_mutex_lock(&ftable_lock);
	f = table_find(ino);
	pthread_mutex_unlock(&ftable_lock);
	return f ? ino : 0;
}

static struct file *table_remove(unsigned long ino)
{
	struct fentry **pp, *e;
	struct file *f = NULL;

	pthread_mutex_lock(&ftable_lock);
	for (pp = &ftable[ino % 256]; (e = *pp); pp = &e->next)
		if (e->ino == ino) {
			*pp = e->next;
			f = e->file;
			syscall(SYS_close, e->peer);
			free(e);
			nfiles--;
			break;
		}
	pthread_mutex_unlock(&ftable_lock);
	return f;
}

static void file_release(struct file *f)
{
	if (f->shim_foreign) {
		free(f);
		return;
	}
	if (f->f_op->release)
		f->f_op->release(f->f_inode, f);
	module_put(f->f_op->owner);
	kfree(f);
}

static void run_deferred_list(void);

static long threads_in_calls;	/* threads inside a system call */

/*
 * The end of the process, as exit sees it: every descriptor closes, so
 * the table's reference of every modelled file is dropped, and the
 * releases run as the task work of the exit would run them; then
 * shim_check_released() checks that everything was given back.  When
 * other threads are still inside a call of the core, the kernel would
 * first have stopped them; here they cannot be, and the release and its
 * checks are skipped (and said so on stderr).
 */
void shim_process_exit(void)
{
	struct fentry *e;
	long others;
	int i;

	others = __atomic_load_n(&threads_in_calls, __ATOMIC_RELAXED) -
		 (syscall_depth ? 1 : 0);
	if (others > 0) {
		fprintf(stderr, "ioasid-shim: exit with %ld threads inside the core: release checks skipped\n",
			others);
		return;
	}
	shim_syscall_enter();
	for (i = 0; i < 256; i++) {
		for (;;) {
			struct file *f = NULL;

			pthread_mutex_lock(&ftable_lock);
			e = ftable[i];
			if (e) {
				ftable[i] = e->next;
				f = e->file;
				nfiles--;
			}
			pthread_mutex_unlock(&ftable_lock);
			if (!e)
				break;
			syscall(SYS_close, e->peer);
			free(e);
			fput(f);
		}
	}
	shim_syscall_exit();
	shim_check_released();
}

void shim_syscall_enter(void)
{
	if (!syscall_depth++)
		__atomic_add_fetch(&threads_in_calls, 1, __ATOMIC_RELAXED);
}

void shim_syscall_exit(void)
{
	if (--syscall_depth)
		return;
	__atomic_sub_fetch(&threads_in_calls, 1, __ATOMIC_RELAXED);
	run_deferred_list();
	shim_rcu_process();
	if (shim_locks_held())
		shim_report(SHIM_REPORT_LOCK, __FILE__, __LINE__,
			    "lock held when returning to user space");
	if (shim_in_atomic())
		shim_report(SHIM_REPORT_SLEEP, __FILE__, __LINE__,
			    "returning to user space in atomic context");
}

struct file *get_file(struct file *f)
{
	atomic_long_inc(&f->f_count);
	return f;
}

/*
 * The release of a file whose last reference went: deferred to the end of
 * the system call.  Its private data is still needed by ->release, so the
 * deferred list keeps the file and its private data apart.
 */
struct deferred_file {
	struct file *file;
	struct deferred_file *next;
};
static __thread struct deferred_file *deferred_list;

static void run_deferred_list(void)
{
	struct deferred_file *d;

	while ((d = deferred_list)) {
		deferred_list = d->next;
		file_release(d->file);
		free(d);
	}
}

void fput(struct file *file)
{
	struct deferred_file *d;

	if (atomic_long_dec_return(&file->f_count))
		return;
	if (!syscall_depth) {
		file_release(file);
		return;
	}
	d = malloc(sizeof(*d));
	if (!d)
		abort();
	d->file = file;
	d->next = deferred_list;
	deferred_list = d;
}

struct file *fget(unsigned int fd)
{
	unsigned long ino = placeholder_ino(fd);
	struct file *f = NULL;

	if (ino) {
		pthread_mutex_lock(&ftable_lock);
		f = table_find(ino);
		if (f)
			get_file(f);
		pthread_mutex_unlock(&ftable_lock);
	}
	if (f)
		return f;
	if (syscall(SYS_fcntl, fd, F_GETFD) < 0)
		return NULL;
	/* an open descriptor the shim does not model: a file of no driver */
	f = calloc(1, sizeof(*f));
	if (!f)
		abort();
	atomic_long_set(&f->f_count, 1);
	f->f_op = &foreign_fops;
	f->f_inode = &anon_inode;
	f->shim_foreign = true;
	return f;
}

struct file *shim_fdget(int fd)
{
	unsigned long ino = placeholder_ino(fd);
	struct file *f = NULL;

	if (!ino)
		return NULL;
	pthread_mutex_lock(&ftable_lock);
	f = table_find(ino);
	if (f)
		get_file(f);
	pthread_mutex_unlock(&ftable_lock);
	return f;
}

void shim_fdput(struct file *f)
{
	fput(f);
}

/* descriptors reserved and not yet installed, with their peers */
static struct fentry *reserved;

/*
 * A descriptor and its peer: the pair takes two numbers, so EMFILE comes
 * one descriptor earlier than in the kernel.
 */

int get_unused_fd_flags(unsigned int flags)
{
	struct fentry *e;
	int sv[2];
	long peer;

	if (syscall(SYS_socketpair, AF_UNIX,
		    SOCK_STREAM | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0,
		    sv))
		return -errno;
	peer = syscall(SYS_fcntl, sv[1], F_DUPFD_CLOEXEC, PEER_FD_MIN);
	if (peer >= 0) {
		syscall(SYS_close, sv[1]);
	} else {
		peer = sv[1];
		syscall(SYS_fcntl, sv[1], F_SETFD, FD_CLOEXEC);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->ino = sv[0];		/* the descriptor, until fd_install() */
	e->peer = (int)peer;
	pthread_mutex_lock(&ftable_lock);
	e->next = reserved;
	reserved = e;
	pthread_mutex_unlock(&ftable_lock);
	return sv[0];
}

static struct fentry *unreserve(unsigned int fd)
{
	struct fentry **pp, *e;

	pthread_mutex_lock(&ftable_lock);
	for (pp = &reserved; (e = *pp); pp = &e->next)
		if (e->ino == fd) {
			*pp = e->next;
			break;
		}
	pthread_mutex_unlock(&ftable_lock);
	if (!e)
		abort();
	return e;
}

void put_unused_fd(unsigned int fd)
{
	struct fentry *e = unreserve(fd);

	syscall(SYS_close, e->peer);
	free(e);
	syscall(SYS_close, fd);
}

void fd_install(unsigned int fd, struct file *file)
{
	struct fentry *e = unreserve(fd);
	unsigned long ino = placeholder_ino(fd);

	if (!ino)
		abort();
	file->shim_ino = ino;
	e->ino = ino;
	e->file = file;
	pthread_mutex_lock(&ftable_lock);
	e->next = ftable[ino % 256];
	ftable[ino % 256] = e;
	nfiles++;
	pthread_mutex_unlock(&ftable_lock);
}

static struct file *alloc_file(const struct file_operations *fops, void *priv,
			       int flags, fmode_t mode)
{
	struct file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	if (!try_module_get(fops->owner)) {
		kfree(f);
		return ERR_PTR(-ENOENT);
	}
	atomic_long_set(&f->f_count, 1);
	f->f_op = fops;
	f->private_data = priv;
	f->f_flags = flags;
	f->f_mode = mode;
	if ((flags & O_ACCMODE) != O_WRONLY)
		f->f_mode |= FMODE_READ;
	if ((flags & O_ACCMODE) != O_RDONLY)
		f->f_mode |= FMODE_WRITE;
	f->f_inode = &anon_inode;
	return f;
}

struct file *anon_inode_getfile(const char *name,
				const struct file_operations *fops,
				void *priv, int flags)
{
	(void)name;
	return alloc_file(fops, priv, flags, 0);
}

int anon_inode_getfd(const char *name, const struct file_operations *fops,
		     void *priv, int flags)
{
	int fd = get_unused_fd_flags(flags);
	struct file *f;

	if (fd < 0)
		return fd;
	f = anon_inode_getfile(name, fops, priv, flags);
	if (IS_ERR(f)) {
		put_unused_fd(fd);
		return PTR_ERR(f);
	}
	fd_install(fd, f);
	return fd;
}

int nonseekable_open(struct inode *inode, struct file *filp)
{
	(void)inode;
	filp->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	return 0;
}

int stream_open(struct inode *inode, struct file *filp)
{
	return nonseekable_open(inode, filp);
}

long compat_ptr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (!file->f_op->unlocked_ioctl)
		return -ENOIOCTLCMD;
	return file->f_op->unlocked_ioctl(file, cmd, arg);
}

loff_t no_llseek(struct file *file, loff_t offset, int whence)
{
	(void)file; (void)offset; (void)whence;
	return -ESPIPE;
}

loff_t noop_llseek(struct file *file, loff_t offset, int whence)
{
	(void)offset; (void)whence;
	return file->f_pos;
}

/* ------------------------------------------------------------------ */
/* Misc devices and their nodes in /dev */

static pthread_mutex_t misc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct miscdevice *miscs[8];
static struct inode misc_inodes[8];

int misc_register(struct miscdevice *misc)
{
	int i, free_slot = -1;

	pthread_mutex_lock(&misc_lock);
	for (i = 0; i < 8; i++) {
		if (miscs[i] && !strcmp(miscs[i]->name, misc->name)) {
			pthread_mutex_unlock(&misc_lock);
			return -EBUSY;
		}
		if (!miscs[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		pthread_mutex_unlock(&misc_lock);
		return -EBUSY;
	}
	miscs[free_slot] = misc;
	misc_inodes[free_slot].i_mode = 020000 | (misc->mode ? misc->mode : 0600);
	misc_inodes[free_slot].i_ino = 100 + free_slot;
	pthread_mutex_unlock(&misc_lock);
	return 0;
}

void misc_deregister(struct miscdevice *misc)
{
	int i;

	pthread_mutex_lock(&misc_lock);
	for (i = 0; i < 8; i++)
		if (miscs[i] == misc)
			miscs[i] = NULL;
	pthread_mutex_unlock(&misc_lock);
}

static int misc_find(const char *path)
{
	int i;

	if (strncmp(path, "/dev/", 5))
		return -1;
	for (i = 0; i < 8; i++)
		if (miscs[i] && !strcmp(path + 5, miscs[i]->name))
			return i;
	return -1;
}

bool shim_is_device_path(const char *path)
{
	bool ret;

	pthread_mutex_lock(&misc_lock);
	ret = misc_find(path) >= 0;
	pthread_mutex_unlock(&misc_lock);
	return ret;
}

/* open() of a misc device's node, as chrdev_open() and misc_open() do. */
int shim_open_device(const char *path, int flags)
{
	struct miscdevice *misc;
	struct inode *inode;
	struct file *f;
	unsigned int mode;
	int i, fd, ret;

	pthread_mutex_lock(&misc_lock);
	i = misc_find(path);
	misc = i >= 0 ? miscs[i] : NULL;
	inode = i >= 0 ? &misc_inodes[i] : NULL;
	pthread_mutex_unlock(&misc_lock);
	if (!misc)
		return -ENOENT;

	/* the node is root's, with the device's mode */
	mode = inode->i_mode & 0777;
	if (geteuid() != 0) {
		if (((flags & O_ACCMODE) != O_WRONLY && !(mode & 04)) ||
		    ((flags & O_ACCMODE) != O_RDONLY && !(mode & 02)))
			return -EACCES;
	}
	fd = get_unused_fd_flags(flags);
	if (fd < 0)
		return fd;
	f = alloc_file(misc->fops, misc, flags & ~(O_CREAT | O_EXCL | O_TRUNC),
		       FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	if (IS_ERR(f)) {
		put_unused_fd(fd);
		return PTR_ERR(f) == -ENOENT ? -ENODEV : PTR_ERR(f);
	}
	f->f_inode = inode;
	if (misc->fops->open) {
		ret = misc->fops->open(inode, f);
		if (ret) {
			/* a file that never opened: no ->release */
			module_put(f->f_op->owner);
			kfree(f);
			put_unused_fd(fd);
			return ret;
		}
	}
	fd_install(fd, f);
	return fd;
}

long shim_file_ioctl(struct file *f, int fd, unsigned int cmd,
		     unsigned long arg)
{
	long ret;

	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		return syscall(SYS_ioctl, fd, cmd, arg) ? -errno : 0;
	case FIONBIO: {
		int on;

		if (get_user(on, (int __user *)arg))
			return -EFAULT;
		if (on)
			f->f_flags |= O_NONBLOCK;
		else
			f->f_flags &= ~O_NONBLOCK;
		return 0;
	}
	default:
		break;
	}
	if (!f->f_op->unlocked_ioctl)
		return -ENOTTY;
	ret = f->f_op->unlocked_ioctl(f, cmd, arg);
	return ret == -ENOIOCTLCMD ? -ENOTTY : ret;
}

/* Does any descriptor of the process still refer to placeholder @ino? */
static bool ino_still_open(unsigned long ino)
{
	char want[64], link[64], buf[4096];
	long n, pos;
	int dir;

	snprintf(want, sizeof(want), "socket:[%lu]", ino);
	dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd",
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return true;	/* keep the file rather than free it wrongly */
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			long len;

			pos += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			len = syscall(SYS_readlinkat, dir, d->d_name, link,
				      sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = 0;
			if (!strcmp(link, want)) {
				syscall(SYS_close, dir);
				return true;
			}
		}
	}
	syscall(SYS_close, dir);
	return false;
}

/* Has the placeholder's open file description gone (see the top)? */
static bool peer_hung_up(unsigned long ino)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };
	struct fentry *e;

	pthread_mutex_lock(&ftable_lock);
	for (e = ftable[ino % 256]; e; e = e->next)
		if (e->ino == ino)
			p.fd = e->peer;
	pthread_mutex_unlock(&ftable_lock);
	return p.fd >= 0 && syscall(SYS_poll, &p, 1, 0) == 1 &&
	       (p.revents & POLLHUP);
}

static void drop_if_closed(unsigned long ino)
{
	struct file *f;

	if (!peer_hung_up(ino) && ino_still_open(ino))
		return;
	f = table_remove(ino);
	if (f)
		fput(f);
}

int shim_close(int fd)
{
	unsigned long ino = placeholder_ino(fd);
	int ret;

	pthread_mutex_lock(&close_lock);
	ret = syscall(SYS_close, fd) ? -errno : 0;
	if (!ret && ino)
		drop_if_closed(ino);
	pthread_mutex_unlock(&close_lock);
	return ret;
}

void shim_fd_replaced(unsigned long ino)
{
	pthread_mutex_lock(&close_lock);
	drop_if_closed(ino);
	pthread_mutex_unlock(&close_lock);
}

void shim_vfs_atfork_prepare(void)
{
	pthread_mutex_lock(&close_lock);
	pthread_mutex_lock(&ftable_lock);
	pthread_mutex_lock(&misc_lock);
}

void shim_vfs_atfork_parent(void)
{
	pthread_mutex_unlock(&misc_lock);
	pthread_mutex_unlock(&ftable_lock);
	pthread_mutex_unlock(&close_lock);
}

void shim_vfs_atfork_child(void)
{
	pthread_mutex_init(&misc_lock, NULL);
	pthread_mutex_init(&ftable_lock, NULL);
	pthread_mutex_init(&close_lock, NULL);
	/* the other threads did not come along */
	threads_in_calls = syscall_depth ? 1 : 0;
}
