/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/refcount.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_REFCOUNT_H
#define _SHIM_LINUX_REFCOUNT_H
#include <shim/base.h>
#endif
