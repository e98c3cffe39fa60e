/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/limits.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_LIMITS_H
#define _SHIM_LINUX_LIMITS_H
#include <shim/base.h>
#endif
