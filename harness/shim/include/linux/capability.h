/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/capability.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_CAPABILITY_H
#define _SHIM_LINUX_CAPABILITY_H
#include <shim/base.h>
#endif
