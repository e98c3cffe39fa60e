/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/bitops.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H
#include <shim/base.h>
#endif
