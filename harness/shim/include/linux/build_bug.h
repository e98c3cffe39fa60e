/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/build_bug.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_BUILD_BUG_H
#define _SHIM_LINUX_BUILD_BUG_H
#include <shim/base.h>
#endif
