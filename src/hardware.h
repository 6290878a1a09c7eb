/* The hardware of this machine and the modules that drive it: the devices
 * sysfs lists with a modalias, what a module file says about itself (its
 * aliases, vermagic and signature, through libkmod), and which devices a
 * module's aliases match, the way modprobe matches them (fnmatch with the
 * alias as the pattern). */
#pragma once

#include "util/util.h"

struct hw_device {
	char *bus;      /* "pci", "usb", ... */
	char *name;     /* its name on the bus: "0000:00:14.3" */
	char *modalias; /* "pci:v00008086d00002723sv...": what modprobe looks up */
	char *driver;   /* the driver bound to it, or NULL */
};

struct hw_devices {
	struct hw_device *v;
	size_t n;
};

/* Every device of <sysfs>/bus/<bus>/devices/ that has a modalias, in
 * sorted order.  A missing or unreadable sysfs gives none. */
void hw_devices_scan(const char *sysfs, struct hw_devices *out);
void hw_devices_free(struct hw_devices *devs);

/* modprobe's rule: the module alias is a shell pattern for the device's
 * modalias. */
bool hw_alias_matches(const char *alias, const char *modalias);
/* "PCI 8086:2723" from a modalias: PCI and USB ids as lspci and lsusb
 * write them; other buses as "<bus> <modalias>". */
char *hw_modalias_short(const char *bus, const char *modalias);
/* "PCI 8086:2723 (0000:00:14.3) bound to iwlwifi", or "..., no driver". */
char *hw_device_describe(const struct hw_device *dev);
/* One of the aliases matches the device. */
bool hw_device_needs(const struct hw_device *dev, char *const *aliases);

/* What a module file (.ko, compressed or not) says about itself. */
struct modfile_info {
	char **aliases;  /* every alias=; empty when it has none */
	char *vermagic;  /* the kernel release it was built for (vermagic's first word) */
	char *signer;    /* the signature's signer, NULL when not signed */
	char *sig_key;   /* the signing key's id as libkmod writes it ("AB:CD:..."), or NULL */
};
/* 0, or a negative errno when the file is not a module libkmod can read. */
int modfile_read(const char *path, struct modfile_info *mi);
void modfile_info_free(struct modfile_info *mi);
