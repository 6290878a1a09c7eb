/* The command line of dkms 3.x: actions, options and their forms
 * (-k kernel/arch, module/version, --opt=value and --opt value). */
#pragma once

#include "util/util.h"

struct cli {
	char *action;
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
	bool json; /* status --json (ours) */
};

/* Parses argv.  Returns 0, or the reference's exit code for a bad command
 * line after printing the message (and usage where the reference does). */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_free(struct cli *c);
void cli_usage(const char *argv0);
bool cli_is_action(const char *s);
/* "name/version" -> module and version; a lone name sets only module. */
void cli_parse_moduleversion(struct cli *c, const char *s);
