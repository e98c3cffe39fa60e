/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/atomic.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H
#include <shim/base.h>
#endif
