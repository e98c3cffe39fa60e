/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/pfn.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_PFN_H
#define _SHIM_LINUX_PFN_H
#include <shim/base.h>
#endif
