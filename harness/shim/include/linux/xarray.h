/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/xarray.h> of the user-space shim: the kernel source's own
 * include/linux/xarray.h (found through -I of the kernel source tree),
 * over the shim's definitions.
 */
#ifndef _SHIM_LINUX_XARRAY_H
#define _SHIM_LINUX_XARRAY_H
#include <shim/base.h>
#include <include/linux/xarray.h>
#endif
