/* install / uninstall: place the built modules under the install tree,
 * keep or restore originals as the distribution's rules say, mark the
 * module installed with the kernel-<kernel>-<arch> link last, and have
 * depmod run once per kernel at the end of the command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkms.h"
#include "initramfs.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "util/spawn.h"


static bool is_debian_like(const struct settings *s)
{
	const char *dist = s->running_distribution ? s->running_distribution : "";
	return startswith(dist, "debian") || startswith(dist, "ubuntu");
}

/* Every <name>.ko or <name>.ko<suffix> below dir, like find -name. */
static void find_modules_named(const char *dir, const char *n1, const char *n2, char ***out)
{
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = path_join(dir, names[i]);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			find_modules_named(p, n1, n2, out);
		else if (streq(names[i], n1) || (S_ISREG(st.st_mode) && streq(names[i], n2)))
			strv_pushdup(out, p);
	}
}

static char **kernel_modules_named(const struct settings *s, const char *k, const char *name)
{
	_cleanup_free_ char *lib = path_join(s->install_tree, k);
	_cleanup_free_ char *n1 = xasprintf("%s.ko", name);
	_cleanup_free_ char *n2 = xasprintf("%s.ko%s", name, kernel_module_compression(s, k));
	char **out = xcalloc(1, sizeof(char *));
	find_modules_named(lib, n1, n2, &out);
	return out;
}

/* The reference's compare_module_version: 0 same version ("=" or "=="),
 * 1 first newer, -1 first older, 2 undecidable. */
static int compare_module_version(const char *a, const char *b, bool *same_src)
{
	_cleanup_free_ char *va = NULL, *sa = NULL, *vb = NULL, *sb = NULL;
	module_version_info(a, &va, &sa);
	module_version_info(b, &vb, &sb);
	const char *x = va ? va : "", *y = vb ? vb : "";
	if (streq(x, y)) {
		if (same_src)
			*same_src = streq(sa ? sa : "", sb ? sb : "");
		return 0;
	}
	if (!*x || !*y)
		return 2;
	return ver_cmp(x, y) > 0 ? 1 : -1;
}

/* OBSOLETE_BY and the version of a same-named module already in the
 * kernel.  Returns true when installing may go on. */
static bool check_version_sanity(struct dkms *d, const char *m, const char *v, const char *k, const char *a,
				 const char *obsolete_by, const char *dest_name)
{
	info("Running module version sanity check.");
	if (!str_empty(obsolete_by) && !d->cli->force) {
		/* "X-Y" split at '-': obsolete from kernel X (and ABI Y) on */
		_cleanup_free_ char *obs = xstrdup(obsolete_by);
		_cleanup_free_ char *my = xstrdup(k);
		char *obs_abi = strchr(obs, '-'), *my_abi = strchr(my, '-');
		if (obs_abi)
			*obs_abi++ = '\0';
		if (my_abi)
			*my_abi++ = '\0';
		bool obsolete = false;
		if (*obs && *my) {
			int c = ver_cmp(obs, my);
			if (c == 0) {
				if (!obs_abi)
					obsolete = true;
				else if (my_abi && ver_cmp(my_abi, obs_abi) >= 0)
					obsolete = true;
			} else if (c < 0) {
				obsolete = true;
			}
		}
		if (obsolete) {
			fprintf(stderr, "\nModule has been obsoleted due to being included\n"
					"in kernel %s.  We will avoid installing\n"
					"for future kernels above %s.\n"
					"You may override by specifying --force.\n",
				obsolete_by, obsolete_by);
			return false;
		}
	}
	_cleanup_strv_ char **found = kernel_modules_named(&d->s, k, dest_name);
	if (!found[0] || d->cli->force_version_override)
		return true;
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, k, a);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	_cleanup_free_ char *mine = find_module_file(moddir, dest_name, kernel_module_compression(&d->s, k));
	if (!mine)
		return true;
	bool same_src = false;
	int c = compare_module_version(found[0], mine, &same_src);
	if (d->cli->force)
		return true;
	_cleanup_free_ char *vmine = NULL, *smine = NULL, *vk = NULL, *sk = NULL;
	module_version_info(mine, &vmine, &smine);
	module_version_info(found[0], &vk, &sk);
	if (c == 1) {
		error("Module version %s for %s.ko%s\nis not newer than what is already found in kernel %s (%s).\n"
		      "You may override by specifying --force.",
		      vmine ? vmine : "", dest_name, kernel_module_compression(&d->s, k), k, vk ? vk : "");
		return false;
	}
	if (c == 0) {
		fprintf(stderr, "Module version %s for %s.ko%s\nexactly matches what is already found in kernel %s.\n"
				"DKMS will not replace this module.\nYou may override by specifying --force.\n",
			vmine ? vmine : "", dest_name, kernel_module_compression(&d->s, k), k);
		return false;
	}
	return true;
}

