/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/gfp.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H
#include <shim/base.h>
#endif
