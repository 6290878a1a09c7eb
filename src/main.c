/* dkms: one action table, one place that turns results into exit codes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "actions.h"
#include "bootguard.h"
#include "dkms.h"
#include "log.h"
#include "tree.h"
#include "util/spawn.h"

enum {
	NEEDS_ROOT = 1 << 0,     /* the reference's check_root */
	NEEDS_RW_TREE = 1 << 1,  /* the reference's check_rw_dkms_tree */
	LOCKS = 1 << 2,          /* changes the state tree */
	NO_ALL = 1 << 3,         /* --all not supported */
	STATUS_KERNELS = 1 << 4, /* kernels are filters, not defaults */
	BOOT_GUARD = 1 << 5,     /* the boot guard runs after the commit point (bootguard.h) */
};

/* The one action table: the parser recognises these names, the usage
 * lists them in this order (the reference's), and main runs the function
 * after the checks its flags ask for. */
static const struct cli_action actions[] = {
	{"add", action_add, NEEDS_RW_TREE | LOCKS | NO_ALL},
	{"remove", action_remove, NEEDS_RW_TREE | LOCKS},
	{"build", action_build, NEEDS_RW_TREE | LOCKS | NO_ALL},
	{"unbuild", action_unbuild, NEEDS_RW_TREE | LOCKS},
	{"install", action_install, NEEDS_ROOT | LOCKS | NO_ALL | BOOT_GUARD},
	{"uninstall", action_uninstall, NEEDS_ROOT | LOCKS},
	{"match", action_match, NEEDS_ROOT | LOCKS},
	{"autoinstall", action_autoinstall, NEEDS_ROOT | LOCKS | BOOT_GUARD},
	{"kernel_postinst", action_kernel_postinst, NEEDS_ROOT | LOCKS | BOOT_GUARD},
	{"kernel_prerm", action_kernel_prerm, NEEDS_ROOT | LOCKS},
	{"mktarball", action_mktarball, LOCKS},
	{"ldtarball", action_ldtarball, LOCKS},
	{"status", action_status, STATUS_KERNELS},
	{"generate_mok", action_generate_mok, NEEDS_ROOT | LOCKS},
	{"cache", action_cache, STATUS_KERNELS},
	{"verify", action_verify, STATUS_KERNELS | NO_ALL}, /* locks itself: shared, or exclusive to --repair */
	{"check", action_check, STATUS_KERNELS | NO_ALL},
};

/* No kernel given with --root: autoinstall works on every kernel of the
 * root, other actions on its newest (there is no running kernel). */
static int root_default_kernels(struct dkms *d, const struct cli_action *act)
{
	struct cli *c = d->cli;
	if (streq(act->name, "autoinstall")) {
		_cleanup_strv_ char **ks = dkms_installed_kernels(&d->s);
		for (size_t i = 0; ks[i]; i++)
			strv_pushdup(&c->kernelver, ks[i]);
	} else if (*d->s.current_kernel) {
		strv_pushdup(&c->kernelver, d->s.current_kernel);
	}
	if (c->kernelver[0])
		return 0;
	error("No kernel is installed in %s (--root %s): name one with -k.", d->s.install_tree, d->s.root);
	return EX_FAILED;
}

/* The reference's setup_kernels_arches: --all means every kernel the
 * module is built for; no kernel means the running one; one arch applies
 * to all kernels. */
static int setup_kernels_arches(struct dkms *d, const struct cli_action *act)
{
	bool status = act->flags & STATUS_KERNELS;
	struct cli *c = d->cli;
	if (c->all && !status && !str_empty(c->module) && !str_empty(c->module_version)) {
		_cleanup_strv_ char **kas = tree_kernel_arches(&d->s, c->module, c->module_version, NULL, NULL);
		for (size_t i = 0; kas[i]; i++) {
			char *slash = strchr(kas[i], '/');
			_cleanup_free_ char *k = xstrndup(kas[i], (size_t)(slash - kas[i]));
			_cleanup_free_ char *moddir = xasprintf("%s/%s/%s/%s/module", d->s.dkms_tree, c->module,
							       c->module_version, kas[i]);
			if (!is_dir(moddir))
				continue;
			strv_pushdup(&c->kernelver, k);
			strv_pushdup(&c->arch, slash + 1);
		}
	}
	if (status)
		return 0;
	if (!c->kernelver)
		c->kernelver = xcalloc(1, sizeof(char *));
	if (!c->arch)
		c->arch = xcalloc(1, sizeof(char *));
	if (!c->kernelver[0] && !c->all && settings_in_root(&d->s)) {
		int r = root_default_kernels(d, act);
		if (r)
			return r;
	} else if (!c->kernelver[0] && !c->all) {
		strv_pushdup(&c->kernelver, d->s.current_kernel);
	}
	if (!c->arch[0])
		strv_pushdup(&c->arch, d->s.machine);
	while (strv_len(c->arch) < strv_len(c->kernelver))
		strv_pushdup(&c->arch, c->arch[0]);
	return 0;
}

