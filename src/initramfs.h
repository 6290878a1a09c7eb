/* The initramfs: when a command installed or removed a module whose
 * dkms.conf says REMAKE_INITRD="yes", the initramfs of that kernel is
 * regenerated once at the end of the command, with the distribution's
 * tool (update-initramfs, dracut or mkinitcpio).
 *
 * A kernel that needs it is marked by an empty file
 * <dkms_tree>/.initramfs-pending/<kernel>: installs done by forked
 * children (autoinstall) are seen by the parent, and a run that died
 * before regenerating leaves the mark for the next command that holds
 * the tree's lock. */
#pragma once

#include "dkms.h"

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

/* Marks kernel k as needing a new initramfs (nothing with --no-initrd). */
void initramfs_note(struct dkms *d, const char *kernelver);

/* Regenerates the initramfs of each marked kernel, once each, when this
 * process holds the tree's lock.  A failure is reported and does not undo
 * anything.  Returns the number of kernels whose run failed. */
int initramfs_flush(struct dkms *d);