/* Copies (or links) src into dir under its own name, atomically. */
static int place_module(const char *src, const char *dir, bool symlink_it)
{
	const char *base = strrchr(src, '/');
	base = base ? base + 1 : src;
	_cleanup_free_ char *dst = path_join(dir, base);
	if (symlink_it)
		return symlink_atomic(src, dst);
	_cleanup_free_ char *tmp = xasprintf("%s/.%s.dkms-tmp", dir, base);
	int r = copy_file(src, tmp, 0644);
	if (r == 0) {
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		if (rename(tmp, dst) < 0)
			r = -errno;
	}
	if (r < 0)
		unlink(tmp);
	return r;
}

/* --modprobe-on-install: load what was just installed, on the running
 * kernel and the running system's module tree only.  Loading is a
 * convenience: a failure is reported and the install stands. */
static void load_installed_modules(struct dkms *d, const struct module_conf *mc, const char *k)
{
	const struct settings *s = &d->s;
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
	dkms_run_depmod(d, k);
	char **argv = NULL;
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
	strv_free(argv);
}

int do_install(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	const struct settings *s = &d->s;
	const struct module_conf *mc;
	int r;
	if (!tree_is_added(s, m, v) || !dkms_module_built(d, m, v, k, a)) {
		r = do_build(d, m, v, k, a);
		if (r)
			return r;
	}
	_cleanup_free_ char *lib = path_join(s->install_tree, k);
	if (!path_exists(lib)) {
		error("The directory %s doesn't exist.\nYou cannot install a module onto a non-existant kernel.", lib);
		return 6;
	}
	r = dkms_read_conf(d, m, v, k, a, NULL, &mc);
	if (r)
		return r;
	if (tree_is_built(s, m, v, k, a, mc) && tree_link_is_installed(s, m, v, k, a)) {
		error("This module/version combo is already installed for kernel %s (%s).", k, a);
		return 5;
	}
	_cleanup_free_ char *ka = tree_ka_dir(s, m, v, k, a);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	_cleanup_free_ char *link = tree_kernel_link(s, m, k, a);
	_cleanup_free_ char *orig_dir = xasprintf("%s/%s/original_module/%s/%s", s->dkms_tree, m, k, a);
	const char *comp = kernel_module_compression(s, k);
	bool any = false;
	for (size_t i = 0; i < mc->n_mods; i++) {
		const struct conf_module *cm = &mc->mods[i];
		info_blank();
		info("%s.ko%s:", cm->dest_name, comp);
		if (!check_version_sanity(d, m, v, k, a, mc->obsolete_by, cm->dest_name)) {
			any = true;
			continue;
		}
		if (i == 0) {
			int pr = run_module_script(d, "pre_install", mc->pre_install, m, v, "source", NULL);
			if (pr != 0 && !d->cli->force) {
				error("pre_install failed, aborting install.\nYou may override by specifying --force.");
				return 101;
			}
		}
		_cleanup_strv_ char **existing = kernel_modules_named(s, k, cm->dest_name);
		size_t count = strv_len(existing);
		info(" - Original module");
		_cleanup_free_ char *saved = find_module_file(orig_dir, cm->dest_name, comp);
		if (is_symlink(link) && saved) {
			info("   - An original module was already stored during a previous install");
		} else if (!is_symlink(link)) {
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
				if (!is_debian_like(s)) {
					info("   - Found %s", cands[c]);
					info("   - Storing in %s/", orig_dir);
					info("   - Archiving for uninstallation purposes");
					mkdir_p(orig_dir, 0755);
					const char *b = strrchr(cands[c], '/') + 1;
					_cleanup_free_ char *dst = path_join(orig_dir, b);
					if (rename(cands[c], dst) < 0 && copy_file(cands[c], dst, 0644) == 0)
						unlink(cands[c]);
				}
			}
			for (size_t c = 0; c < 4; c++)
				free(cands[c]);
			if (!found && count > 1) {
				info("   - Multiple original modules exist but DKMS does not know which to pick");
				info("   - Due to the confusion, none will be considered during a later uninstall");
			} else if (!found) {
				info("   - No original module exists within this kernel");
			}
		} else {
			info("   - This kernel never originally had a module by this name");
		}
		if (count > 1) {
			info(" - Multiple same named modules!");
			info("   - %zu named %s.ko%s in %s/", count, cm->dest_name, comp, lib);
			if (!is_debian_like(s)) {
				info("   - All instances of this module will now be stored for reference purposes ONLY");
				info("   - Storing in %s/collisions/", orig_dir);
				for (size_t c = 0; existing[c]; c++) {
					if (!path_exists(existing[c]))
						continue;
					const char *rel = existing[c] + strlen(lib);
					_cleanup_free_ char *reldir = xstrdup(rel);
					*strrchr(reldir, '/') = '\0';
					_cleanup_free_ char *cdir = xasprintf("%s/collisions%s", orig_dir, reldir);
					mkdir_p(cdir, 0755);
					_cleanup_free_ char *dst = xasprintf("%s/collisions%s", orig_dir, rel);
					info("     - Stored %s", existing[c]);
					rename(existing[c], dst);
				}
			}
		}
		info(" - Installation");
		_cleanup_free_ char *dest = xasprintf("%s%s", lib, cm->dest_location);
		info("   - Installing to %s/", dest);
		if ((r = mkdir_p(dest, 0755)) < 0) {
			error("Could not create %s for %s/%s on kernel %s: %s", dest, m, v, k, strerror(-r));
			return 6;
		}
		_cleanup_free_ char *src = find_module_file(moddir, cm->dest_name, comp);
		if (!src) {
			error("The built module %s is missing from %s.", cm->dest_name, moddir);
			return 6;
		}
		r = place_module(src, dest, !str_empty(s->symlink_modules) || d->cli->symlink_modules);
		if (r < 0) {
			error("Could not install %s into %s for %s/%s on kernel %s: %s", src, dest, m, v, k, strerror(-r));
			return 6;
		}
		any = true;
	}
	if (!any) {
		error("Installation aborted.");
		return 6;
	}
	_cleanup_free_ char *target = xasprintf("%s/%s/%s", v, k, a);
	r = symlink_atomic(target, link);
	if (r < 0) {
		error("Could not mark %s/%s installed for kernel %s (%s): %s", m, v, k, link, strerror(-r));
		return 6;
	}
	run_module_script(d, "post_install", mc->post_install, m, v, "source", NULL);
	dkms_note_depmod(d, k);
	if (mc->remake_initrd)
		initramfs_note(d, k);
	if (!str_empty(s->modprobe_on_install))
		load_installed_modules(d, mc, k);
	return 0;
}

