#include "initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util/spawn.h"

static const char *const tool_names[] = {
	[INITRAMFS_UPDATE_INITRAMFS] = "update-initramfs",
	[INITRAMFS_DRACUT] = "dracut",
	[INITRAMFS_MKINITCPIO] = "mkinitcpio",
};

enum initramfs_tool initramfs_tool_from_name(const char *program)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	for (size_t i = 0; i < ARRAY_SIZE(tool_names); i++)
		if (streq(base, tool_names[i]))
			return (enum initramfs_tool)i;
	return INITRAMFS_UPDATE_INITRAMFS;
}

/* The first of the known tools installed under the root, in the order
 * Debian's, dracut's and Arch's systems would have them. */
static char *find_tool(const struct settings *s)
{
	static const char *const dirs[] = {"usr/sbin", "usr/bin", "sbin", "bin"};
	for (size_t t = 0; t < ARRAY_SIZE(tool_names); t++) {
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			_cleanup_free_ char *dir = path_join(s->root, dirs[i]);
			char *p = path_join(dir, tool_names[t]);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return NULL;
}

/* Arch names its images after the kernel package (initramfs-linux.img),
 * which the package records in <modules dir>/pkgbase. */
static char *mkinitcpio_image(const struct settings *s, const char *boot_dir, const char *k)
{
	_cleanup_free_ char *kdir = path_join(s->install_tree, k);
	_cleanup_free_ char *pkgbase_file = path_join(kdir, "pkgbase");
	_cleanup_free_ char *pkgbase = NULL;
	if (read_file(pkgbase_file, &pkgbase, NULL) == 0) {
		pkgbase[strcspn(pkgbase, "\n")] = '\0';
		if (name_is_safe(pkgbase))
			return xasprintf("%s/initramfs-%s.img", boot_dir, pkgbase);
	}
	return xasprintf("%s/initramfs-%s.img", boot_dir, k);
}

int initramfs_plan_for(const struct settings *s, const char *program, const char *boot_dir, const char *k,
		       struct initramfs_plan *p)
{
	*p = (struct initramfs_plan){0};
	p->program = str_empty(program) ? find_tool(s) : xstrdup(program);
	if (!p->program)
		return -ENOENT;
	p->tool = initramfs_tool_from_name(p->program);
	strv_pushdup(&p->argv, p->program);
	switch (p->tool) {
	case INITRAMFS_UPDATE_INITRAMFS:
		p->image = xasprintf("%s/initrd.img-%s", boot_dir, k);
		strv_pushdup(&p->argv, "-u");
		strv_pushdup(&p->argv, "-k");
		strv_pushdup(&p->argv, k);
		break;
	case INITRAMFS_DRACUT: {
		/* Fedora's name, else openSUSE's */
		p->image = xasprintf("%s/initramfs-%s.img", boot_dir, k);
		_cleanup_free_ char *suse = xasprintf("%s/initrd-%s", boot_dir, k);
		if (!is_file(p->image) && is_file(suse)) {
			free(p->image);
			p->image = TAKE_PTR(suse);
		}
		strv_pushdup(&p->argv, "-f");
		strv_pushdup(&p->argv, "--kver");
		strv_pushdup(&p->argv, k);
		break;
	}
	case INITRAMFS_MKINITCPIO:
		p->image = mkinitcpio_image(s, boot_dir, k);
		strv_pushdup(&p->argv, "-k");
		strv_pushdup(&p->argv, k);
		strv_pushdup(&p->argv, "-g");
		strv_pushdup(&p->argv, p->image);
		break;
	}
	return 0;
}

void initramfs_plan_free(struct initramfs_plan *p)
{
	free(p->program);
	free(p->image);
	strv_free(p->argv);
	*p = (struct initramfs_plan){0};
}

/* Tests and unusual systems choose the tool and where the images are. */
static const char *tool_override(void)
{
	const char *t = getenv("DKMS_INITRAMFS_TOOL");
	return str_empty(t) ? NULL : t;
}

/* The distribution's tool reads the running system's module tree: for
 * modules installed elsewhere (a throwaway root, an image) it would
 * rebuild the machine's initramfs for nothing, so only an explicitly
 * chosen tool runs then. */
static bool install_tree_is_system(const struct settings *s)
{
	_cleanup_free_ char *it = xstrdup(s->install_tree);
	for (size_t len = strlen(it); len > 1 && it[len - 1] == '/'; len--)
		it[len - 1] = '\0';
	return streq(it, "/lib/modules") || streq(it, "/usr/lib/modules");
}

int initramfs_regenerate(const struct settings *s, const char *k)
{
	struct initramfs_plan p;
	if (settings_in_root(s)) {
		/* its tool, its configuration and its hooks are the root's, run
		 * as that system: not from here */
		_cleanup_free_ char *tool = find_tool(s);
		_cleanup_free_ char *base = tool ? xstrdup(tool + strlen(s->root)) : NULL;
		info("Not regenerating the initramfs of kernel %s in %s (--root): %s%s%s%s", k, s->root,
		     base ? "run its tool there, e.g. chroot " : "it has no update-initramfs, dracut or mkinitcpio.",
		     base ? s->root : "", base ? " " : "", base ? base : "");
		return 0;
	}
	if (!tool_override() && !install_tree_is_system(s)) {
		info("Not regenerating the initramfs of kernel %s: the install tree %s is not the system's.", k,
		     s->install_tree);
		return 0;
	}
	if (initramfs_plan_for(s, tool_override(), s->boot_dir, k, &p) < 0) {
		warn("The initramfs of kernel %s was not regenerated: none of update-initramfs, dracut or mkinitcpio was found.",
		     k);
		return 0;
	}
	int failed = 0;
	if (!is_file(p.image)) {
		info("Not regenerating the initramfs of kernel %s: %s does not exist.", k, p.image);
		goto out;
	}
	info("Regenerating the initramfs of kernel %s with %s.", k, p.program);
	fflush(stdout);
	fflush(stderr);
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
	int r = spawn_run(p.argv, &o);
	if (r < 0) {
		error("The initramfs of kernel %s was not regenerated: %s could not be started: %s.\n"
		      "The modules are installed; regenerate it by hand.",
		      k, p.program, strerror(-r));
		failed = 1;
	} else if (r != 0) {
		error("The initramfs of kernel %s was not regenerated: %s failed with exit status %d.\n"
		      "The modules are installed; %s is unchanged and may lack them.",
		      k, p.program, r, p.image);
		failed = 1;
	}
out:
	initramfs_plan_free(&p);
	return failed;
}
