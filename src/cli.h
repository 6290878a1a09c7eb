/* The command line of dkms 3.x: actions, options and their forms
 * (-k kernel/arch, module/version, --opt=value and --opt value), read
 * following one table of options and the caller's table of actions. */
#pragma once

#include "util/util.h"

struct dkms;

/* An action: its name on the command line, the function that runs it, and
 * flags the caller checks before running it.  main.c holds the one table;
 * the parser reads only the names. */
struct cli_action {
	const char *name;
	int (*fn)(struct dkms *d);
	unsigned flags;
};

struct cli {
	const struct cli_action *act; /* the action given, an entry of the table */
	const char *action;           /* its name; NULL when none was given */
	char *module, *module_version;
	char **kernelver; /* -k, in order */
	char **arch;      /* -a or the /arch of -k, in order */
	char *template_kernel, *conf, *kernel_config, *archive, *kernel_source_dir;
	char *dkms_tree, *source_tree, *install_tree;
	char *jobs;       /* -j; NULL when not given */
	char **directives;
	char *try_source_tree;
	bool force, force_version_override, binaries_only, source_only, all;
	bool verbose, no_depmod, no_initrd, modprobe_on_install, quiet;
	bool rpm_safe_upgrade, symlink_modules, help, version;
	bool debug; /* --debug: verbose logging */
	bool json;  /* status --json (ours) */
};

/* Parses argv against the action table.  Returns 0, or the reference's exit
 * code for a bad command line after printing the message (and usage where
 * the reference does). */
int cli_parse(struct cli *c, const struct cli_action *actions, size_t n_actions, int argc, char **argv);
void cli_free(struct cli *c);
/* The usage, generated from the action table and the option table. */
void cli_usage(const char *argv0, const struct cli_action *actions, size_t n_actions);
/* "name/version" -> module and version; a lone name sets only module. */
void cli_parse_moduleversion(struct cli *c, const char *s);
