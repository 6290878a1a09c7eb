/* The boot guard (framework.conf boot_guard="yes"): after autoinstall,
 * kernel_postinst or install, when the newest kernel lacks a module that a
 * device of this machine needs (dkms check: degraded, a needed module not
 * installed), the boot loader's default becomes the newest kernel whose
 * verdict is ready; when the newest kernel has its modules again, the
 * default the guard changed is put back.  Only a boot loader that is
 * detected is touched: GRUB (grub.cfg, grub-editenv, GRUB_DEFAULT=saved;
 * the guard sets saved_entry in grubenv) or systemd-boot (bootctl
 * set-default).  What the guard set is recorded in <dkms_tree>/.boot-guard,
 * so that only that is undone. */
#pragma once

#include "check.h"

struct dkms;

/* The entry of grub.cfg (its text) that boots kernel k, as saved_entry
 * names it: "submenu-id>entry-id" (ids, when every level has one), else
 * the titles joined by '>'.  An entry whose title or id names the kernel
 * (Debian's "Advanced options" entries) is preferred to one that boots it
 * only for now (the first, "simple" entry, which boots whatever kernel is
 * newest when grub.cfg is made); recovery entries are not chosen.
 * Returns 0, or -ENOENT when no entry boots k. */
int grub_cfg_entry(const char *cfg, const char *k, char **entry);

enum guard_action {
	GUARD_NOTHING,   /* the newest kernel is not missing a needed module, and nothing to undo */
	GUARD_SET,       /* boot ready instead of newest */
	GUARD_NO_READY,  /* the newest is missing a needed module, but no kernel is ready */
	GUARD_RESTORE,   /* the newest has its modules again: undo what the guard set */
};

struct guard_decision {
	enum guard_action action;
	const struct check_kernel *newest; /* the newest kernel installed */
	const struct check_module *missing; /* GUARD_SET, GUARD_NO_READY: a needed module it lacks */
	const struct check_kernel *ready;  /* GUARD_SET: the newest kernel that is ready */
};

/* What the guard does given the report of every installed kernel (newest
 * first) and whether it has set a default before (active). */
void boot_guard_decide(const struct check_report *r, bool active, struct guard_decision *out);

/* The guard, when boot_guard="yes": decides and acts, saying loudly on
 * stderr what it changed and how to undo it.  Never fails the command:
 * what it cannot do is said as a warning. */
void boot_guard_run(struct dkms *d);
