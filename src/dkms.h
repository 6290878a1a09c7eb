/* The state of one dkms run: settings, the command line, and what the
 * run has changed (kernels that need depmod).  Action functions return 0
 * or a positive exit code of the reference. */
#pragma once

#include "cli.h"
#include "dkmsconf.h"
#include "framework.h"
#include "util/util.h"

struct dkms {
	struct settings s;
	struct cli *cli;
	char *jobs;          /* for make -j: "" means unlimited */
	char **depmod_kernels; /* kernels whose install tree changed */
	int lock_fd;
	bool changed;        /* an install tree changed: post_transaction runs */
	/* the last dkms.conf read, reused as the reference does */
	struct module_conf conf;
	char *conf_key;
};

/* Reads dkms.conf for module/version on kernel/arch (file NULL: the one in
 * the module's source, or -c), reusing the previous result for the same
 * key.  Returns 0 or an exit code (4 missing, 8 invalid) after printing
 * the reference's messages. */
int dkms_read_conf(struct dkms *d, const char *m, const char *v, const char *k, const char *a,
		   const char *file, const struct module_conf **out);
void dkms_forget_conf(struct dkms *d);

/* Runs a command line with bash, as the reference's invoke_command does. */
int dkms_run_shell(const char *cmd, const char *cwd, int out_fd, char *const *env);

/* Take the tree's lock (exclusive; waits with a message). */
int dkms_lock(struct dkms *d);

/* Remember that a kernel's install tree changed; run depmod once per kernel
 * at the end. */
void dkms_note_depmod(struct dkms *d, const char *kernelver);
int dkms_run_depmod(struct dkms *d, const char *kernelver);
int dkms_flush_depmod(struct dkms *d);

/* Module and version given on the command line and usable as names;
 * else the reference's message and exit code 1. */
int dkms_check_module_args(struct dkms *d, const char *action);

/* <k>/<a>/module/ holds every module dkms.conf names (the reference's
 * is_module_built). */
bool dkms_module_built(struct dkms *d, const char *m, const char *v, const char *k, const char *a);

/* Actions. */
int action_add(struct dkms *d);
int action_build(struct dkms *d);
int action_install(struct dkms *d);
int action_uninstall(struct dkms *d);
int action_unbuild(struct dkms *d);
int action_remove(struct dkms *d);
int action_status(struct dkms *d);
int action_autoinstall(struct dkms *d);
int action_match(struct dkms *d);

/* Steps shared by the actions (module, version, kernel, arch). */
int do_add(struct dkms *d, const char *m, const char *v);
int do_build(struct dkms *d, const char *m, const char *v, const char *k, const char *a);
int do_install(struct dkms *d, const char *m, const char *v, const char *k, const char *a);
int do_uninstall(struct dkms *d, const char *m, const char *v, const char *k, const char *a);
int do_unbuild(struct dkms *d, const char *m, const char *v, const char *k, const char *a);
/* Runs a PRE_BUILD/POST_BUILD/PRE_INSTALL/... script found in the
 * module's <dir> ("build" or "source"), as the reference does. */
int run_module_script(struct dkms *d, const char *kind, const char *script, const char *m, const char *v,
		      const char *dir, char *const *env);
/* The first line of a build log that tells what went wrong. */
char *first_error_line(const char *log_path);
/* Where module i of a conf is installed for kernel k, or NULL. */
char *installed_module_path(struct dkms *d, const struct module_conf *mc, size_t i, const char *m, const char *k,
			    const char *a);
int add_source_tree(struct dkms *d, const char *dir, char **m_out, char **v_out);
