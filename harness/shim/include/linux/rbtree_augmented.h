/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/rbtree_augmented.h> of the user-space shim: the kernel source's own
 * tools/include/linux/rbtree_augmented.h (found through -I of the kernel source tree),
 * over the shim's definitions.
 */
#ifndef _SHIM_LINUX_RBTREE_AUGMENTED_H
#define _SHIM_LINUX_RBTREE_AUGMENTED_H
#include <shim/base.h>
#include <tools/include/linux/rbtree_augmented.h>
#endif
