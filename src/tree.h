/* The state tree, laid out exactly as the reference's:
 *   <dkms_tree>/<m>/<v>/source -> <source_tree>/<m>-<v>
 *   <dkms_tree>/<m>/<v>/build/
 *   <dkms_tree>/<m>/<v>/<kernel>/<arch>/{module/,log/make.log}
 *   <dkms_tree>/<m>/kernel-<kernel>-<arch> -> <v>/<kernel>/<arch>   (installed)
 *   <dkms_tree>/<m>/original_module/<kernel>/<arch>/
 */
#pragma once

#include "dkmsconf.h"
#include "framework.h"
#include "target.h"

char *tree_mv_dir(const struct settings *s, const char *m, const char *v);
/* <dkms_tree>/m/v/source as a path to read through: with --root, the
 * link followed inside the root (a dkms running there made it absolute,
 * /usr/src/m-v, which on the host would be the host's). */
char *tree_source_dir(const struct settings *s, const char *m, const char *v);
char *tree_ka_dir(const struct settings *s, const char *m, const char *v, const char *k, const char *a);
char *tree_kernel_link(const struct settings *s, const char *m, const char *k, const char *a);
/* <dkms_tree>/<m>/original_module/<k>/<a>: originals kept by install. */
char *tree_original_dir(const struct settings *s, const char *m, const char *k, const char *a);

bool tree_is_added(const struct settings *s, const char *m, const char *v);
/* module/ exists and holds every DEST_MODULE_NAME of the conf. */
bool tree_is_built(const struct settings *s, const char *m, const char *v, const struct kernel_target *t,
		   const struct module_conf *mc);
/* The kernel-<k>-<a> link points at this version's <k>/<a>. */
bool tree_link_is_installed(const struct settings *s, const char *m, const char *v, const char *k, const char *a);
/* The same, for a k/a directory of v known to exist (listed just now). */
bool tree_link_is_installed_at(const struct settings *s, const char *m, const char *v, const char *k, const char *a,
			       bool ka_exists);

/* Module names in the tree (directories), sorted. */
char **tree_modules(const struct settings *s, const char *filter);
char **tree_versions(const struct settings *s, const char *m, const char *filter);
/* The same, with the links among them given whatever they point to, in a
 * run that keeps listings (tree_cache_listings): for a caller that asks
 * of each whether it is added (tree_is_added), which a link to no
 * directory is not. */
char **tree_version_entries(const struct settings *s, const char *m, const char *filter);
/* "<kernel>/<arch>" pairs with a directory under <m>/<v> (kernels are
 * names starting with digits and a dot, as the reference's glob). */
char **tree_kernel_arches(const struct settings *s, const char *m, const char *v, const char *kfilter,
			  const char *afilter);

/* From now on (status), the listings of the tree's directories come
 * through the status cache (samecache_list_dirs); NULL: read each time. */
void tree_cache_listings(const char *dkms_tree);
