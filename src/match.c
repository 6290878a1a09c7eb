/* match: build and install on one kernel every module installed on a
 * template kernel.  The reference finds those modules by splitting
 * `dkms status` lines in a way its own status format broke; we ask the
 * state tree directly. */
#include <string.h>

#include "actions.h"
#include "build.h"
#include "install.h"
#include "log.h"
#include "tree.h"
#include "unbuild.h"
#include "uninstall.h"

struct mv {
	char *m, *v;
};

/* What `dkms status -k <t>` calls "installed": built for t and marked
 * installed by the kernel-<t>-<arch> link. */
static struct mv *installed_on(struct dkms *d, const struct kernel_target *t, size_t *n)
{
	struct cli *c = d->cli;
	struct mv *out = NULL;
	*n = 0;
	_cleanup_strv_ char **mods = tree_modules(&d->s, c->module);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], c->module_version);
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
			if (!tree_is_added(&d->s, m, v) || !module_is_installed(d, m, v, t))
				continue;
			out = xrealloc(out, (*n + 1) * sizeof(*out));
			out[(*n)++] = (struct mv){xstrdup(m), xstrdup(v)};
		}
	}
	return out;
}

static int match_one(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	int r;
	info("Module:  %s", m);
	info("Version: %s", v);
	_cleanup_free_ char *built = xasprintf("Module %s/%s already built for kernel %s (%s)", m, v, t->release,
					       t->arch);
	_cleanup_free_ char *installed = xasprintf("Module %s/%s already installed on kernel %s (%s)", m, v,
						   t->release, t->arch);
	if (!module_is_built(d, m, v, t) || !skip_unless_force(d, built)) {
		if (module_is_built(d, m, v, t))
			do_unbuild(d, m, v, t);
		if ((r = do_build(d, m, v, t)) != 0)
			return r;
	}
	if (module_is_installed(d, m, v, t)) {
		if (skip_unless_force(d, installed))
			return 0;
		do_uninstall(d, m, v, t);
	}
	return do_install(d, m, v, t);
}

int action_match(struct dkms *d)
{
	struct cli *c = d->cli;
	if (strv_len(c->kernelver) != 1) {
		error("The action match does not support multiple kernel version parameters on the command line.");
		return EX_MULTIPLE_KERNELS;
	}
	if (c->all) {
		error("The action match does not support the --all parameter.");
		return EX_NO_ALL;
	}
	const char *tk = c->template_kernel, *k = c->kernelver[0], *a = c->arch[0];
	if (str_empty(tk)) {
		error("Invalid number of parameters passed.\n"
		      "Usage: match --templatekernel=<kernel-version> -k <kernel-version>\n"
		      "   or: match --templatekernel=<kernel-version> -k <kernel-version> <module>");
		return EX_FAILED;
	}
	if (streq(tk, k)) {
		error("The templatekernel and the specified kernel version are the same.");
		return EX_SAME_KERNEL;
	}
	if (!str_empty(c->module)) {
		_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, c->module);
		if (!name_is_safe(c->module) || !is_dir(mdir)) {
			error("The module: %s is not located in the DKMS tree.", c->module);
			return EX_NOT_ADDED;
		}
	}

	size_t n;
	const struct kernel_target *target = dkms_target(d, k, a);
	struct mv *todo = installed_on(d, dkms_target(d, tk, a), &n);
	info_blank();
	info("Matching modules in kernel: %s (%s)", k, a);
	info("to the configuration of kernel: %s (%s)", tk, a);
	if (n == 0) {
		info_blank();
		info("There is nothing to be done for this match.");
		return 0;
	}

	int ret = 0;
	bool headers = true;
	if (!kernel_target_has_headers(target)) {
		error("Your kernel headers for kernel %s cannot be found at %s/%s/build or %s/%s/source.\n"
		      "Please install the linux-headers-%s package or use the --kernelsourcedir option to tell DKMS where it's located.",
		      k, d->s.kernel_dir_base, k, d->s.kernel_dir_base, k, k);
		ret = EX_FAILED;
		headers = false;
	}
	/* One module failing does not stop the others; the first failure's
	 * code is the result. */
	for (size_t i = 0; headers && i < n; i++) {
		int r = match_one(d, todo[i].m, todo[i].v, target);
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
