/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/types.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_TYPES_H
#define _SHIM_LINUX_TYPES_H
#include <shim/base.h>
#endif
