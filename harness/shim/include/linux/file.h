/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/file.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_FILE_H
#define _SHIM_LINUX_FILE_H
#include <shim/base.h>
#endif
