// SPDX-License-Identifier: GPL-2.0
/*
 * oldclass: registers a device class the pre-6.4 way, with
 * class_create(THIS_MODULE, name).  Linux 6.4 dropped the owner argument,
 * so this module builds for 6.1 and no longer for 6.12.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/module.h>

static struct class *oldclass_class;

static int __init oldclass_init(void)
{
	oldclass_class = class_create(THIS_MODULE, "oldclass");
	if (IS_ERR(oldclass_class))
		return PTR_ERR(oldclass_class);
	pr_info("oldclass: class registered\n");
	return 0;
}

static void __exit oldclass_exit(void)
{
	class_destroy(oldclass_class);
}

module_init(oldclass_init);
module_exit(oldclass_exit);
MODULE_DESCRIPTION("Device class registered with the pre-6.4 class_create()");
MODULE_LICENSE("GPL");
