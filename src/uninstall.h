/* uninstall: take an installed version's modules out of a kernel's module
 * tree, give back the originals install kept, and unmark it. */
#pragma once

#include "dkms.h"

int do_uninstall(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);

/* Where module i of a conf is installed for kernel t, or NULL (the
 * reference's find_actual_dest_module_location). */
char *installed_module_path(struct dkms *d, const struct module_conf *mc, size_t i, const char *m,
			    const struct kernel_target *t);
