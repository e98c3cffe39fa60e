/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/highmem.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_HIGHMEM_H
#define _SHIM_LINUX_HIGHMEM_H
#include <shim/base.h>
#endif
