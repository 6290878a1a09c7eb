/* BUILD_DEPENDS between the modules of the tree: what must be installed
 * on a kernel before a module is built for it, the cycles that make that
 * impossible, and BUILD_DEPENDS_REBUILD (a module rebuilt and reinstalled
 * when a module it depends on is installed in another version).
 *
 * A module built with BUILD_DEPENDS_REBUILD="yes" (and without --force)
 * keeps, for each of its BUILD_DEPENDS, the version installed for that
 * kernel when it was built, in <dkms_tree>/<m>/<v>/<kernel>/<arch>/.dep_<dep>. */
#pragma once

#include "dkms.h"

/* The BUILD_DEPENDS of module m, a new vector (NULL: none or unknown). */
typedef char **(*depends_of_fn)(void *ctx, const char *m);

/* A cycle of BUILD_DEPENDS reachable from start, written as the path that
 * reaches it ("a -> b -> c -> b"), or NULL when there is none. */
char *depends_find_cycle(const char *start, depends_of_fn deps_of, void *ctx);

/* The version of module m marked installed on t, or NULL. */
char *depends_installed_version(const struct settings *s, const char *m, const struct kernel_target *t);

/* For build: 0 when every BUILD_DEPENDS of m/v (mc) is installed on t.
 * Else a message naming the module, version, kernel, the dependencies
 * missing and the cycle they are part of, if any, and EX_BUILD_DEPENDS;
 * with --force a warning and 0. */
int depends_check_build(struct dkms *d, const char *m, const char *v, const struct module_conf *mc,
			const struct kernel_target *t);

/* After m/v was built on t: records the versions of its BUILD_DEPENDS
 * installed there, when mc asks for BUILD_DEPENDS_REBUILD and the build
 * was not forced. */
void depends_record(struct dkms *d, const char *m, const char *v, const struct module_conf *mc,
		    const struct kernel_target *t);

/* After dep/dep_v was installed on t (not with --force): every other
 * module built for t with BUILD_DEPENDS_REBUILD whose BUILD_DEPENDS name
 * dep, and that was built against another version of it (or against none
 * recorded), is uninstalled, unbuilt, built and installed again.  A
 * failure is reported and does not change the caller's result. */
void depends_rebuild_dependents(struct dkms *d, const char *dep, const char *dep_v, const struct kernel_target *t);
