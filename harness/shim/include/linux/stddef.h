/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/stddef.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_STDDEF_H
#define _SHIM_LINUX_STDDEF_H
#include <shim/base.h>
#endif
