// SPDX-License-Identifier: GPL-2.0
/*
 * A module that does nothing but WARN when it is loaded.  The self-check
 * of the conformance run loads it beside the real modules to show that a
 * kernel warning during a run fails the run.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init plant_warn_init(void)
{
	WARN(1, "planted warning: the conformance run must fail\n");
	return 0;
}

static void __exit plant_warn_exit(void)
{
}

module_init(plant_warn_init);
module_exit(plant_warn_exit);

MODULE_DESCRIPTION("Self-check of the conformance runner: a planted WARN");
MODULE_LICENSE("GPL");
