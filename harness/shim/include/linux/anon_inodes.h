/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/anon_inodes.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_ANON_INODES_H
#define _SHIM_LINUX_ANON_INODES_H
#include <shim/base.h>
#endif
