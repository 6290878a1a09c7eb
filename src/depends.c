/* BUILD_DEPENDS: the build's check, cycles, and BUILD_DEPENDS_REBUILD
 * (depends.h). */
#include "depends.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "install.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "unbuild.h"
#include "uninstall.h"

/* The depth-first walk of depends_find_cycle: path holds the modules
 * from start to m. */
static char *cycle_from(const char *m, char ***path, char ***done, depends_of_fn deps_of, void *ctx)
{
	if (strv_contains(*done, m))
		return NULL;
	if (strv_contains(*path, m)) {
		strv_pushdup(path, m);
		return strv_join(*path, " -> ");
	}
	strv_pushdup(path, m);
	_cleanup_strv_ char **deps = deps_of(ctx, m);
	for (size_t i = 0; deps && deps[i]; i++) {
		char *found = cycle_from(deps[i], path, done, deps_of, ctx);
		if (found)
			return found;
	}
	size_t n = strv_len(*path);
	free((*path)[n - 1]);
	(*path)[n - 1] = NULL;
	strv_pushdup(done, m);
	return NULL;
}

char *depends_find_cycle(const char *start, depends_of_fn deps_of, void *ctx)
{
	_cleanup_strv_ char **path = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **done = xcalloc(1, sizeof(char *));
	return cycle_from(start, &path, &done, deps_of, ctx);
}

char *depends_installed_version(const struct settings *s, const char *m, const struct kernel_target *t)
{
	_cleanup_strv_ char **vers = tree_versions(s, m, NULL);
	for (size_t i = 0; vers[i]; i++)
		if (tree_link_is_installed(s, m, vers[i], t->release, t->arch))
			return xstrdup(vers[i]);
	return NULL;
}

/* Another module's dkms.conf, read for t without touching the run's
 * current one (dkms.h), quietly: its own commands report its errors. */
static int read_other_conf(struct dkms *d, const char *m, const char *v, const struct kernel_target *t,
			   struct module_conf *mc)
{
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_free_ char *file = xasprintf("%s/source/dkms.conf", mv);
	struct conf_request rq = {
		.s = &d->s, .module = m, .module_version = v, .t = t, .file = file, .cache_tree = mv, .cache_read = true,
	};
	fflush(stderr);
	int saved = log_silence_stderr();
	int r = module_conf_load(&rq, mc);
	log_restore_stderr(saved);
	if (r < 0)
		module_conf_free(mc);
	return r;
}

/* The newest registered version of m, or NULL. */
static char *newest_version(const struct settings *s, const char *m)
{
	_cleanup_strv_ char **vers = tree_versions(s, m, NULL);
	const char *best = NULL;
	for (size_t i = 0; vers[i]; i++)
		if (tree_is_added(s, m, vers[i]) && (!best || ver_cmp(vers[i], best) > 0))
			best = vers[i];
	return best ? xstrdup(best) : NULL;
}

struct build_graph {
	struct dkms *d;
	const struct kernel_target *t;
	const char *m;           /* the module being built, */
	char *const *m_deps;     /* its BUILD_DEPENDS */
};

/* A module's BUILD_DEPENDS as far as they stop a build on t: none when
 * it is installed there; else those of its newest registered version. */
static char **build_deps_of(void *ctx, const char *m)
{
	struct build_graph *g = ctx;
	char **out = xcalloc(1, sizeof(char *));
	if (streq(m, g->m)) {
		for (size_t i = 0; g->m_deps[i]; i++)
			strv_pushdup(&out, g->m_deps[i]);
		return out;
	}
	_cleanup_free_ char *inst = depends_installed_version(&g->d->s, m, g->t);
	_cleanup_free_ char *v = inst ? NULL : newest_version(&g->d->s, m);
	struct module_conf mc;
	if (!v || read_other_conf(g->d, m, v, g->t, &mc) < 0)
		return out;
	for (size_t i = 0; mc.build_depends[i]; i++)
		strv_pushdup(&out, mc.build_depends[i]);
	module_conf_free(&mc);
	return out;
}

