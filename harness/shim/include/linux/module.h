/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/module.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H
#include <shim/base.h>
#endif
