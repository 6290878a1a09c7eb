#include "install.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "depends.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "txn.h"
#include "util/spawn.h"
#include "util/staged.h"
#include "util/fault.h"

/* One install of m/v on kernel t. */
struct install {
	struct dkms *d;
	const char *m, *v;
	const struct kernel_target *t;
	const struct module_conf *mc;
	char *moddir;   /* the built modules */
	char *link;     /* kernel-<k>-<a>: marks the install */
	char *orig_dir; /* originals kept for uninstall */
	struct txn x;
	struct ko_file *kos; /* the kernel's module files, see kernel_modules_named */
	size_t n_kos, cap_kos;
	bool kos_ready;
};

/* The kernel's module files, by file name: walked once per install, so
 * that installing n modules costs one walk of the kernel's tree, not n. */
struct ko_file {
	char *base, *path;
	bool regular;
};

static int ko_cmp(const void *a, const void *b)
{
	const struct ko_file *x = a, *y = b;
	int c = strcmp(x->base, y->base);
	return c ? c : strcmp(x->path, y->path);
}

static void index_walk(struct install *in, const char *dir)
{
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		if (startswith(names[i], STAGED_PREFIX))
			continue;
		_cleanup_free_ char *p = path_join(dir, names[i]);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			index_walk(in, p);
			continue;
		}
		if (!strstr(names[i], ".ko"))
			continue;
		if (in->n_kos == in->cap_kos) {
			in->cap_kos = in->cap_kos ? 2 * in->cap_kos : 256;
			in->kos = xrealloc(in->kos, in->cap_kos * sizeof(*in->kos));
		}
		in->kos[in->n_kos++] = (struct ko_file){xstrdup(names[i]), TAKE_PTR(p), S_ISREG(st.st_mode)};
	}
}

/* Every <name>.ko, or regular <name>.ko<suffix>, in the kernel's tree,
 * like find -name, in path order. */
