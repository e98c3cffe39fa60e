/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_IOASID_H
#define _UAPI_IOASID_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define IOASID_TYPE	(';')
#define IOASID_BASE	100
#define IOASID_GET_API_VERSION	_IO(IOASID_TYPE, IOASID_BASE + 0)

#endif /* _UAPI_IOASID_H */
