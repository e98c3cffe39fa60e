/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/mm.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H
#include <shim/base.h>
#endif
