/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/wait.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_WAIT_H
#define _SHIM_LINUX_WAIT_H
#include <shim/base.h>
#endif
