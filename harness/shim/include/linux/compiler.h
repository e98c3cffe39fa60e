/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/compiler.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_COMPILER_H
#define _SHIM_LINUX_COMPILER_H
#include <shim/base.h>
#endif
