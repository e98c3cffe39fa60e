/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/mutex.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_MUTEX_H
#define _SHIM_LINUX_MUTEX_H
#include <shim/base.h>
#endif
