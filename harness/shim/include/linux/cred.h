/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/cred.h> of the user-space shim: see shim/base.h. */
#ifndef _SHIM_LINUX_CRED_H
#define _SHIM_LINUX_CRED_H
#include <shim/base.h>
#endif
