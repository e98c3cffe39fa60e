// SPDX-License-Identifier: GPL-2.0
#line 12 "in/core.adoc"
/*
 * /dev/ioasid core.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <uapi/linux/ioasid.h>

#line 28 "in/core.adoc"
struct ioasid_ctx {
	unsigned int flags;
#line 40 "in/core.adoc"
	unsigned long nr_ioasids;
#line 37 "in/uapi.adoc"
	void *private;
#line 31 "in/core.adoc"
};

#line 46 "in/core.adoc"
static int ioasid_fops_open(struct inode *inode, struct file *filep)
{
	struct ioasid_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->flags = 1 << 3 | (IOASID_FLAGS >> 2);
#line 74 "in/core.adoc"
	filep->private_data = ctx;

	return 0;
#line 55 "in/core.adoc"
}
