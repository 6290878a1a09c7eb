/* The actions that walk kernels and modules: add, build, install,
 * uninstall, unbuild, remove, with the reference's per-kernel loops,
 * "already done, skip" rules and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dkms.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"


int dkms_check_module_args(struct dkms *d, const char *action)
{
	if (!str_empty(d->cli->module) && !str_empty(d->cli->module_version)) {
		if (!name_is_safe(d->cli->module) || !name_is_safe(d->cli->module_version)) {
			error("Invalid module name or version '%s/%s': they may not be empty, '.' or '..', or contain '/' or control characters.",
			      d->cli->module, d->cli->module_version);
			return 1;
		}
		return 0;
	}
	error("Arguments <module> and <module-version> are not specified.\n"
	      "Usage: %s <module>/<module-version> or\n"
	      "       %s -m <module>/<module-version> or\n"
	      "       %s -m <module> -v <module-version>",
	      action, action, action);
	return 1;
}

int add_source_tree(struct dkms *d, const char *dir, char **m_out, char **v_out)
{
	char from[PATH_MAX];
	_cleanup_free_ char *conf = NULL;
	if (!realpath(dir, from) || !is_file((conf = path_join(from, "dkms.conf")))) {
		error("%s must contain a dkms.conf file!", dir);
		return 9;
	}
	const struct module_conf *mc;
	int r = dkms_read_conf(d, "", "", d->cli->kernelver ? d->cli->kernelver[0] : d->s.current_kernel,
			       d->cli->arch ? d->cli->arch[0] : d->s.machine, conf, &mc);
	if (r) {
		error("Malformed dkms.conf file. Cannot load source tree.");
		return 10;
	}
	if (!name_is_safe(mc->package_name) || !name_is_safe(mc->package_version)) {
		error("Invalid PACKAGE_NAME or PACKAGE_VERSION in %s: '%s' '%s'.", conf, mc->package_name,
		      mc->package_version);
		return 10;
	}
	*m_out = xstrdup(mc->package_name);
	*v_out = xstrdup(mc->package_version);
	_cleanup_free_ char *dst = xasprintf("%s/%s-%s", d->s.source_tree, *m_out, *v_out);
	if (d->cli->force && is_dir(dst)) {
		fprintf(stderr, "\n");
		info("Forcing install of %s-%s", *m_out, *v_out);
		rm_rf(dst);
	}
	char realdst[PATH_MAX];
	if (realpath(dst, realdst) && streq(realdst, from))
		return 0;
	r = copy_tree(from, dst);
	if (r < 0) {
		error("Could not copy %s to %s: %s", from, dst, strerror(-r));
		return 1;
	}
	return 0;
}

/* --rpm_safe_upgrade: during an RPM upgrade the new package's add runs
 * before the old package's remove, both children of one rpm process.  add
 * leaves a note naming the module and that process (its pid and start
 * time); a remove of the same module under the same process finds the
 * note, drops it and does nothing. */
static char *rpm_parent_stamp(pid_t *ppid_out)
{
	/* our parent is the package's script; its parent is rpm */
	_cleanup_free_ char *status = NULL;
	_cleanup_free_ char *path = xasprintf("/proc/%d/status", (int)getppid());
	if (read_file(path, &status, NULL) < 0)
		return NULL;
	const char *p = strstr(status, "\nPPid:");
	if (!p)
		return NULL;
	pid_t ppid = (pid_t)strtol(p + strlen("\nPPid:"), NULL, 10);
	_cleanup_free_ char *stat = NULL;
	_cleanup_free_ char *spath = xasprintf("/proc/%d/stat", (int)ppid);
	if (read_file(spath, &stat, NULL) < 0)
		return NULL;
	/* field 22, after the parenthesised command name */
	const char *q = strrchr(stat, ')');
	for (int field = 2; q && field < 22; field++)
		q = strchr(q + 1, ' ');
	if (!q)
		return NULL;
	*ppid_out = ppid;
	return xstrndup(q + 1, strcspn(q + 1, " "));
}

static void rpm_safe_note_add(struct dkms *d, const char *m, const char *v)
{
	pid_t ppid;
	_cleanup_free_ char *stamp = rpm_parent_stamp(&ppid);
	if (!stamp)
		return;
	_cleanup_free_ char *path = xasprintf("%s/dkms_rpm_safe_upgrade_lock.%d.XXXXXX", d->s.tmp_location, (int)ppid);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return;
	dprintf(fd, "%s-%s\n%s\n", m, v, stamp);
	close(fd);
}

