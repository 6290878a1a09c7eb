/* add: register <source_tree>/<m>-<v> in the dkms tree. */
#pragma once

#include "dkms.h"

/* Makes <dkms_tree>/<m>/<v>/{source -> <source_tree>/<m>-<v>, build/} and
 * runs POST_ADD.  t: the kernel dkms.conf is read for.  0, or an exit
 * code after a message. */
int do_add(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);

/* Copies a source directory holding a dkms.conf to <source_tree>/<m>-<v>
 * (m and v from its dkms.conf) unless it is that directory already.
 * 0, or an exit code after a message. */
int add_source_tree(struct dkms *d, const char *dir, const struct kernel_target *t, char **m_out, char **v_out);
