// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * only61: a module that builds on Linux 6.1 but not on 6.4 or later.
 *
 * It calls class_create() with the owner argument that Linux 6.4 removed,
 * so its build fails against newer kernel headers.  The boot test uses it
 * to check that one driver failing to build for a new kernel neither stops
 * the other drivers nor the boot of that kernel.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/err.h>

static struct class *only61_class;

static int __init only61_init(void)
{
	only61_class = class_create(THIS_MODULE, "only61");
	if (IS_ERR(only61_class))
		return PTR_ERR(only61_class);
	pr_info("only61: loaded\n");
	return 0;
}

static void __exit only61_exit(void)
{
	class_destroy(only61_class);
}

module_init(only61_init);
module_exit(only61_exit);

MODULE_DESCRIPTION("Test module that only builds for kernels before 6.4");
MODULE_LICENSE("GPL");
