#include "tree.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel.h"
#include "samecache.h"

char *tree_mv_dir(const struct settings *s, const char *m, const char *v)
{
	return str_concat(s->dkms_tree, "/", m, "/", v, NULL);
}

char *tree_source_dir(const struct settings *s, const char *m, const char *v)
{
	_cleanup_free_ char *src = str_concat(s->dkms_tree, "/", m, "/", v, "/source", NULL);
	return settings_root_path(s, src);
}

char *tree_ka_dir(const struct settings *s, const char *m, const char *v, const char *k, const char *a)
{
	return str_concat(s->dkms_tree, "/", m, "/", v, "/", k, "/", a, NULL);
}

char *tree_kernel_link(const struct settings *s, const char *m, const char *k, const char *a)
{
	return str_concat(s->dkms_tree, "/", m, "/kernel-", k, "-", a, NULL);
}

char *tree_original_dir(const struct settings *s, const char *m, const char *k, const char *a)
{
	return str_concat(s->dkms_tree, "/", m, "/original_module/", k, "/", a, NULL);
}

bool tree_is_added(const struct settings *s, const char *m, const char *v)
{
	if (str_empty(m) || str_empty(v))
		return false;
	/* its source link, or a directory (mv/source can be there only
	 * when mv is a directory): one lstat */
	_cleanup_free_ char *src = str_concat(s->dkms_tree, "/", m, "/", v, "/source", NULL);
	struct stat st;
	return lstat(src, &st) == 0 && (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode));
}

bool tree_is_built(const struct settings *s, const char *m, const char *v, const struct kernel_target *t,
		   const struct module_conf *mc)
{
	_cleanup_free_ char *ka = tree_ka_dir(s, m, v, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (!is_dir(moddir))
		return false;
	const char *comp = t->module_suffix;
	for (size_t i = 0; i < mc->n_mods; i++) {
		_cleanup_free_ char *f = find_module_file(moddir, mc->mods[i].dest_name, comp);
		if (!f)
			return false;
	}
	return true;
}

bool tree_link_is_installed(const struct settings *s, const char *m, const char *v, const char *k, const char *a)
{
	return tree_link_is_installed_at(s, m, v, k, a, false);
}

bool tree_link_is_installed_at(const struct settings *s, const char *m, const char *v, const char *k, const char *a,
			       bool ka_exists)
{
	_cleanup_free_ char *link = tree_kernel_link(s, m, k, a);
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	_cleanup_free_ char *ka = tree_ka_dir(s, m, v, k, a);
	/* the link dkms makes, relative (v/k/a) or by the tree's path: no
	 * need to resolve both sides, the target only has to be there */
	_cleanup_free_ char *rel = str_concat(v, "/", k, "/", a, NULL);
	if (streq(target, rel) || streq(target, ka))
		return ka_exists || path_exists(ka);
	char r1[PATH_MAX], r2[PATH_MAX];
	if (!realpath(link, r1) || !realpath(ka, r2))
		return false;
	return streq(r1, r2);
}

static char *listing_tree;

void tree_cache_listings(const char *dkms_tree)
{
	free(listing_tree);
	listing_tree = dkms_tree ? xstrdup(dkms_tree) : NULL;
}

static char **filtered_dirs(const char *dir, const char *filter, bool (*accept)(const char *), bool follow)
{
	char **v = xcalloc(1, sizeof(char *));
	if (!str_empty(filter)) {
		_cleanup_free_ char *p = path_join(dir, filter);
		if (strchr(filter, '/') == NULL && is_dir(p) && (!accept || accept(filter)))
			strv_pushdup(&v, filter);
		return v;
	}
	_cleanup_strv_ char **names = samecache_list_dirs(listing_tree, dir, accept, follow);
	for (size_t i = 0; names && names[i]; i++)
		if (names[i][0] != '.')
			strv_pushdup(&v, names[i]);
	return v;
}

char **tree_modules(const struct settings *s, const char *filter)
{
	return filtered_dirs(s->dkms_tree, filter, NULL, true);
}

char **tree_versions(const struct settings *s, const char *m, const char *filter)
{
	_cleanup_free_ char *dir = path_join(s->dkms_tree, m);
	return filtered_dirs(dir, filter, NULL, true);
}

char **tree_version_entries(const struct settings *s, const char *m, const char *filter)
{
	_cleanup_free_ char *dir = path_join(s->dkms_tree, m);
	return filtered_dirs(dir, filter, NULL, false);
}

/* The reference's +([0-9]).* */
static bool looks_like_kernel(const char *name)
{
	const char *p = name;
	while (isdigit((unsigned char)*p))
		p++;
	return p > name && *p == '.';
}

char **tree_kernel_arches(const struct settings *s, const char *m, const char *v, const char *kfilter,
			  const char *afilter)
{
	_cleanup_free_ char *dir = tree_mv_dir(s, m, v);
	_cleanup_strv_ char **kernels = filtered_dirs(dir, kfilter, str_empty(kfilter) ? looks_like_kernel : NULL, true);
	char **out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; kernels[i]; i++) {
		_cleanup_free_ char *kd = path_join(dir, kernels[i]);
		_cleanup_strv_ char **arches = filtered_dirs(kd, afilter, NULL, true);
		for (size_t j = 0; arches[j]; j++)
			strv_push(&out, xasprintf("%s/%s", kernels[i], arches[j]));
	}
	return out;
}
