/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/kernel.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_KERNEL_H
#define _SHIM_LINUX_KERNEL_H
#include <shim/base.h>
#endif
