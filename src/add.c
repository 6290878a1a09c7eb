#include "add.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tree.h"

int add_source_tree(struct dkms *d, const char *dir, const struct kernel_target *t, char **m_out, char **v_out)
{
	char from[PATH_MAX];
	_cleanup_free_ char *conf = NULL;
	if (!realpath(dir, from) || !is_file((conf = path_join(from, "dkms.conf")))) {
		error("%s must contain a dkms.conf file!", dir);
		return EX_NO_SOURCE_CONF;
	}
	const struct module_conf *mc;
	int r = dkms_read_conf(d, "", "", t, conf, &mc);
	if (r) {
		error("Malformed dkms.conf file. Cannot load source tree.");
		return EX_MALFORMED_CONF;
	}
	if (!name_is_safe(mc->package_name) || !name_is_safe(mc->package_version)) {
		error("Invalid PACKAGE_NAME or PACKAGE_VERSION in %s: '%s' '%s'.", conf, mc->package_name,
		      mc->package_version);
		return EX_MALFORMED_CONF;
	}
	*m_out = xstrdup(mc->package_name);
	*v_out = xstrdup(mc->package_version);
	_cleanup_free_ char *dst = xasprintf("%s/%s-%s", d->s.source_tree, *m_out, *v_out);
	if (d->opt.force && is_dir(dst)) {
		fprintf(stderr, "\n");
		info("Forcing install of %s-%s", *m_out, *v_out);
		rm_rf(dst);
	}
	char realdst[PATH_MAX];
	if (realpath(dst, realdst) && streq(realdst, from))
		return 0;
	debug("Copying %s to %s.", from, dst);
	r = copy_tree(from, dst);
	if (r < 0) {
		error("Could not copy %s to %s: %s", from, dst, strerror(-r));
		return EX_FAILED;
	}
	return 0;
}

int do_add(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	const struct settings *s = &d->s;
	if (tree_is_added(s, m, v)) {
		error("DKMS tree already contains: %s-%s\nYou cannot add the same module/version combo more than once.", m, v);
		return EX_ALREADY_ADDED;
	}
	_cleanup_free_ char *srcdir = xasprintf("%s/%s-%s", s->source_tree, m, v);
	_cleanup_free_ char *defconf = path_join(srcdir, "dkms.conf");
	if (!is_dir(srcdir)) {
		error("Could not find module source directory.\nDirectory: %s does not exist.", srcdir);
		return EX_USAGE;
	}
	const struct module_conf *mc;
	int r = dkms_read_conf(d, m, v, t, d->opt.conf ? d->opt.conf : defconf, &mc);
	if (r)
		return r;
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *build = path_join(mv, "build");
	_cleanup_free_ char *source = path_join(mv, "source");
	info("Creating symlink %s -> %s", source, srcdir);
	if ((r = mkdir_p(build, 0755)) < 0 || (r = symlink_atomic(srcdir, source)) < 0) {
		error("Could not add %s/%s to %s: %s", m, v, s->dkms_tree, strerror(-r));
		return EX_FAILED;
	}
	run_module_script(d, "post_add", mc->post_add, m, v, "source", NULL);
	return 0;
}
