/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sched.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H
#include <shim/base.h>
#endif
