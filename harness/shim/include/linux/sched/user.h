/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/sched/user.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_SCHED_USER_H
#define _SHIM_LINUX_SCHED_USER_H
#include <shim/base.h>
#endif
