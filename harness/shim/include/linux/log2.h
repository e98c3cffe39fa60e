/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/log2.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_LOG2_H
#define _SHIM_LINUX_LOG2_H
#include <shim/base.h>
#endif
