/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#line 7 "in/uapi.adoc"
#ifndef _UAPI_IOASID_H
#define _UAPI_IOASID_H

#include <linux/types.h>
#include <linux/ioctl.h>

#line 22 "in/uapi.adoc"
#define IOASID_TYPE	(';')
#define IOASID_BASE	100
#line 29 "in/uapi.adoc"
#define IOASID_GET_API_VERSION	_IO(IOASID_TYPE, IOASID_BASE + 0)

#line 15 "in/uapi.adoc"
#endif /* _UAPI_IOASID_H */
