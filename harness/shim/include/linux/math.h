/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/math.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_MATH_H
#define _SHIM_LINUX_MATH_H
#include <shim/base.h>
#endif
