/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/kconfig.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_KCONFIG_H
#define _SHIM_LINUX_KCONFIG_H
#include <shim/base.h>
#endif
