/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/rcupdate.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H
#include <shim/base.h>
#endif
