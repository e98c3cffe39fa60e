/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/cache.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_CACHE_H
#define _SHIM_LINUX_CACHE_H
#include <shim/base.h>
#endif
