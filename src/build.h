/* build: copy the source into build/, apply patches, PRE_BUILD, make,
 * check and collect the modules (strip, sign, compress), POST_BUILD,
 * clean.  The result is staged in a private directory and renamed into
 * <dkms_tree>/<m>/<v>/<kernel>/<arch> at the end, so an interrupted build
 * never looks built. */
#pragma once

#include "dkms.h"

/* Builds m/v for kernel t (adding it first when it is not).  0, or an
 * exit code after a message naming module, version, kernel and log. */
int do_build(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);

/* The first line of a build log that tells what went wrong, or NULL. */
char *first_error_line(const char *log_path);
