/* The context of one dkms run, shared by the actions and the steps below
 * them: settings (framework.conf merged with the command line once), the
 * run's options, the kernels resolved so far, the lock, the last dkms.conf
 * read, and what the run changed (see commit.h).
 *
 * Layers, top down (docs/ARCHITECTURE.md):
 *   main.c, cli.c           the command line and the action table
 *   actions.h               one function per action: loops over kernels
 *   add.h build.h install.h uninstall.h unbuild.h   the steps
 *   commit.h                depmod, initramfs, post_transaction: once
 *   dkms.h (this)           the run's context
 *   target.h dkmsconf.h tree.h kernel.h sign.h compress.h initramfs.h
 *   util/                   strings, files, processes
 * Steps return 0 or an exit code (exitcode.h). */
#pragma once

#include "cli.h"
#include "commit.h"
#include "dkmsconf.h"
#include "exitcode.h"
#include "framework.h"
#include "target.h"
#include "util/util.h"

/* The command line's options that steps act on, merged once by
 * dkms_init(); steps read these, never struct cli. */
struct run_opts {
	bool force, force_version_override;
	bool no_depmod, no_initrd;
	bool binaries_only, source_only, json;
	const char *conf;         /* -c: the dkms.conf to read instead of the module's */
	char *const *directives;  /* --directive NAME=value */
	char *jobs;               /* for make -j: "" means unlimited */
	bool jobserver;           /* MAKEFLAGS names a jobserver: make gets no -j */
};

struct dkms {
	struct settings s;
	struct cli *cli;          /* the command: module, version, kernels (for actions) */
	struct run_opts opt;
	struct changes changes;
	int lock_fd;
	/* kernels resolved so far, each once */
	struct kernel_target **targets;
	size_t n_targets;
	/* the last dkms.conf read, reused as the reference does */
	struct module_conf conf;
	char *conf_key;
	bool conf_from_cache; /* status: dkms.conf results bash made before (evalcache.h) */
};

/* Loads the settings and merges the command line into them.  Returns 0,
 * or an exit code after a message. */
int dkms_init(struct dkms *d, struct cli *c);
/* The kernels installed in the install tree (directories holding a
 * kernel's modules or build link), sorted by name. */
char **dkms_installed_kernels(const struct settings *s);
void dkms_free(struct dkms *d);

/* The kernel target for k on a, resolved on first use. */
const struct kernel_target *dkms_target(struct dkms *d, const char *k, const char *a);

/* The kernel that a command naming no kernel of its own (add, mktarball,
 * ldtarball) reads dkms.conf for: the first -k, else the running one. */
const struct kernel_target *dkms_first_target(struct dkms *d);

/* Reads dkms.conf for module/version on a kernel (file NULL: the one in
 * the module's source, or -c), reusing the previous result for the same
 * key.  Returns 0 or an exit code (EX_NO_CONF, EX_BAD_CONF) after printing
 * the reference's messages. */
int dkms_read_conf(struct dkms *d, const char *m, const char *v, const struct kernel_target *t, const char *file,
		   const struct module_conf **out);
void dkms_forget_conf(struct dkms *d);
/* The checks add and build make on top (module_conf_check_names), with
 * the reference's "Bad conf file" message: 0 or EX_BAD_CONF. */
int dkms_conf_strict(const struct module_conf *mc);

/* The one "is it built" check (the reference's is_module_built):
 * <k>/<a>/module/ holds every module dkms.conf names. */
bool module_is_built(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);
/* Built, and marked installed by the kernel-<k>-<a> link. */
bool module_is_installed(struct dkms *d, const char *m, const char *v, const struct kernel_target *t);

/* "<what>, skip. You may override by specifying --force." unless --force:
 * true when the caller should skip. */
bool skip_unless_force(struct dkms *d, const char *what);

/* Module and version given on the command line and usable as names;
 * else the reference's message and EX_FAILED. */
int dkms_check_module_args(struct dkms *d, const char *action);

/* Every -k and -a is a plain name (util.h): they become directory names
 * and words of make's command line.  Else a message and EX_FAILED. */
int dkms_check_kernel_args(struct dkms *d);

struct sandbox;

/* Runs a PRE_BUILD/POST_BUILD/PRE_INSTALL/... script found in the
 * module's <dir> ("build" or "source"), as the reference does: only when
 * its first word is executable.  Returns its exit status (0 when not run).
 * The _in form runs it confined as sb says (sandbox.h; NULL: as root),
 * and returns -ENOTSUP when a required sandbox cannot be made. */
int run_module_script(struct dkms *d, const char *kind, const char *script, const char *m, const char *v,
		      const char *dir, char *const *env);
int run_module_script_in(struct dkms *d, const struct sandbox *sb, const char *kind, const char *script,
			 const char *m, const char *v, const char *dir, char *const *env);

/* Runs a command line with bash, as the reference's invoke_command does;
 * the _in form confined as sb says, as run_module_script_in. */
int dkms_run_shell(const char *cmd, const char *cwd, int out_fd, char *const *env);
int dkms_run_shell_in(const struct sandbox *sb, const char *cmd, const char *cwd, int out_fd, char *const *env);

/* Takes the tree's lock (exclusive; waits with a message), then removes
 * what killed runs left behind. */
int dkms_lock(struct dkms *d);
