/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/nospec.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_NOSPEC_H
#define _SHIM_LINUX_NOSPEC_H
#include <shim/base.h>
#endif
