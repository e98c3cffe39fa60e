/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/slab.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H
#include <shim/base.h>
#endif
