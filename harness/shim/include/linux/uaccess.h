/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/uaccess.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_UACCESS_H
#define _SHIM_LINUX_UACCESS_H
#include <shim/base.h>
#endif
