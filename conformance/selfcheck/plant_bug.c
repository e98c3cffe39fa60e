// SPDX-License-Identifier: GPL-2.0
/*
 * Planted bugs for the self-check of the debug-kernel run.  The module is
 * built once per bug, with PLANT_BUG=uaf, leak or lockorder on the make
 * command line (see Kbuild), and offers /dev/ioasid_plant with one ioctl
 * whose code path carries that bug:
 *
 *  uaf        reads an object after freeing it (KASAN must report it);
 *  leak       allocates two objects and, when the second allocation
 *             fails, returns without freeing the first (the fail-nth
 *             sweep makes it fail, kmemleak must report the leak);
 *  lockorder  takes two mutexes in one order, then in the other
 *             (lockdep must report the possible deadlock).
 *
 * Without a bug selected the same path is correct, which is how the
 * self-check shows that the run fails because of the bug and nothing else.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#define PLANT_RUN	_IO('P', 0x40)

static DEFINE_MUTEX(plant_lock_a);
static DEFINE_MUTEX(plant_lock_b);

static int plant_alloc_pair(void)
{
	u64 *first, *second;

	first = kzalloc(64, GFP_KERNEL);
	if (!first)
		return -ENOMEM;
	second = kzalloc(64, GFP_KERNEL);
	if (!second) {
#ifndef PLANT_BUG_LEAK
		kfree(first);
#endif
		return -ENOMEM;
	}
	kfree(second);
	kfree(first);
	return 0;
}

static int plant_read_object(void)
{
	u64 *obj = kzalloc(64, GFP_KERNEL);
	u64 val;

	if (!obj)
		return -ENOMEM;
	obj[1] = 1;
#ifdef PLANT_BUG_UAF
	kfree(obj);
	val = READ_ONCE(obj[1]);
#else
	val = READ_ONCE(obj[1]);
	kfree(obj);
#endif
	return val == 1 ? 0 : -EIO;
}

static void plant_take_locks(void)
{
	mutex_lock(&plant_lock_a);
	mutex_lock(&plant_lock_b);
	mutex_unlock(&plant_lock_b);
	mutex_unlock(&plant_lock_a);
#ifdef PLANT_BUG_LOCKORDER
	mutex_lock(&plant_lock_b);
	mutex_lock(&plant_lock_a);
	mutex_unlock(&plant_lock_a);
	mutex_unlock(&plant_lock_b);
#endif
}

static long plant_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	int ret;

	if (cmd != PLANT_RUN)
		return -ENOTTY;
	plant_take_locks();
	ret = plant_read_object();
	if (ret)
		return ret;
	return plant_alloc_pair();
}

static const struct file_operations plant_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = plant_ioctl,
};

static struct miscdevice plant_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid_plant",
	.fops = &plant_fops,
	.mode = 0600,
};

module_misc_device(plant_misc);

MODULE_DESCRIPTION("Self-check of the debug-kernel run: a planted bug");
MODULE_LICENSE("GPL");
