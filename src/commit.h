/* The commit point of a command.  Steps only record what they changed:
 * a kernel whose module tree changed needs depmod, a kernel that got or
 * lost a REMAKE_INITRD module needs a new initramfs.  Once, at the end of
 * the command, dkms_commit() runs depmod once per kernel, then the
 * initramfs tool once per kernel, then post_transaction, and turns their
 * results into the exit code.
 *
 * Each record is also an empty file, <dkms_tree>/.pending/<what>-<kernel>,
 * written when the change is made and removed once the work is done: a
 * forked autoinstall job's changes reach the parent through them, and a
 * run killed before its commit leaves them for the next command that holds
 * the tree's lock, which finishes the work. */
#pragma once

#include <stdbool.h>

struct dkms;
struct kernel_target;

struct changes {
	bool changed; /* an install tree changed: post_transaction runs */
};

/* A module was installed in or removed from kernel t's module tree
 * (nothing with --no-depmod). */
void changes_note_depmod(struct dkms *d, const char *kernel);
/* Kernel t's initramfs must be regenerated (nothing with --no-initrd). */
void changes_note_initramfs(struct dkms *d, const char *kernel);

/* Runs depmod for kernel k now (--modprobe-on-install needs modules.dep
 * before the end).  0, or EX_INSTALL after a message. */
int depmod_run(struct dkms *d, const char *k);

/* The commit: depmod, initramfs and post_transaction for everything
 * recorded (by this run, its children, or runs that died), when this
 * process holds the lock.  Returns 0 or EX_INSTALL. */
int dkms_commit(struct dkms *d);
