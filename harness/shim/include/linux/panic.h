/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/panic.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_PANIC_H
#define _SHIM_LINUX_PANIC_H
#include <shim/base.h>
#endif