/* The command line: parsed (no side effects), then its positional
 * arguments looked at (even before a bad option: the reference, reading in
 * one pass, had warned about them), its messages printed in command-line
 * order, and only then -q and --debug applied, so that what the reference
 * prints before a -q is printed here too.  Returns 0 or the exit code of a
 * bad command line. */
static int read_command_line(struct cli *c, int argc, char **argv)
{
	int r = cli_parse(c, actions, ARRAY_SIZE(actions), argc, argv);
	cli_resolve_positionals(c);
	cli_report(c, argv[0]);
	if (c->quiet)
		log_set_quiet();
	if (c->debug)
		log_set_verbose(true);
	return r;
}

/* What the action's flags ask for before it runs: 0, or the exit code. */
static int check_action(struct dkms *d, const struct cli_action *act)
{
	if ((act->flags & NO_ALL) && d->cli->all) {
		error("The action %s does not support the --all parameter.", act->name);
		return EX_NO_ALL;
	}
	if ((act->flags & NEEDS_ROOT) && getuid() != 0) {
		error("You must be root to use this command.");
		return EX_FAILED;
	}
	/* a root being prepared may have no dkms tree yet */
	if ((act->flags & NEEDS_RW_TREE) && settings_in_root(&d->s) && !path_exists(d->s.dkms_tree))
		mkdir_p(d->s.dkms_tree, 0755);
	if ((act->flags & NEEDS_RW_TREE) && access(d->s.dkms_tree, W_OK) != 0) {
		error("No write access to DKMS tree at %s", d->s.dkms_tree);
		return EX_FAILED;
	}
	if (act->flags & LOCKS) {
		int lr = dkms_lock(d);
		if (lr < 0) {
			error("Could not lock the DKMS tree at %s: %s", d->s.dkms_tree, strerror(-lr));
			return EX_FAILED;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	umask(022);
	spawn_catch_signals();
	struct cli c;
	int r = read_command_line(&c, argc, argv);
	if (r) {
		cli_free(&c);
		return r;
	}
	if (c.version) {
		printf("dkms-%s\n", DKMS_VERSION);
		cli_free(&c);
		return 0;
	}
	if (c.help) {
		cli_usage(argv[0], actions, ARRAY_SIZE(actions));
		cli_free(&c);
		return 0;
	}
	struct dkms d;
	r = dkms_init(&d, &c);
	if (r) {
		cli_free(&c);
		return r;
	}

	const struct cli_action *act = c.act;
	if (!act) {
		error("Unknown action specified: \"\"");
		cli_usage(argv[0], actions, ARRAY_SIZE(actions));
		r = 0;
		goto out;
	}
	r = setup_kernels_arches(&d, act);
	if (!r)
		r = dkms_check_kernel_args(&d);
	if (!r)
		r = check_action(&d, act);
	if (r)
		goto out;
	r = act->fn(&d);
	/* the one commit point: depmod, initramfs, post_transaction */
	int cr = dkms_commit(&d);
	if (!r && cr)
		r = cr;
	/* with the modules in place: should the newest kernel boot? */
	if (act->flags & BOOT_GUARD)
		boot_guard_run(&d);
	int sig = spawn_interrupted();
	if (sig) {
		error("Interrupted by %s: what was finished stays, what was in progress was undone; run the command again to complete it.",
		      strsignal(sig));
		r = 128 + sig;
	}
out:
	fflush(stdout);
	dkms_free(&d);
	cli_free(&c);
	return r;
}
