/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/ioctl.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_IOCTL_H
#define _SHIM_LINUX_IOCTL_H
#include <shim/base.h>
#endif