/* The reference's find_actual_dest_module_location: where an installed
 * module of this conf really is (the distribution's location or the one
 * dkms.conf wrote), or NULL. */
static char *actual_dest_location(struct dkms *d, const struct module_conf *mc, size_t i, const char *m,
				  const char *k, const char *a)
{
	const struct settings *s = &d->s;
	const struct conf_module *cm = &mc->mods[i];
	const char *comp = kernel_module_compression(s, k);
	_cleanup_free_ char *link = tree_kernel_link(s, m, k, a);
	_cleanup_free_ char *owned_dir = path_join(link, "module");
	_cleanup_free_ char *owned = find_module_file(owned_dir, cm->dest_name, comp);
	const char *locs[2] = {cm->dest_location, streq(cm->dest_location, cm->dest_location_raw) ? NULL : cm->dest_location_raw};
	for (size_t l = 0; l < 2; l++) {
		if (!locs[l])
			continue;
		_cleanup_free_ char *dir = xasprintf("%s/%s%s", s->install_tree, k, locs[l]);
		_cleanup_free_ char *inst = find_module_file(dir, cm->dest_name, comp);
		if (inst && owned && compare_module_version(owned, inst, NULL) == 0)
			return xstrdup(locs[l]);
	}
	return NULL;
}

char *installed_module_path(struct dkms *d, const struct module_conf *mc, size_t i, const char *m, const char *k,
			    const char *a)
{
	_cleanup_free_ char *loc = actual_dest_location(d, mc, i, m, k, a);
	_cleanup_free_ char *dir = xasprintf("%s/%s%s", d->s.install_tree, k, loc ? loc : "");
	return find_module_file(dir, mc->mods[i].dest_name, kernel_module_compression(&d->s, k));
}

