/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/spinlock.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_SPINLOCK_H
#define _SHIM_LINUX_SPINLOCK_H
#include <shim/base.h>
#endif