/* True when this remove is the second half of an RPM upgrade. */
static bool rpm_safe_cancels_remove(struct dkms *d, const char *m, const char *v)
{
	pid_t ppid;
	_cleanup_free_ char *stamp = rpm_parent_stamp(&ppid);
	if (!stamp)
		return false;
	_cleanup_free_ char *prefix = xasprintf("dkms_rpm_safe_upgrade_lock.%d.", (int)ppid);
	_cleanup_free_ char *want = xasprintf("%s-%s\n%s\n", m, v, stamp);
	_cleanup_strv_ char **names = dir_list(d->s.tmp_location);
	for (size_t i = 0; names && names[i]; i++) {
		if (!startswith(names[i], prefix))
			continue;
		_cleanup_free_ char *p = path_join(d->s.tmp_location, names[i]);
		_cleanup_free_ char *text = NULL;
		if (read_file(p, &text, NULL) == 0 && streq(text, want)) {
			unlink(p);
			return true;
		}
	}
	return false;
}

int do_add(struct dkms *d, const char *m, const char *v)
{
	const struct settings *s = &d->s;
	if (tree_is_added(s, m, v)) {
		error("DKMS tree already contains: %s-%s\nYou cannot add the same module/version combo more than once.", m, v);
		return 3;
	}
	_cleanup_free_ char *srcdir = xasprintf("%s/%s-%s", s->source_tree, m, v);
	_cleanup_free_ char *defconf = path_join(srcdir, "dkms.conf");
	const char *conf = !str_empty(d->cli->conf) ? d->cli->conf : defconf;
	if (!is_dir(srcdir)) {
		error("Could not find module source directory.\nDirectory: %s does not exist.", srcdir);
		return 2;
	}
	const struct module_conf *mc;
	const char *k = d->cli->kernelver && d->cli->kernelver[0] ? d->cli->kernelver[0] : d->s.current_kernel;
	const char *a = d->cli->arch && d->cli->arch[0] ? d->cli->arch[0] : d->s.machine;
	int r = dkms_read_conf(d, m, v, k, a, conf, &mc);
	if (r)
		return r;
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *build = path_join(mv, "build");
	_cleanup_free_ char *source = path_join(mv, "source");
	info("Creating symlink %s -> %s", source, srcdir);
	if ((r = mkdir_p(build, 0755)) < 0 || (r = symlink_atomic(srcdir, source)) < 0) {
		error("Could not add %s/%s to %s: %s", m, v, s->dkms_tree, strerror(-r));
		return 1;
	}
	run_module_script(d, "post_add", mc->post_add, m, v, "source", NULL);
	return 0;
}

int action_add(struct dkms *d)
{
	struct cli *c = d->cli;
	if (c->all) {
		error("The action add does not support the --all parameter.");
		return 5;
	}
	if (!str_empty(c->try_source_tree) && str_empty(c->module) && str_empty(c->module_version)) {
		int r = add_source_tree(d, c->try_source_tree, &c->module, &c->module_version);
		if (r)
			return r;
	} else if (!str_empty(c->archive) && str_empty(c->module) && str_empty(c->module_version)) {
		error("Adding from an archive is done with the ldtarball action.");
		return 2;
	}
	int r = dkms_check_module_args(d, "add");
	if (r)
		return r;
	if (c->rpm_safe_upgrade)
		rpm_safe_note_add(d, c->module, c->module_version);
	return do_add(d, c->module, c->module_version);
}

bool dkms_module_built(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, k, a);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (!is_dir(moddir))
		return false;
	const struct module_conf *mc;
	if (dkms_read_conf(d, m, v, k, a, NULL, &mc))
		return false;
	return tree_is_built(&d->s, m, v, k, a, mc);
}

static bool module_installed(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	return dkms_module_built(d, m, v, k, a) && tree_link_is_installed(&d->s, m, v, k, a);
}

/* Resolve module/version from a source path given instead of a name. */
static int resolve_source_arg(struct dkms *d)
{
	struct cli *c = d->cli;
	if (!str_empty(c->try_source_tree) && str_empty(c->module) && str_empty(c->module_version))
		return add_source_tree(d, c->try_source_tree, &c->module, &c->module_version);
	return 0;
}

int action_build(struct dkms *d)
{
	struct cli *c = d->cli;
	int r = resolve_source_arg(d);
	if (r)
		return r;
	if ((r = dkms_check_module_args(d, "build")))
		return r;
	int last = 0;
	for (size_t i = 0; c->kernelver[i]; i++) {
		const char *k = c->kernelver[i], *a = c->arch[i];
		if (tree_is_added(&d->s, c->module, c->module_version) && dkms_module_built(d, c->module, c->module_version, k, a)) {
			if (!c->force) {
				info("Module %s/%s already built for kernel %s (%s), skip. You may override by specifying --force.",
				     c->module, c->module_version, k, a);
				last = 0;
				continue;
			}
			do_unbuild(d, c->module, c->module_version, k, a);
		}
		last = do_build(d, c->module, c->module_version, k, a);
	}
	return last;
}

