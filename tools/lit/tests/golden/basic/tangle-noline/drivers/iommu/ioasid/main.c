// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ioasid core.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <uapi/linux/ioasid.h>

struct ioasid_ctx {
	unsigned int flags;
	unsigned long nr_ioasids;
	void *private;
};

static int ioasid_fops_open(struct inode *inode, struct file *filep)
{
	struct ioasid_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->flags = 1 << 3 | (IOASID_FLAGS >> 2);
	filep->private_data = ctx;

	return 0;
}