int do_uninstall(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	const struct settings *s = &d->s;
	const struct module_conf *mc;
	int r = dkms_read_conf(d, m, v, k, a, NULL, &mc);
	if (r)
		return r;
	info("Module %s-%s for kernel %s (%s).", m, v, k, a);
	const char *comp = kernel_module_compression(s, k);
	_cleanup_free_ char *link = tree_kernel_link(s, m, k, a);
	_cleanup_free_ char *orig_dir = xasprintf("%s/%s/original_module/%s/%s", s->dkms_tree, m, k, a);
	bool was_active = tree_link_is_installed(s, m, v, k, a);
	if (was_active) {
		info("Before uninstall, this module version was ACTIVE on this kernel.");
		for (size_t i = 0; i < mc->n_mods; i++) {
			const struct conf_module *cm = &mc->mods[i];
			_cleanup_free_ char *loc = actual_dest_location(d, mc, i, m, k, a);
			info_blank();
			info("%s.ko%s:", cm->dest_name, comp);
			info(" - Uninstallation");
			if (loc) {
				_cleanup_free_ char *dir = xasprintf("%s/%s%s", s->install_tree, k, loc);
				info("   - Deleting from: %s/", dir);
				_cleanup_strv_ char **names = dir_list(dir);
				_cleanup_free_ char *prefix = xasprintf("%s.ko", cm->dest_name);
				for (size_t j = 0; names && names[j]; j++) {
					if (!startswith(names[j], prefix))
						continue;
					_cleanup_free_ char *p = path_join(dir, names[j]);
					unlink(p);
				}
				_cleanup_free_ char *top = path_join(s->install_tree, k);
				rmdir_parents(dir, top);
			} else {
				info("   - Module was not found within %s/%s/", s->install_tree, k);
			}
			info(" - Original module");
			_cleanup_free_ char *orig = find_module_file(orig_dir, cm->dest_name, comp);
			if (orig) {
				if (!is_debian_like(s)) {
					_cleanup_free_ char *back = xasprintf("%s/%s%s", s->install_tree, k, cm->dest_location_raw);
					info("   - Archived original module found in the DKMS tree");
					info("   - Moving it to: %s/", back);
					mkdir_p(back, 0755);
					_cleanup_free_ char *dst = path_join(back, strrchr(orig, '/') + 1);
					rename(orig, dst);
				}
			} else {
				info("   - No original module was found for this module on this kernel.");
				info("   - Use the dkms install command to reinstall any previous module version.");
			}
		}
		unlink(link);
	} else {
		info("This module version was INACTIVE for this kernel.");
	}
	run_module_script(d, "post_remove", mc->post_remove, m, v, "source", NULL);
	dkms_note_depmod(d, k);
	if (was_active && mc->remake_initrd)
		initramfs_note(d, k);

	_cleanup_free_ char *collisions = path_join(orig_dir, "collisions");
	if (was_active && is_dir(orig_dir) && !is_dir(collisions)) {
		info_blank();
		info("Removing original_module from DKMS tree for kernel %s (%s)", k, a);
		rm_rf(orig_dir);
		_cleanup_free_ char *kdir = xasprintf("%s/%s/original_module/%s", s->dkms_tree, m, k);
		rmdir(kdir);
	} else if (was_active && is_dir(collisions)) {
		info_blank();
		info("Keeping directory %s/", collisions);
		info("for your reference purposes.  Your kernel originally contained multiple");
		info("same-named modules and this directory is now where these are located.");
	}
	_cleanup_free_ char *om = xasprintf("%s/%s/original_module", s->dkms_tree, m);
	rmdir(om);
	return 0;
}
