/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/interval_tree_generic.h> of the user-space shim: the kernel source's own
 * tools/include/linux/interval_tree_generic.h (found through -I of the kernel source tree),
 * over the shim's definitions.
 */
#ifndef _SHIM_LINUX_INTERVAL_TREE_GENERIC_H
#define _SHIM_LINUX_INTERVAL_TREE_GENERIC_H
#include <shim/base.h>
#include <tools/include/linux/interval_tree_generic.h>
#endif
