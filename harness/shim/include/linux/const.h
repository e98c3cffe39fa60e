/* SPDX-License-Identifier: GPL-2.0 */
/* <linux/const.h> of the user-space shim. */
#ifndef _SHIM_LINUX_CONST_H
#define _SHIM_LINUX_CONST_H
#define __AC(X, Y) (X##Y)
#define _AC(X, Y) __AC(X, Y)
#define _AT(T, X) ((T)(X))
#define _UL(x) (_AC(x, UL))
#define _ULL(x) (_AC(x, ULL))
#define _BITUL(x) (_UL(1) << (x))
#define _BITULL(x) (_ULL(1) << (x))
#define __KERNEL_DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
