/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/export.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_EXPORT_H
#define _SHIM_LINUX_EXPORT_H
#include <shim/base.h>
#endif
