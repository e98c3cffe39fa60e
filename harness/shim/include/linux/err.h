/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/err.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_ERR_H
#define _SHIM_LINUX_ERR_H
#include <shim/base.h>
#endif
