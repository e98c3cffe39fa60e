/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sizes.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_SIZES_H
#define _SHIM_LINUX_SIZES_H
#include <shim/base.h>
#endif
