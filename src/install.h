/* install: put the built modules of one kernel under its module tree as
 * one transaction (txn.h), keep or restore originals as the
 * distribution's rules say, and mark the module installed with the
 * kernel-<kernel>-<arch> link last.  depmod and the initramfs are recorded
 * for the commit point (commit.h). */
#pragma once

#include "dkms.h"

/* Installs m/v on kernel t (building it first when it is not built).
 * Either every module of the version is in place and marked installed,
 * or nothing changed.  0, or an exit code after a message. */
int do_install(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);
