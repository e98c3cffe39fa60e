/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shim offers its interposer and the harness's own tests, beyond
 * the kernel API of shim/base.h.
 */
#ifndef _SHIM_SHIM_H
#define _SHIM_SHIM_H

#include <stdbool.h>
#include <stddef.h>

struct file;

/* kernel.c */
void shim_kmsg_add_sink(int fd);
void shim_kmsg_remove_sink(int fd);
void shim_rcu_process(void);
int shim_locks_held(void);
void shim_fail_nth_set(unsigned int n);
unsigned int shim_fail_nth_get(void);
long shim_live_allocations(void);
long shim_user_locked_vm(unsigned int uid);
long long shim_mm_pinned_vm(void);
void shim_load_modules(void);
/* at the exit of a process: check that everything was given back */
void shim_check_released(void);
extern bool (*shim_fail_hook)(int kind, unsigned int gfp);
/* the user memory of the process (user copies and pins find nothing
 * else), or NULL for every mapping; the array must stay */
struct shim_user_range {
	unsigned long start, len;
};
void shim_set_user_ranges(const struct shim_user_range *r, unsigned int n);
/* the bytes from @addr on, up to @n, that lie in the user memory */
size_t shim_user_extent(unsigned long addr, size_t n);
/* a fatal signal to the process, or (false) none any more */
void shim_kill_process(bool on);

/* mm.c: the interposer calls these around changes of the address space */
void shim_mm_write_lock(void);
void shim_mm_write_unlock(void);
/* the pages of [start, start + len) leave their addresses; mm lock held */
void shim_mm_detach(unsigned long start, unsigned long len);
/* munmap() as the shim models it (an inaccessible mapping, not a hole,
 * its pages detached); mm lock held */
int shim_mm_unmap(unsigned long addr, size_t len);
/* the pages of [old, old + len) now live at new; mm lock held */
void shim_mm_move(unsigned long old, unsigned long new, unsigned long len);
long shim_pages_pinned(void);
void shim_mm_atfork_prepare(void);
void shim_mm_atfork_parent(void);
void shim_mm_atfork_child(void);

/* vfs.c */
void shim_syscall_enter(void);
void shim_syscall_exit(void);
/* A descriptor of a modelled file: the file with a reference, or NULL. */
struct file *shim_fdget(int fd);
void shim_fdput(struct file *f);
/* open() of a device node of a registered misc device: fd or -errno;
 * -ENOENT when @path is no such node */
int shim_open_device(const char *path, int flags);
bool shim_is_device_path(const char *path);
long shim_file_ioctl(struct file *f, int fd, unsigned int cmd,
		     unsigned long arg);
/* close() of a modelled descriptor: 0 or -errno */
int shim_close(int fd);
/* after dup2()/dup3() replaced @fd, which referred to inode @ino */
void shim_fd_replaced(unsigned long ino);
/* the placeholder inode of a modelled descriptor, or 0 */
unsigned long shim_fd_ino(int fd);
long shim_files_open(void);
/* the exit of the process: close everything, then shim_check_released() */
void shim_process_exit(void);
void shim_vfs_atfork_prepare(void);
void shim_vfs_atfork_parent(void);
void shim_vfs_atfork_child(void);

#endif /* _SHIM_SHIM_H */
