/* The actions: one function each, called from main's table with the
 * run's context.  An action walks the kernels and modules of the command
 * and calls the steps (add.h, build.h, install.h, uninstall.h, unbuild.h);
 * it never runs depmod or the initramfs tool itself (commit.h), except
 * verify --repair (verify.h), which calls the commit point before its
 * report says whether the pending work got done.  Each returns 0 or an
 * exit code (exitcode.h). */
#pragma once

#include "dkms.h"

int action_add(struct dkms *d);
int action_build(struct dkms *d);
int action_install(struct dkms *d);
int action_uninstall(struct dkms *d);
int action_unbuild(struct dkms *d);
int action_remove(struct dkms *d);
int action_status(struct dkms *d);
int action_autoinstall(struct dkms *d);
int action_kernel_postinst(struct dkms *d);
int action_kernel_prerm(struct dkms *d);
int action_match(struct dkms *d);
int action_mktarball(struct dkms *d);
int action_ldtarball(struct dkms *d);
int action_generate_mok(struct dkms *d);
int action_cache(struct dkms *d);
int action_verify(struct dkms *d);
int action_check(struct dkms *d);
