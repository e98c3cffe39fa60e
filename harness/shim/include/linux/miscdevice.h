/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/miscdevice.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_MISCDEVICE_H
#define _SHIM_LINUX_MISCDEVICE_H
#include <shim/base.h>
#endif