static char **kernel_modules_named(struct install *in, const char *name)
{
	if (!in->kos_ready) {
		index_walk(in, in->t->modules_dir);
		if (in->n_kos)
			qsort(in->kos, in->n_kos, sizeof(*in->kos), ko_cmp);
		in->kos_ready = true;
	}
	_cleanup_free_ char *n1 = xasprintf("%s.ko", name);
	_cleanup_free_ char *n2 = xasprintf("%s.ko%s", name, in->t->module_suffix);
	char **out = xcalloc(1, sizeof(char *));
	const char *want[2] = {n1, streq(n1, n2) ? NULL : n2};
	for (size_t w = 0; w < 2 && want[w]; w++) {
		struct ko_file key = {.base = (char *)want[w], .path = ""};
		size_t lo = 0, hi = in->n_kos;
		while (lo < hi) { /* the first entry not below key */
			size_t mid = (lo + hi) / 2;
			if (ko_cmp(&in->kos[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < in->n_kos && streq(in->kos[i].base, want[w]); i++)
			if (w == 0 || in->kos[i].regular)
				strv_pushdup(&out, in->kos[i].path);
	}
	return out;
}

/* OBSOLETE_BY="X-Y": obsolete from kernel X (and ABI Y) on. */
static bool obsoleted(const char *obsolete_by, const char *k)
{
	_cleanup_free_ char *obs = xstrdup(obsolete_by);
	_cleanup_free_ char *my = xstrdup(k);
	char *obs_abi = strchr(obs, '-'), *my_abi = strchr(my, '-');
	if (obs_abi)
		*obs_abi++ = '\0';
	if (my_abi)
		*my_abi++ = '\0';
	if (!*obs || !*my)
		return false;
	int c = ver_cmp(obs, my);
	if (c < 0)
		return true;
	return c == 0 && (!obs_abi || (my_abi && ver_cmp(my_abi, obs_abi) >= 0));
}

/* OBSOLETE_BY and the version of a same-named module already in the
 * kernel.  Returns true when installing may go on. */
static bool check_version_sanity(struct install *in, const char *dest_name)
{
	const struct kernel_target *t = in->t;
	bool force = in->d->opt.force;
	info("Running module version sanity check.");
	if (!str_empty(in->mc->obsolete_by) && !force && obsoleted(in->mc->obsolete_by, t->release)) {
		fprintf(stderr, "\nModule has been obsoleted due to being included\n"
				"in kernel %s.  We will avoid installing\n"
				"for future kernels above %s.\n"
				"You may override by specifying --force.\n",
			in->mc->obsolete_by, in->mc->obsolete_by);
		return false;
	}
	_cleanup_strv_ char **found = kernel_modules_named(in, dest_name);
	if (!found[0] || in->d->opt.force_version_override)
		return true;
	_cleanup_free_ char *mine = find_module_file(in->moddir, dest_name, t->module_suffix);
	if (!mine || force)
		return true;
	int c = module_version_compare(found[0], mine, NULL);
	_cleanup_free_ char *vmine = NULL, *smine = NULL, *vk = NULL, *sk = NULL;
	module_version_info(mine, &vmine, &smine);
	module_version_info(found[0], &vk, &sk);
	if (c == 1) {
		error("Module version %s for %s.ko%s\nis not newer than what is already found in kernel %s (%s).\n"
		      "You may override by specifying --force.",
		      vmine ? vmine : "", dest_name, t->module_suffix, t->release, vk ? vk : "");
		return false;
	}
	if (c == 0) {
		fprintf(stderr, "Module version %s for %s.ko%s\nexactly matches what is already found in kernel %s.\n"
				"DKMS will not replace this module.\nYou may override by specifying --force.\n",
			vmine ? vmine : "", dest_name, t->module_suffix, t->release);
		return false;
	}
	return true;
}

/* The kernel's own module of this name, kept in original_module/ for
 * uninstall (not on Debian-like systems, whose packages own them). */
static void plan_original(struct install *in, const struct conf_module *cm, char **existing)
{
	const char *lib = in->t->modules_dir, *comp = in->t->module_suffix;
	size_t count = strv_len(existing);
	_cleanup_free_ char *d1 = path_join(lib, "extra");
	_cleanup_free_ char *d2 = path_join(lib, "updates");
	_cleanup_free_ char *d3 = xasprintf("%s%s", lib, cm->dest_location);
	char *cands[4] = {find_module_file(d1, cm->dest_name, comp), find_module_file(d2, cm->dest_name, comp),
			  find_module_file(d3, cm->dest_name, comp), count == 1 ? xstrdup(existing[0]) : NULL};
	bool found = false;
	for (size_t c = 0; c < 4 && !found; c++) {
		if (!cands[c] || !is_file(cands[c]))
			continue;
		found = true;
		if (settings_debian_like(&in->d->s))
			continue;
		info("   - Found %s", cands[c]);
		info("   - Storing in %s/", in->orig_dir);
		info("   - Archiving for uninstallation purposes");
		mkdir_p(in->orig_dir, 0755);
		_cleanup_free_ char *dst = path_join(in->orig_dir, strrchr(cands[c], '/') + 1);
		txn_move(&in->x, cands[c], dst);
	}
	for (size_t c = 0; c < 4; c++)
		free(cands[c]);
	if (!found && count > 1) {
		info("   - Multiple original modules exist but DKMS does not know which to pick");
		info("   - Due to the confusion, none will be considered during a later uninstall");
	} else if (!found) {
		info("   - No original module exists within this kernel");
	}
}

/* Several same-named modules in the kernel: all kept aside (not on
 * Debian-like systems). */
static void plan_collisions(struct install *in, const struct conf_module *cm, char **existing)
{
	const char *lib = in->t->modules_dir;
	size_t count = strv_len(existing);
	info(" - Multiple same named modules!");
	info("   - %zu named %s.ko%s in %s/", count, cm->dest_name, in->t->module_suffix, lib);
	if (settings_debian_like(&in->d->s))
		return;
	info("   - All instances of this module will now be stored for reference purposes ONLY");
	info("   - Storing in %s/collisions/", in->orig_dir);
	for (size_t c = 0; existing[c]; c++) {
		if (!path_exists(existing[c]) || txn_moves(&in->x, existing[c]))
			continue;
		const char *rel = existing[c] + strlen(lib);
		_cleanup_free_ char *reldir = xstrndup(rel, (size_t)(strrchr(rel, '/') - rel));
		_cleanup_free_ char *cdir = xasprintf("%s/collisions%s", in->orig_dir, reldir);
		mkdir_p(cdir, 0755);
		_cleanup_free_ char *dst = xasprintf("%s/collisions%s", in->orig_dir, rel);
		info("     - Stored %s", existing[c]);
		txn_move(&in->x, existing[c], dst);
	}
}

/* Plans module i: originals, collisions, and the staged copy.  0, or an
 * exit code after a message. */
static int plan_module(struct install *in, size_t i)
{
	const struct conf_module *cm = &in->mc->mods[i];
	const struct kernel_target *t = in->t;
	_cleanup_strv_ char **existing = kernel_modules_named(in, cm->dest_name);
	info(" - Original module");
	_cleanup_free_ char *saved = find_module_file(in->orig_dir, cm->dest_name, t->module_suffix);
	if (is_symlink(in->link) && saved)
		info("   - An original module was already stored during a previous install");
	else if (!is_symlink(in->link))
		plan_original(in, cm, existing);
	else
		info("   - This kernel never originally had a module by this name");
	if (strv_len(existing) > 1)
		plan_collisions(in, cm, existing);
	info(" - Installation");
	_cleanup_free_ char *dest = xasprintf("%s%s", t->modules_dir, cm->dest_location);
	info("   - Installing to %s/", dest);
	int r = mkdir_p(dest, 0755);
	if (r < 0) {
		error("Could not create %s for %s/%s on kernel %s: %s", dest, in->m, in->v, t->release, strerror(-r));
		return EX_INSTALL;
	}
	_cleanup_free_ char *src = find_module_file(in->moddir, cm->dest_name, t->module_suffix);
	if (!src) {
		error("The built module %s is missing from %s.", cm->dest_name, in->moddir);
		return EX_INSTALL;
	}
	_cleanup_free_ char *dst = path_join(dest, strrchr(src, '/') + 1);
	bool link_it = !str_empty(in->d->s.symlink_modules);
	debug("Staging %s for %s%s.", src, dst, link_it ? " (as a symbolic link)" : "");
	if ((r = txn_stage_copy(&in->x, src, dst, link_it)) < 0) {
		error("Could not install %s into %s for %s/%s on kernel %s: %s. Nothing was installed.", src, dest,
		      in->m, in->v, t->release, strerror(-r));
		return EX_INSTALL;
	}
	return 0;
}

/* Plans every module.  0, or an exit code after a message. */
static int plan_install(struct install *in)
{
	bool any = false;
	for (size_t i = 0; i < in->mc->n_mods; i++) {
		const struct conf_module *cm = &in->mc->mods[i];
		info_blank();
		info("%s.ko%s:", cm->dest_name, in->t->module_suffix);
		if (!check_version_sanity(in, cm->dest_name)) {
			any = true;
			continue;
		}
		if (i == 0) {
			int pr = run_module_script(in->d, "pre_install", in->mc->pre_install, in->m, in->v, "source", NULL);
			if (pr != 0 && !in->d->opt.force) {
				error("pre_install failed, aborting install.\nYou may override by specifying --force.");
				return EX_PRE_INSTALL;
			}
		}
		int r = plan_module(in, i);
		if (r)
			return r;
		any = true;
	}
	if (!any) {
		error("Installation aborted.");
		return EX_INSTALL;
	}
	return 0;
}

/* Every module in place, then the mark; else nothing. */
static int commit_install(struct install *in)
{
	const struct kernel_target *t = in->t;
	const char *failed = NULL;
	fault_point("install:staged");
	int r = txn_commit(&in->x, &failed);
	if (r < 0) {
		error("Could not install %s/%s on kernel %s (%s): %s: %s.\nEverything this install had changed was put back.",
		      in->m, in->v, t->release, t->arch, failed, strerror(-r));
		return EX_INSTALL;
	}
	_cleanup_free_ char *target = xasprintf("%s/%s/%s", in->v, t->release, t->arch);
	fault_point("install:placed");
	r = symlink_atomic(target, in->link);
	if (r < 0) {
		txn_rollback(&in->x);
		error("Could not mark %s/%s installed for kernel %s (%s): %s. Everything this install had changed was put back.",
		      in->m, in->v, t->release, in->link, strerror(-r));
		return EX_INSTALL;
	}
	return 0;
}

/* --modprobe-on-install: load what was just installed, on the running
 * kernel and the running system's module tree only.  Loading is a
 * convenience: a failure is reported and the install stands. */
static void load_installed_modules(struct dkms *d, const struct module_conf *mc, const char *k)
{
	const struct settings *s = &d->s;
	if (settings_in_root(s)) {
		info("Not loading the modules (--modprobe-on-install): the system in %s is not running.", s->root);
		return;
	}
	if (!streq(k, s->current_kernel)) {
		info("Not loading the modules (--modprobe-on-install): kernel %s is not the running kernel %s.", k,
		     s->current_kernel);
		return;
	}
	_cleanup_free_ char *it = xstrdup(s->install_tree);
	for (size_t len = strlen(it); len > 1 && it[len - 1] == '/'; len--)
		it[len - 1] = '\0';
	if (!streq(it, "/lib/modules") && !streq(it, "/usr/lib/modules")) {
		info("Not loading the modules (--modprobe-on-install): %s is not the running system's module tree.", it);
		return;
	}
	/* modprobe finds modules through modules.dep: bring it up to date now
	 * rather than at the end of the command */
	depmod_run(d, k);
	_cleanup_strv_ char **argv = NULL;
	strv_pushdup(&argv, "modprobe");
	strv_pushdup(&argv, "-a");
	strv_pushdup(&argv, "-b");
	strv_pushdup(&argv, "--");
	for (size_t i = 0; i < mc->n_mods; i++)
		strv_pushdup(&argv, mc->mods[i].dest_name);
	fflush(stdout);
	fflush(stderr);
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
	int r = spawn_run(argv, &o);
	if (r < 0)
		warn("Could not run modprobe to load the installed modules: %s", strerror(-r));
	else if (r != 0)
		warn("modprobe failed (exit status %d) to load the modules installed for kernel %s.", r, k);
}

static int install_checks(struct install *in)
{
	const struct kernel_target *t = in->t;
	struct dkms *d = in->d;
	int r;
	if ((!tree_is_added(&d->s, in->m, in->v) || !module_is_built(d, in->m, in->v, t)) &&
	    (r = do_build(d, in->m, in->v, t)))
		return r;
	if (!path_exists(t->modules_dir)) {
		error("The directory %s doesn't exist.\nYou cannot install a module onto a non-existant kernel.",
		      t->modules_dir);
		return EX_INSTALL;
	}
	if ((r = dkms_read_conf(d, in->m, in->v, t, NULL, &in->mc)))
		return r;
	if (tree_is_built(&d->s, in->m, in->v, t, in->mc) &&
	    tree_link_is_installed(&d->s, in->m, in->v, t->release, t->arch)) {
		error("This module/version combo is already installed for kernel %s (%s).", t->release, t->arch);
		return EX_ALREADY_INSTALLED;
	}
	return 0;
}

int do_install(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	struct install in = {.d = d, .m = m, .v = v, .t = t};
	int r = install_checks(&in);
	if (r)
		return r;
	log_job_state("installing");
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	in.moddir = path_join(ka, "module");
	in.link = tree_kernel_link(&d->s, m, t->release, t->arch);
	in.orig_dir = tree_original_dir(&d->s, m, t->release, t->arch);
	if ((r = txn_begin(&in.x, t->modules_dir)) < 0) {
		error("Could not install %s/%s on kernel %s: cannot stage in %s: %s", m, v, t->release, t->modules_dir,
		      strerror(-r));
		r = EX_INSTALL;
	} else if (!(r = plan_install(&in)) && !(r = commit_install(&in))) {
		fault_point("install:marked");
		run_module_script(d, "post_install", in.mc->post_install, m, v, "source", NULL);
		changes_note_depmod(d, t->release);
		if (in.mc->remake_initrd)
			changes_note_initramfs(d, t->release);
		if (!str_empty(d->s.modprobe_on_install))
			load_installed_modules(d, in.mc, t->release);
	}
	txn_end(&in.x);
	for (size_t i = 0; i < in.n_kos; i++) {
		free(in.kos[i].base);
		free(in.kos[i].path);
	}
	free(in.kos);
	free(in.moddir);
	free(in.link);
	free(in.orig_dir);
	if (r == 0)
		depends_rebuild_dependents(d, m, v, t);
	return r;
}
