/* The actions that walk kernels and modules: add, build, install,
 * uninstall, unbuild, remove, with the reference's per-kernel loops,
 * "already done, skip" rules and exit codes.  Each resolves a kernel once
 * (dkms_target) and hands it to the steps. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "add.h"
#include "build.h"
#include "install.h"
#include "log.h"
#include "samecache.h"
#include "tree.h"
#include "unbuild.h"
#include "uninstall.h"
#include "util/spawn.h"
#include "util/fault.h"


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

/* Resolve module/version from a source path given instead of a name. */
static int resolve_source_arg(struct dkms *d)
{
	struct cli *c = d->cli;
	if (!str_empty(c->try_source_tree) && str_empty(c->module) && str_empty(c->module_version))
		return add_source_tree(d, c->try_source_tree, dkms_first_target(d), &c->module, &c->module_version);
	return 0;
}

int action_add(struct dkms *d)
{
	struct cli *c = d->cli;
	int r = resolve_source_arg(d);
	if (r)
		return r;
	if (!str_empty(c->archive) && str_empty(c->module) && str_empty(c->module_version)) {
		error("Adding from an archive is done with the ldtarball action.");
		return EX_USAGE;
	}
	if ((r = dkms_check_module_args(d, "add")))
		return r;
	if (c->rpm_safe_upgrade)
		rpm_safe_note_add(d, c->module, c->module_version);
	return do_add(d, c->module, c->module_version, dkms_first_target(d));
}

/* build and install: for each kernel, a module already done there is
 * skipped unless --force, which undoes it first; then the step runs.  The
 * last kernel's result is the exit code, as in the reference. */
static int each_kernel(struct dkms *d, const char *action, bool (*done)(struct dkms *, const char *, const char *,
									 const struct kernel_target *),
		       const char *done_how, int (*undo)(struct dkms *, const char *, const char *,
							 const struct kernel_target *),
		       int (*step)(struct dkms *, const char *, const char *, const struct kernel_target *))
{
	struct cli *c = d->cli;
	int r = resolve_source_arg(d);
	if (r || (r = dkms_check_module_args(d, action)))
		return r;
	const char *m = c->module, *v = c->module_version;
	int last = 0;
	for (size_t i = 0; c->kernelver[i] && !spawn_interrupted(); i++) {
		const struct kernel_target *t = dkms_target(d, c->kernelver[i], c->arch[i]);
		if (tree_is_added(&d->s, m, v) && done(d, m, v, t)) {
			_cleanup_free_ char *what = xasprintf("Module %s/%s already %s kernel %s (%s)", m, v, done_how,
							      t->release, t->arch);
			if (skip_unless_force(d, what)) {
				last = 0;
				continue;
			}
			undo(d, m, v, t);
		}
		last = step(d, m, v, t);
	}
	return last;
}

int action_build(struct dkms *d)
{
	return each_kernel(d, "build", module_is_built, "built for", do_unbuild, do_build);
}

int action_install(struct dkms *d)
{
	return each_kernel(d, "install", module_is_installed, "installed on", do_uninstall, do_install);
}

static int module_is_added_or_die(struct dkms *d)
{
	if (tree_is_added(&d->s, d->cli->module, d->cli->module_version))
		return 0;
	error("The module/version combo: %s-%s is not located in the DKMS tree.", d->cli->module, d->cli->module_version);
	return EX_NOT_ADDED;
}

static int maybe_uninstall(struct dkms *d, const struct kernel_target *t)
{
	const char *m = d->cli->module, *v = d->cli->module_version;
	if (!module_is_installed(d, m, v, t)) {
		info("Module %s %s is not installed for kernel %s (%s). Skipping...", m, v, t->release, t->arch);
		return 0;
	}
	return do_uninstall(d, m, v, t);
}

static int maybe_unbuild(struct dkms *d, const struct kernel_target *t)
{
	const char *m = d->cli->module, *v = d->cli->module_version;
	if (!module_is_built(d, m, v, t)) {
		info("Module %s %s is not built for kernel %s (%s). Skipping...", m, v, t->release, t->arch);
		return 0;
	}
	return do_unbuild(d, m, v, t);
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
		last = maybe_uninstall(d, dkms_target(d, d->cli->kernelver[i], d->cli->arch[i]));
	return last;
}

int action_unbuild(struct dkms *d)
{
	int r = pre_checks(d, "unbuild");
	if (r)
		return r;
	int last = 0;
	for (size_t i = 0; d->cli->kernelver[i]; i++) {
		const struct kernel_target *t = dkms_target(d, d->cli->kernelver[i], d->cli->arch[i]);
		maybe_uninstall(d, t);
		last = maybe_unbuild(d, t);
	}
	return last;
}

/* A kernel directory counts while it holds a build (a directory not
 * hidden); one that a killed build left empty, or holding only hidden
 * staging, is removed. */
static bool kernel_dir_in_use(const char *kdir)
{
	_cleanup_strv_ char **arches = dir_list(kdir);
	for (size_t i = 0; arches && arches[i]; i++) {
		_cleanup_free_ char *p = path_join(kdir, arches[i]);
		if (arches[i][0] != '.' && is_dir(p))
			return true;
	}
	rm_rf(kdir);
	return false;
}

/* The version's directory goes when no kernel is left in it, and the
 * module's when no version is. */
static void remove_if_unused(struct dkms *d, const char *m, const char *v)
{
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_strv_ char **left = dir_list(mv);
	bool kernels_left = false;
	const char *keep[] = {"build", "tarball", "driver_disk", "rpm", "deb", "source"};
	for (size_t i = 0; left && left[i]; i++) {
		_cleanup_free_ char *p = path_join(mv, left[i]);
		if (left[i][0] == '.' || !is_dir(p) || is_symlink(p))
			continue;
		bool special = false;
		for (size_t j = 0; j < ARRAY_SIZE(keep); j++)
			special |= endswith(left[i], keep[j]);
		if (!special && kernel_dir_in_use(p))
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
	/* what status found of the version is of no use now: the next status
	 * compares afresh (samecache.h) */
	samecache_forget(d->s.dkms_tree);
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
		const struct kernel_target *t = dkms_target(d, d->cli->kernelver[i], d->cli->arch[i]);
		maybe_uninstall(d, t);
		maybe_unbuild(d, t);
	}
	fault_point("remove:unbuilt");
	remove_if_unused(d, m, v);
	dkms_forget_conf(d);
	return 0;
}
