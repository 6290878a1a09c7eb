/* The initramfs: when a command installed or removed a module whose
 * dkms.conf says REMAKE_INITRD="yes", the initramfs of that kernel is
 * regenerated once, at the command's commit point (commit.h), with the
 * distribution's tool (update-initramfs, dracut or mkinitcpio). */
#pragma once

#include "framework.h"

enum initramfs_tool {
	INITRAMFS_UPDATE_INITRAMFS, /* Debian, Ubuntu */
	INITRAMFS_DRACUT,           /* Fedora, openSUSE, ... */
	INITRAMFS_MKINITCPIO,       /* Arch */
};

/* What regenerating one kernel's initramfs means on this system. */
struct initramfs_plan {
	enum initramfs_tool tool;
	char *program;  /* path or name given to spawn_run */
	char *image;    /* the initramfs file that must already exist */
	char **argv;    /* program and its arguments */
};

/* The kind of tool a program is, from its file name (anything unknown is
 * called as update-initramfs is). */
enum initramfs_tool initramfs_tool_from_name(const char *program);

/* Plans the run for kernel k.  program: the tool to use, NULL to find the
 * distribution's under the settings' root.  boot_dir: where the images
 * are.  Returns 0, or -ENOENT when no tool is found. */
int initramfs_plan_for(const struct settings *s, const char *program, const char *boot_dir, const char *k,
		       struct initramfs_plan *p);
void initramfs_plan_free(struct initramfs_plan *p);

/* Regenerates kernel k's initramfs now, or says why not (no tool, no
 * image, an install tree that is not the system's).  DKMS_INITRAMFS_TOOL
 * chooses the tool.  Returns 0, or 1 when the tool failed (reported). */
int initramfs_regenerate(const struct settings *s, const char *k);
