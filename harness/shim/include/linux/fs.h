/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/fs.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_FS_H
#define _SHIM_LINUX_FS_H
#include <shim/base.h>
#endif
