/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/bits.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_BITS_H
#define _SHIM_LINUX_BITS_H
#include <shim/base.h>
#endif
