/* The command line of dkms 3.x: actions, options and their forms
 * (-k kernel/arch, module/version, --opt=value and --opt value).
 *
 * Parsing is pure: cli_parse only fills struct cli from argv, following
 * one table of options, and keeps its messages for later.  The caller then
 * resolves the positional arguments (which looks at the file system),
 * prints the messages, and applies -q and --debug. */
#pragma once

#include "util/util.h"

struct dkms;
struct cli_option;

/* An action: its name on the command line, the function that runs it, and
 * flags the caller checks before running it.  main.c holds the one table;
 * the parser reads only the names. */
struct cli_action {
	const char *name;
	int (*fn)(struct dkms *d);
	unsigned flags;
};

/* -m, -v, --archive and the positional arguments, in command-line order:
 * what a positional argument is depends on the file system and on the
 * options before it, so cli_resolve_positionals replays them all. */
struct cli_arg {
	const struct cli_option *opt; /* NULL for a positional argument */
	int argi;                     /* its index in argv */
	char *value;                  /* as given */
};

/* A message about the command line, printed by cli_report. */
enum cli_msg_kind {
	CLI_MSG_ERROR,
	CLI_MSG_USAGE_ERROR, /* an error followed by the usage */
	CLI_MSG_WARNING,
	CLI_MSG_DEPRECATED,
};
struct cli_msg {
	enum cli_msg_kind kind;
	int argi; /* the argument it is about; argc for the final checks */
	char *text;
};

struct cli {
	const struct cli_action *act; /* the action given, an entry of the table */
	const char *action;           /* its name; NULL when none was given */
	char *module, *module_version;
	char **kernelver; /* -k, in order */
	char **arch;      /* -a or the /arch of -k, in order */
	char *template_kernel, *conf, *kernel_config, *archive, *kernel_source_dir;
	char *dkms_tree, *source_tree, *install_tree;
	char *root;       /* --root: the system worked on, when not the running one */
	char *jobs;       /* -j; NULL when not given */
	char **directives;
	char *try_source_tree;
	bool force, force_version_override, binaries_only, source_only, all;
	bool verbose, no_depmod, no_initrd, modprobe_on_install, quiet;
	bool rpm_safe_upgrade, symlink_modules, help, version;
	bool debug; /* --debug: the caller turns verbose logging on */
	bool json;  /* status --json, verify --json (ours) */
	bool repair; /* verify --repair (ours) */
	int quiet_at; /* argv index of the first -q; 0 when none */

	struct cli_arg *args; /* see struct cli_arg */
	size_t n_args;
	struct cli_msg *msgs; /* in command-line order */
	size_t n_msgs;
	const struct cli_action *actions; /* the table parsed against */
	size_t n_actions;
};

/* Parses argv against the action table, without printing anything or
 * looking at the file system.  Returns 0, or the reference's exit code for
 * a bad command line (its message is in c->msgs).  Until
 * cli_resolve_positionals, module, module_version and archive hold what the
 * options alone say. */
int cli_parse(struct cli *c, const struct cli_action *actions, size_t n_actions, int argc, char **argv);
/* Decides, as the reference does, what each positional argument is: a
 * dkms.conf, a source directory, an archive, else module/version; this
 * stats the file system.  Call once, after cli_parse. */
void cli_resolve_positionals(struct cli *c);
/* Prints the messages, in command-line order, except those that come
 * after a -q (the reference silences everything from -q on). */
void cli_report(const struct cli *c, const char *argv0);
void cli_free(struct cli *c);
/* The usage, generated from the action table and the option table. */
void cli_usage(const char *argv0, const struct cli_action *actions, size_t n_actions);
/* "name/version" -> module and version; a lone name sets only module. */
void cli_parse_moduleversion(struct cli *c, const char *s);