int action_install(struct dkms *d)
{
	struct cli *c = d->cli;
	int r = resolve_source_arg(d);
	if (r)
		return r;
	if ((r = dkms_check_module_args(d, "install")))
		return r;
	int last = 0;
	for (size_t i = 0; c->kernelver[i]; i++) {
		const char *k = c->kernelver[i], *a = c->arch[i];
		if (tree_is_added(&d->s, c->module, c->module_version) &&
		    module_installed(d, c->module, c->module_version, k, a)) {
			if (!c->force) {
				info("Module %s/%s already installed on kernel %s (%s), skip. You may override by specifying --force.",
				     c->module, c->module_version, k, a);
				last = 0;
				continue;
			}
			do_uninstall(d, c->module, c->module_version, k, a);
		}
		last = do_install(d, c->module, c->module_version, k, a);
		int dr = dkms_flush_depmod(d);
		if (!last && dr)
			last = dr;
	}
	return last;
}

static int module_is_added_or_die(struct dkms *d)
{
	if (tree_is_added(&d->s, d->cli->module, d->cli->module_version))
		return 0;
	error("The module/version combo: %s-%s is not located in the DKMS tree.", d->cli->module, d->cli->module_version);
	return 3;
}

static int maybe_uninstall(struct dkms *d, const char *k, const char *a)
{
	const char *m = d->cli->module, *v = d->cli->module_version;
	if (!module_installed(d, m, v, k, a)) {
		info("Module %s %s is not installed for kernel %s (%s). Skipping...", m, v, k, a);
		return 0;
	}
	return do_uninstall(d, m, v, k, a);
}

int do_unbuild(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, k, a);
	rm_rf(ka);
	_cleanup_free_ char *kdir = xasprintf("%s/%s/%s/%s", d->s.dkms_tree, m, v, k);
	/* the kernel directory goes when no arch directory is left */
	_cleanup_strv_ char **left = dir_list(kdir);
	bool subdir = false;
	for (size_t i = 0; left && left[i]; i++) {
		_cleanup_free_ char *p = path_join(kdir, left[i]);
		if (left[i][0] != '.' && is_dir(p))
			subdir = true;
	}
	if (!subdir)
		rm_rf(kdir);
	return 0;
}

static int maybe_unbuild(struct dkms *d, const char *k, const char *a)
{
	const char *m = d->cli->module, *v = d->cli->module_version;
	if (!dkms_module_built(d, m, v, k, a)) {
		info("Module %s %s is not built for kernel %s (%s). Skipping...", m, v, k, a);
		return 0;
	}
	return do_unbuild(d, m, v, k, a);
}

static int pre_checks(struct dkms *d, const char *action)
{
	int r = dkms_check_module_args(d, action);
	if (r)
		return r;
	return module_is_added_or_die(d);
}

int action_uninstall(struct dkms *d)
{
	int r = pre_checks(d, "uninstall");
	if (r)
		return r;
	int last = 0;
	for (size_t i = 0; d->cli->kernelver[i]; i++)
		last = maybe_uninstall(d, d->cli->kernelver[i], d->cli->arch[i]);
	dkms_flush_depmod(d);
	return last;
}

int action_unbuild(struct dkms *d)
{
	int r = pre_checks(d, "unbuild");
	if (r)
		return r;
	int last = 0;
	for (size_t i = 0; d->cli->kernelver[i]; i++) {
		maybe_uninstall(d, d->cli->kernelver[i], d->cli->arch[i]);
		last = maybe_unbuild(d, d->cli->kernelver[i], d->cli->arch[i]);
	}
	dkms_flush_depmod(d);
	return last;
}

int action_remove(struct dkms *d)
{
	int r = pre_checks(d, "remove");
	if (r)
		return r;
	const char *m = d->cli->module, *v = d->cli->module_version;
	if (d->cli->rpm_safe_upgrade && rpm_safe_cancels_remove(d, m, v)) {
		error("Remove cancelled because --rpm_safe_upgrade scenario detected.");
		return 0;
	}
	for (size_t i = 0; d->cli->kernelver[i]; i++) {
		maybe_uninstall(d, d->cli->kernelver[i], d->cli->arch[i]);
		maybe_unbuild(d, d->cli->kernelver[i], d->cli->arch[i]);
	}
	dkms_flush_depmod(d);
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_strv_ char **left = dir_list(mv);
	bool kernels_left = false;
	const char *keep[] = {"build", "tarball", "driver_disk", "rpm", "deb", "source"};
	for (size_t i = 0; left && left[i]; i++) {
		_cleanup_free_ char *p = path_join(mv, left[i]);
		if (left[i][0] == '.' || !is_dir(p))
			continue;
		bool special = false;
		for (size_t j = 0; j < ARRAY_SIZE(keep); j++)
			special |= endswith(left[i], keep[j]);
		if (!special)
			kernels_left = true;
	}
	if (!kernels_left) {
		info("Deleting module %s-%s completely from the DKMS tree.", m, v);
		rm_rf(mv);
	}
	_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, m);
	_cleanup_strv_ char **rest = dir_list(mdir);
	if (rest && !rest[0])
		rm_rf(mdir);
	dkms_forget_conf(d);
	return 0;
}
