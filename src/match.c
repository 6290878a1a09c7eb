/* match: build and install on one kernel every module installed on a
 * template kernel.  The reference finds those modules by splitting
 * `dkms status` lines in a way its own status format broke; we ask the
 * state tree directly. */
#include <string.h>

#include "dkms.h"
#include "log.h"
#include "tree.h"

struct mv {
	char *m, *v;
};

static bool built_for(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	const struct module_conf *mc;
	if (dkms_read_conf(d, m, v, k, a, NULL, &mc) != 0)
		return false;
	return tree_is_built(&d->s, m, v, k, a, mc);
}

/* What `dkms status -k <t>` calls "installed": built for t and marked
 * installed by the kernel-<t>-<arch> link. */
static struct mv *installed_on(struct dkms *d, const char *t, const char *a, size_t *n)
{
	struct cli *c = d->cli;
	struct mv *out = NULL;
	*n = 0;
	_cleanup_strv_ char **mods = tree_modules(&d->s, c->module);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], c->module_version);
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
			if (!tree_is_added(&d->s, m, v) || !tree_link_is_installed(&d->s, m, v, t, a) ||
			    !built_for(d, m, v, t, a))
				continue;
			out = xrealloc(out, (*n + 1) * sizeof(*out));
			out[(*n)++] = (struct mv){xstrdup(m), xstrdup(v)};
		}
	}
	return out;
}

static int match_one(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	bool force = d->cli->force;
	int r;
	info("Module:  %s", m);
	info("Version: %s", v);
	if (built_for(d, m, v, k, a) && !force) {
		info("Module %s/%s already built for kernel %s (%s), skip. You may override by specifying --force.",
		     m, v, k, a);
	} else {
		if (built_for(d, m, v, k, a))
			do_unbuild(d, m, v, k, a);
		if ((r = do_build(d, m, v, k, a)) != 0)
			return r;
	}
	if (built_for(d, m, v, k, a) && tree_link_is_installed(&d->s, m, v, k, a)) {
		if (!force) {
			info("Module %s/%s already installed on kernel %s (%s), skip. You may override by specifying --force.",
			     m, v, k, a);
			return 0;
		}
		do_uninstall(d, m, v, k, a);
	}
	return do_install(d, m, v, k, a);
}

/* The action table in main.c declares it too. */
int action_match(struct dkms *d)
{
	struct cli *c = d->cli;
	if (strv_len(c->kernelver) != 1) {
		error("The action match does not support multiple kernel version parameters on the command line.");
		return 4;
	}
	if (c->all) {
		error("The action match does not support the --all parameter.");
		return 5;
	}
	const char *t = c->template_kernel, *k = c->kernelver[0], *a = c->arch[0];
	if (str_empty(t)) {
		error("Invalid number of parameters passed.\n"
		      "Usage: match --templatekernel=<kernel-version> -k <kernel-version>\n"
		      "   or: match --templatekernel=<kernel-version> -k <kernel-version> <module>");
		return 1;
	}
	if (streq(t, k)) {
		error("The templatekernel and the specified kernel version are the same.");
		return 2;
	}
	if (!str_empty(c->module)) {
		_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, c->module);
		if (!name_is_safe(c->module) || !is_dir(mdir)) {
			error("The module: %s is not located in the DKMS tree.", c->module);
			return 3;
		}
	}

	size_t n;
	struct mv *todo = installed_on(d, t, a, &n);
	info_blank();
	info("Matching modules in kernel: %s (%s)", k, a);
	info("to the configuration of kernel: %s (%s)", t, a);
	if (n == 0) {
		info_blank();
		info("There is nothing to be done for this match.");
		return 0;
	}

	int ret = 0;
	bool headers = true;
	_cleanup_free_ char *ksrc = kernel_source_dir_for(&d->s, c->kernel_source_dir, k);
	_cleanup_free_ char *kinc = path_join(ksrc, "include");
	if (!path_exists(kinc)) {
		error("Your kernel headers for kernel %s cannot be found at %s/%s/build or %s/%s/source.\n"
		      "Please install the linux-headers-%s package or use the --kernelsourcedir option to tell DKMS where it's located.",
		      k, d->s.kernel_dir_base, k, d->s.kernel_dir_base, k, k);
		ret = 1;
		headers = false;
	}
	/* One module failing does not stop the others; the first failure's
	 * code is the result. */
	for (size_t i = 0; headers && i < n; i++) {
		int r = match_one(d, todo[i].m, todo[i].v, k, a);
		if (r && !ret)
			ret = r;
	}
	for (size_t i = 0; i < n; i++) {
		free(todo[i].m);
		free(todo[i].v);
	}
	free(todo);
	return ret;
}
