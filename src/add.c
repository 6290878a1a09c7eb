#include "add.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tree.h"
#include "util/staged.h"
#include "util/fault.h"

/* PACKAGE_NAME and PACKAGE_VERSION of a dkms.conf, read as the
 * reference's get_pkginfo_from_conf does: quietly, and whether or not the
 * rest of the file is valid (the add that follows says what is wrong, and
 * exits 8 as the reference does).  0, or -1 when either is missing. */
static int read_pkginfo(struct dkms *d, const char *conf, const struct kernel_target *t, char **m, char **v)
{
	struct conf_request rq = {.s = &d->s, .module = "", .module_version = "", .t = t, .file = conf};
	struct module_conf mc;
	int saved = log_silence_stderr();
	module_conf_load(&rq, &mc);
	log_restore_stderr(saved);
	int r = str_empty(mc.package_name) || str_empty(mc.package_version) ? -1 : 0;
	if (r == 0) {
		*m = xstrdup(mc.package_name);
		*v = xstrdup(mc.package_version);
	}
	module_conf_free(&mc);
	return r;
}

/* dir's content as dst, through a staged directory in the source tree:
 * a full disk leaves no truncated copy that a later add would take. */
static int copy_source(const struct settings *s, const char *from, const char *dst)
{
	if (is_dir(dst)) /* the reference copies over what is there */
		return copy_tree(from, dst);
	struct staged st;
	int r = staged_open_dir(&st, dst, s->source_tree);
	if (r < 0)
		return r;
	if ((r = copy_tree(from, st.path)) < 0) {
		staged_rollback(&st);
		return r;
	}
	return staged_commit(&st, STAGED_NOREPLACE);
}

int add_source_tree(struct dkms *d, const char *dir, const struct kernel_target *t, char **m_out, char **v_out)
{
	char from[PATH_MAX];
	_cleanup_free_ char *conf = NULL;
	if (!realpath(dir, from) || !is_file((conf = path_join(from, "dkms.conf")))) {
		error("%s must contain a dkms.conf file!", dir);
		return EX_NO_SOURCE_CONF;
	}
	_cleanup_free_ char *m = NULL, *v = NULL;
	if (read_pkginfo(d, conf, t, &m, &v) < 0) {
		error("Malformed dkms.conf file. Cannot load source tree.");
		return EX_MALFORMED_CONF;
	}
	if (strchr(m, '\r') || strchr(v, '\r')) {
		/* the reference would register names ending in a carriage return */
		error("%s has DOS (CRLF) line ends: its PACKAGE_NAME and PACKAGE_VERSION end in a carriage return.\n"
		      "Convert the file to Unix line ends (dos2unix, or sed -i 's/\\r$//').",
		      conf);
		return EX_MALFORMED_CONF;
	}
	if (!name_is_plain(m) || !name_is_plain(v)) {
		error("Invalid PACKAGE_NAME or PACKAGE_VERSION in %s: '%s' '%s' (only " NAME_PLAIN_CHARS " are allowed).",
		      conf, m, v);
		return EX_MALFORMED_CONF;
	}
	_cleanup_free_ char *dst = xasprintf("%s/%s-%s", d->s.source_tree, m, v);
	*m_out = TAKE_PTR(m);
	*v_out = TAKE_PTR(v);
	if (d->opt.force && is_dir(dst)) {
		fprintf(stderr, "\n");
		info("Forcing install of %s-%s", *m_out, *v_out);
		rm_rf(dst);
	}
	char realdst[PATH_MAX];
	if (realpath(dst, realdst) && streq(realdst, from))
		return 0;
	debug("Copying %s to %s.", from, dst);
	int r = copy_source(&d->s, from, dst);
	fault_point("add:copied");
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
	if (r || (r = dkms_conf_strict(mc)))
		return r;
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *build = path_join(mv, "build");
	_cleanup_free_ char *source = path_join(mv, "source");
	/* in another system's root (--root), a relative link: it names the
	 * source from the host now and from that system once it runs */
	_cleanup_free_ char *target = settings_in_root(s) ? path_relative(mv, srcdir) : xstrdup(srcdir);
	info("Creating symlink %s -> %s", source, target);
	fault_point("add:before-link");
	if ((r = mkdir_p(build, 0755)) < 0 || (r = symlink_atomic(target, source)) < 0) {
		error("Could not add %s/%s to %s: %s", m, v, s->dkms_tree, strerror(-r));
		return EX_FAILED;
	}
	run_module_script(d, "post_add", mc->post_add, m, v, "source", NULL);
	return 0;
}
