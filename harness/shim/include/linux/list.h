/* SPDX-License-Identifier: GPL-2.0 */
/*
 * <linux/list.h> of the user-space shim: the kernel source's own
 * tools/include/linux/list.h (found through -I of the kernel source tree),
 * over the shim's definitions.
 */
#ifndef _SHIM_LINUX_LIST_H
#define _SHIM_LINUX_LIST_H
#include <shim/base.h>
#include <tools/include/linux/list.h>
#endif
#ifndef list_entry_is_head
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))
#endif
#ifndef list_for_each_entry_safe_reverse
#define list_for_each_entry_safe_reverse(pos, n, head, member)		\
	for (pos = list_last_entry(head, typeof(*pos), member),		\
	     n = list_prev_entry(pos, member);				\
	     !list_entry_is_head(pos, head, member);			\
	     pos = n, n = list_prev_entry(n, member))
#endif
