// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * edu: driver for QEMU's "edu" educational PCI device (-device edu).
 *
 * The device (vendor 0x1234, device 0x11e8) has one memory BAR with 32-bit
 * registers:
 *   0x00  identification, 0xRRrr00ed (major, minor, 0xed)       read-only
 *   0x04  liveness check: reads back the inverse of what was written
 *   0x08  factorial: write n, read n! once the status busy bit is clear
 *   0x20  status: bit 0 set while a factorial is being computed
 *
 * On bind the driver checks the identification and liveness registers and
 * refuses the device if either is wrong.  It then exposes two attributes in
 * the PCI device's sysfs directory:
 *   ident      (read)        the identification register, in hex
 *   factorial  (read/write)  write n, read back n! computed by the device
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/device.h>

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_IDENT		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_FACTORIAL	0x08
#define EDU_REG_STATUS		0x20

#define EDU_IDENT_MAGIC		0xed
#define EDU_IDENT_MAJOR		1
#define EDU_STATUS_BUSY		0x01

#define EDU_BAR			0
#define EDU_MIN_BAR_LEN		0x24
#define EDU_POLL_US		10
#define EDU_TIMEOUT_US		(1000 * 1000)

struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	u32 ident;
	struct mutex lock;	/* serialises factorial requests */
};

static int edu_wait_idle(struct edu_dev *edu)
{
	u32 status;

	return readl_poll_timeout(edu->regs + EDU_REG_STATUS, status,
				  !(status & EDU_STATUS_BUSY),
				  EDU_POLL_US, EDU_TIMEOUT_US);
}

static ssize_t ident_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct edu_dev *edu = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%08x\n", ioread32(edu->regs + EDU_REG_IDENT));
}
static DEVICE_ATTR_RO(ident);

static ssize_t factorial_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct edu_dev *edu = dev_get_drvdata(dev);
	u32 val;
	int ret;

	mutex_lock(&edu->lock);
	ret = edu_wait_idle(edu);
	val = ioread32(edu->regs + EDU_REG_FACTORIAL);
	mutex_unlock(&edu->lock);
	if (ret)
		return ret;
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t factorial_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct edu_dev *edu = dev_get_drvdata(dev);
	u32 n;
	int ret;

	ret = kstrtou32(buf, 0, &n);
	if (ret)
		return ret;

	mutex_lock(&edu->lock);
	ret = edu_wait_idle(edu);
	if (!ret) {
		iowrite32(n, edu->regs + EDU_REG_FACTORIAL);
		ret = edu_wait_idle(edu);
	}
	mutex_unlock(&edu->lock);
	if (ret) {
		dev_err(dev, "factorial of %u timed out\n", n);
		return ret;
	}
	return count;
}
static DEVICE_ATTR_RW(factorial);

static struct attribute *edu_attrs[] = {
	&dev_attr_ident.attr,
	&dev_attr_factorial.attr,
	NULL,
};
ATTRIBUTE_GROUPS(edu);

static int edu_check(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	u32 probe = 0x5a3c96e1, back;

	edu->ident = ioread32(edu->regs + EDU_REG_IDENT);
	if ((edu->ident & 0xff) != EDU_IDENT_MAGIC ||
	    (edu->ident >> 24) != EDU_IDENT_MAJOR) {
		dev_err(dev, "not an edu device: identification register reads 0x%08x, expected 0x%02x??00%02x\n",
			edu->ident, EDU_IDENT_MAJOR, EDU_IDENT_MAGIC);
		return -ENODEV;
	}

	iowrite32(probe, edu->regs + EDU_REG_LIVENESS);
	back = ioread32(edu->regs + EDU_REG_LIVENESS);
	if (back != ~probe) {
		dev_err(dev, "liveness check failed: wrote 0x%08x, read 0x%08x, expected 0x%08x\n",
			probe, back, ~probe);
		return -EIO;
	}
	return 0;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu_dev *edu;
	int ret;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);

	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable device: %d\n", ret);
		return ret;
	}

	if (!(pci_resource_flags(pdev, EDU_BAR) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, EDU_BAR) < EDU_MIN_BAR_LEN) {
		dev_err(&pdev->dev, "BAR%d is not a large enough memory region\n",
			EDU_BAR);
		ret = -ENODEV;
		goto err_disable;
	}

	ret = pci_request_region(pdev, EDU_BAR, KBUILD_MODNAME);
	if (ret) {
		dev_err(&pdev->dev, "cannot claim BAR%d: %d\n", EDU_BAR, ret);
		goto err_disable;
	}

	edu->regs = pci_iomap(pdev, EDU_BAR, 0);
	if (!edu->regs) {
		dev_err(&pdev->dev, "cannot map BAR%d\n", EDU_BAR);
		ret = -ENOMEM;
		goto err_release;
	}

	ret = edu_check(edu);
	if (ret)
		goto err_unmap;

	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "edu device version %u.%u bound, identification 0x%08x\n",
		 edu->ident >> 24, (edu->ident >> 16) & 0xff, edu->ident);
	return 0;

err_unmap:
	pci_iounmap(pdev, edu->regs);
err_release:
	pci_release_region(pdev, EDU_BAR);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *edu = pci_get_drvdata(pdev);

	pci_iounmap(pdev, edu->regs);
	pci_release_region(pdev, EDU_BAR);
	pci_disable_device(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
	/* created by the driver core once probe succeeds, removed on unbind */
	.dev_groups	= edu_groups,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("Driver for QEMU's edu educational PCI device");
MODULE_AUTHOR("dkms-c project");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
