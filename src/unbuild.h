/* unbuild: remove what build made for one kernel. */
#pragma once

#include "dkms.h"

/* Removes <m>/<v>/<kernel>/<arch>, and <kernel>/ when no arch is left. */
int do_unbuild(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);
