/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/bitmap.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_BITMAP_H
#define _SHIM_LINUX_BITMAP_H
#include <shim/base.h>
#endif
