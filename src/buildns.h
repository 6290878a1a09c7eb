/* A private build directory for one build, so that one module version
 * builds for several kernels at once although its MAKE lines name
 * <dkms_tree>/<module>/<version>/build.  In a forked job, the process
 * moves to its own mount namespace (mounts private, nothing propagates
 * back) and binds a fresh scratch directory of tmp_location over that
 * path: the build, and bwrap started from it, see only its own files
 * there.  The results leave through the dkms tree's other directories as
 * always; what a build leaves in build/ (a failed build's make.log) is
 * copied to the real build/ afterwards. */
#pragma once

#include <stdbool.h>

/* Whether this process may make mount namespaces (root, not forbidden by
 * a seccomp filter): tried once in a forked child. */
bool buildns_possible(void);

/* In a forked job, before the build: build_dir (which must exist) is from
 * now on a new empty directory under tmp, for this process and what it
 * runs.  *scratch: what to give buildns_leave.  Returns 0 or -errno (the
 * process may be in its own namespace then, with build_dir unchanged). */
int buildns_enter(const char *tmp, const char *build_dir, char **scratch);

/* After the build: build_dir is the real one again; what the build left
 * in the private one replaces its contents, if anything; the scratch
 * directory is removed and freed. */
void buildns_leave(const char *build_dir, char *scratch);
