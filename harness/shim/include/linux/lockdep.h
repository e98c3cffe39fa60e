/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/lockdep.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_LOCKDEP_H
#define _SHIM_LINUX_LOCKDEP_H
#include <shim/base.h>
#endif
