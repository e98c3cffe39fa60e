/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/poison.h> of the user-space shim: list poison values. */
#ifndef _SHIM_LINUX_POISON_H
#define _SHIM_LINUX_POISON_H
#define LIST_POISON1 ((void *)0x100)
#define LIST_POISON2 ((void *)0x122)
#define POISON_FREE 0x6b
#endif
