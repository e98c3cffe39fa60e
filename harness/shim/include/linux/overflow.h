/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/overflow.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_OVERFLOW_H
#define _SHIM_LINUX_OVERFLOW_H
#include <shim/base.h>
#endif