int depends_check_build(struct dkms *d, const char *m, const char *v, const struct module_conf *mc,
			const struct kernel_target *t)
{
	struct strbuf missing = {0};
	for (size_t i = 0; mc->build_depends[i]; i++) {
		_cleanup_free_ char *inst = depends_installed_version(&d->s, mc->build_depends[i], t);
		if (!inst)
			strbuf_appendf(&missing, " %s", mc->build_depends[i]);
	}
	if (!missing.len)
		return 0;
	struct build_graph g = {.d = d, .t = t, .m = m, .m_deps = mc->build_depends};
	_cleanup_free_ char *cycle = depends_find_cycle(m, build_deps_of, &g);
	_cleanup_free_ char *why =
		cycle ? xasprintf("The BUILD_DEPENDS form a cycle (%s): none of its modules can be installed first.", cycle)
		      : xasprintf("They must be installed for kernel %s (%s) first.", t->release, t->arch);
	int r = 0;
	if (d->opt.force) {
		warn("Trying to build module %s/%s for kernel %s (%s) despite of missing BUILD_DEPENDS:%s.\n%s", m, v,
		     t->release, t->arch, missing.buf, why);
	} else {
		error("Aborting build of module %s/%s for kernel %s (%s) due to missing BUILD_DEPENDS:%s.\n%s\n"
		      "You may override by specifying --force.",
		      m, v, t->release, t->arch, missing.buf, why);
		r = EX_BUILD_DEPENDS;
	}
	strbuf_release(&missing);
	return r;
}

static char *dep_file(const struct settings *s, const char *m, const char *v, const struct kernel_target *t,
		      const char *dep)
{
	_cleanup_free_ char *ka = tree_ka_dir(s, m, v, t->release, t->arch);
	return xasprintf("%s/.dep_%s", ka, dep);
}

void depends_record(struct dkms *d, const char *m, const char *v, const struct module_conf *mc,
		    const struct kernel_target *t)
{
	if (!mc->build_depends_rebuild || d->opt.force)
		return;
	for (size_t i = 0; mc->build_depends[i]; i++) {
		const char *dep = mc->build_depends[i];
		_cleanup_free_ char *dv = depends_installed_version(&d->s, dep, t);
		if (!dv || !name_is_plain(dep))
			continue;
		_cleanup_free_ char *file = dep_file(&d->s, m, v, t, dep);
		_cleanup_free_ char *line = xasprintf("%s\n", dv);
		int r = write_file_atomic(file, line, strlen(line), 0644);
		if (r < 0)
			warn("Could not record the version of %s that %s/%s was built against for kernel %s (%s) in %s: %s",
			     dep, m, v, t->release, t->arch, file, strerror(-r));
		else
			debug("%s/%s for kernel %s was built against %s/%s.", m, v, t->release, dep, dv);
	}
}

/* Whether m/v, built for t, is to be rebuilt now that dep/dep_v is
 * installed there. */
static bool needs_rebuild(struct dkms *d, const char *m, const char *v, const char *dep, const char *dep_v,
			  const struct kernel_target *t)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (!is_dir(moddir))
		return false;
	struct module_conf mc;
	if (read_other_conf(d, m, v, t, &mc) < 0)
		return false;
	bool wanted = mc.build_depends_rebuild && strv_contains(mc.build_depends, dep);
	module_conf_free(&mc);
	if (!wanted)
		return false;
	_cleanup_free_ char *file = dep_file(&d->s, m, v, t, dep);
	_cleanup_free_ char *old = NULL;
	size_t len = 0;
	if (read_file(file, &old, &len) < 0)
		return true;
	old[strcspn(old, "\n")] = '\0';
	return !streq(old, dep_v);
}

/* Uninstall, unbuild, build and install m/v on t. */
static void rebuild_one(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	info_blank();
	info("Rebuilding module %s/%s due to updated dependencies", m, v);
	info_blank();
	int r = 0;
	if (module_is_installed(d, m, v, t))
		r = do_uninstall(d, m, v, t);
	if (!r)
		r = do_unbuild(d, m, v, t);
	if (!r)
		r = do_build(d, m, v, t);
	if (!r)
		r = do_install(d, m, v, t);
	if (r)
		error("Rebuild of %s/%s for kernel %s (%s) after an update of its BUILD_DEPENDS failed (exit %d); "
		      "see the messages above and %s/%s/%s/build/make.log.",
		      m, v, t->release, t->arch, r, d->s.dkms_tree, m, v);
}

void depends_rebuild_dependents(struct dkms *d, const char *dep, const char *dep_v, const struct kernel_target *t)
{
	/* a chain of dependents rebuilds in turn; a cycle of them stops here */
	static int depth;
	if (d->opt.force || depth > 8)
		return;
	depth++;
	_cleanup_strv_ char **mods = tree_modules(&d->s, NULL);
	for (size_t i = 0; mods[i]; i++) {
		if (streq(mods[i], dep))
			continue;
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], NULL);
		for (size_t j = 0; vers[j]; j++) {
			if (tree_is_added(&d->s, mods[i], vers[j]) &&
			    needs_rebuild(d, mods[i], vers[j], dep, dep_v, t))
				rebuild_one(d, mods[i], vers[j], t);
		}
	}
	depth--;
}
