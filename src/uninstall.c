#include "uninstall.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "util/fault.h"

/* The reference's find_actual_dest_module_location: where an installed
 * module of this conf really is (the distribution's location or the one
 * dkms.conf wrote), or NULL. */
static char *actual_dest_location(struct dkms *d, const struct module_conf *mc, size_t i, const char *m,
				  const struct kernel_target *t)
{
	const struct conf_module *cm = &mc->mods[i];
	_cleanup_free_ char *link = tree_kernel_link(&d->s, m, t->release, t->arch);
	_cleanup_free_ char *owned_dir = path_join(link, "module");
	_cleanup_free_ char *owned = find_module_file(owned_dir, cm->dest_name, t->module_suffix);
	const char *locs[2] = {cm->dest_location,
			       streq(cm->dest_location, cm->dest_location_raw) ? NULL : cm->dest_location_raw};
	for (size_t l = 0; l < 2; l++) {
		if (!locs[l])
			continue;
		_cleanup_free_ char *dir = xasprintf("%s%s", t->modules_dir, locs[l]);
		_cleanup_free_ char *inst = find_module_file(dir, cm->dest_name, t->module_suffix);
		if (inst && owned && module_version_compare(owned, inst, NULL) == 0)
			return xstrdup(locs[l]);
	}
	return NULL;
}

char *installed_module_path(struct dkms *d, const struct module_conf *mc, size_t i, const char *m,
			    const struct kernel_target *t)
{
	_cleanup_free_ char *loc = actual_dest_location(d, mc, i, m, t);
	_cleanup_free_ char *dir = xasprintf("%s%s", t->modules_dir, loc ? loc : "");
	return find_module_file(dir, mc->mods[i].dest_name, t->module_suffix);
}

/* Deletes module i from where it is installed and puts back the original
 * install kept. */
static void uninstall_one(struct dkms *d, const struct module_conf *mc, size_t i, const char *m,
			  const struct kernel_target *t, const char *orig_dir)
{
	const struct conf_module *cm = &mc->mods[i];
	_cleanup_free_ char *loc = actual_dest_location(d, mc, i, m, t);
	info_blank();
	info("%s.ko%s:", cm->dest_name, t->module_suffix);
	info(" - Uninstallation");
	if (loc) {
		_cleanup_free_ char *dir = xasprintf("%s%s", t->modules_dir, loc);
		info("   - Deleting from: %s/", dir);
		_cleanup_strv_ char **names = dir_list(dir);
		_cleanup_free_ char *prefix = xasprintf("%s.ko", cm->dest_name);
		for (size_t j = 0; names && names[j]; j++) {
			if (!startswith(names[j], prefix))
				continue;
			_cleanup_free_ char *p = path_join(dir, names[j]);
			unlink(p);
		}
		rmdir_parents(dir, t->modules_dir);
	} else {
		info("   - Module was not found within %s/", t->modules_dir);
	}
	info(" - Original module");
	_cleanup_free_ char *orig = find_module_file(orig_dir, cm->dest_name, t->module_suffix);
	if (!orig) {
		info("   - No original module was found for this module on this kernel.");
		info("   - Use the dkms install command to reinstall any previous module version.");
	} else if (!settings_debian_like(&d->s)) {
		_cleanup_free_ char *back = xasprintf("%s%s", t->modules_dir, cm->dest_location_raw);
		info("   - Archived original module found in the DKMS tree");
		info("   - Moving it to: %s/", back);
		mkdir_p(back, 0755);
		_cleanup_free_ char *dst = path_join(back, strrchr(orig, '/') + 1);
		rename(orig, dst);
	}
}

/* original_module/ goes unless it keeps collisions for reference. */
static void tidy_originals(struct dkms *d, const char *m, const struct kernel_target *t, const char *orig_dir)
{
	_cleanup_free_ char *collisions = path_join(orig_dir, "collisions");
	if (is_dir(orig_dir) && !is_dir(collisions)) {
		info_blank();
		info("Removing original_module from DKMS tree for kernel %s (%s)", t->release, t->arch);
		rm_rf(orig_dir);
		_cleanup_free_ char *kdir = xasprintf("%s/%s/original_module/%s", d->s.dkms_tree, m, t->release);
		rmdir(kdir);
	} else if (is_dir(collisions)) {
		info_blank();
		info("Keeping directory %s/", collisions);
		info("for your reference purposes.  Your kernel originally contained multiple");
		info("same-named modules and this directory is now where these are located.");
	}
}

int do_uninstall(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	const struct module_conf *mc;
	int r = dkms_read_conf(d, m, v, t, NULL, &mc);
	if (r)
		return r;
	info("Module %s-%s for kernel %s (%s).", m, v, t->release, t->arch);
	_cleanup_free_ char *link = tree_kernel_link(&d->s, m, t->release, t->arch);
	_cleanup_free_ char *orig_dir = tree_original_dir(&d->s, m, t->release, t->arch);
	bool was_active = tree_link_is_installed(&d->s, m, v, t->release, t->arch);
	if (was_active) {
		info("Before uninstall, this module version was ACTIVE on this kernel.");
		for (size_t i = 0; i < mc->n_mods; i++) {
			uninstall_one(d, mc, i, m, t, orig_dir);
			fault_point("uninstall:one-deleted");
		}
		unlink(link);
		fault_point("uninstall:unmarked");
	} else {
		info("This module version was INACTIVE for this kernel.");
	}
	run_module_script(d, "post_remove", mc->post_remove, m, v, "source", NULL);
	changes_note_depmod(d, t->release);
	if (was_active && mc->remake_initrd)
		changes_note_initramfs(d, t->release);
	if (was_active)
		tidy_originals(d, m, t, orig_dir);
	_cleanup_free_ char *om = xasprintf("%s/%s/original_module", d->s.dkms_tree, m);
	rmdir(om);
	return 0;
}
