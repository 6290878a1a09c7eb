#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "add.h"
#include "artifact.h"
#include "compiler.h"
#include "compress.h"
#include "depends.h"
#include "failure.h"
#include "kbuildclean.h"
#include "kernel.h"
#include "log.h"
#include "sandbox.h"
#include "sign.h"
#include "tree.h"
#include "util/spawn.h"
#include "util/staged.h"
#include "util/fault.h"

/* One build of m/v for kernel t. */
struct build {
	struct dkms *d;
	const char *m, *v;
	const struct kernel_target *t;
	const struct module_conf *mc;
	char *base;       /* <m>/<v>/<kernel>/<arch>: the result */
	char *build_dir;  /* <m>/<v>/build: the copy being built */
	char *log;        /* build_dir/make.log */
	char *clean;      /* the CLEAN command with its variables */
	char *shim;       /* the uname shim's directory */
	char **env_pre, **env_make;
	struct sign_plan sp;
	int devnull;
	struct sandbox sb;  /* how make, CLEAN, PRE_BUILD and POST_BUILD run */
	bool confined;      /* they run in a sandbox, build_dir given to it */
	struct compiler_choice cc; /* what make gets as CC (compiler.h) */
	struct launcher launcher;  /* compiler_launcher, found */
};

/* 'text' quoted for bash. */
static char *shell_quote(const char *text)
{
	struct strbuf sb = {0};
	strbuf_append(&sb, "'");
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			strbuf_append(&sb, "'\\''");
		else
			strbuf_appendn(&sb, p, 1);
	}
	strbuf_append(&sb, "'");
	return strbuf_steal(&sb);
}

/* The shell variables the reference has in scope when it evaluates MAKE,
 * CLEAN and the scripts, set (not exported) before the command. */
static char *with_vars(const struct build *b, const char *cmd)
{
	const struct settings *s = &b->d->s;
	const char *vars[][2] = {
		{"kernelver", b->t->release}, {"arch", b->t->arch}, {"kernel_source_dir", b->t->headers_dir},
		{"dkms_tree", s->dkms_tree}, {"source_tree", s->source_tree}, {"install_tree", s->install_tree},
		{"module", b->m}, {"module_version", b->v}, {"parallel_jobs", b->d->opt.jobs},
	};
	struct strbuf sb = {0};
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		_cleanup_free_ char *q = shell_quote(vars[i][1] ? vars[i][1] : "");
		strbuf_appendf(&sb, "%s=%s; ", vars[i][0], q);
	}
	strbuf_appendf(&sb, "{ %s\n}", cmd);
	return strbuf_steal(&sb);
}

/* A directory with a `uname` that answers -r with the target kernel, put
 * first in PATH for the build: Makefiles that ask `uname -r` build for the
 * kernel being built for, not the running one. */
static char *make_uname_shim(const struct settings *s, const char *k)
{
	_cleanup_free_ char *tmpl = staged_tmp_dir(s->tmp_location, "uname");
	if (!tmpl)
		return NULL;
	/* a confined build runs it as nobody */
	chmod(tmpl, 0755);
	_cleanup_free_ char *path = path_join(tmpl, "uname");
	_cleanup_free_ char *qk = shell_quote(k);
	_cleanup_free_ char *script = xasprintf(
		"#!/bin/sh\n"
		"# uname for a build for kernel %s: -r answers with that kernel.\n"
		"if [ \"$#\" = 1 ] && { [ \"$1\" = -r ] || [ \"$1\" = --kernel-release ]; }; then\n"
		"  echo %s\n"
		"else\n"
		"  exec /bin/uname \"$@\"\n"
		"fi\n",
		k, qk);
	if (write_file_atomic(path, script, strlen(script), 0755) < 0) {
		rm_rf(tmpl);
		return NULL;
	}
	return TAKE_PTR(tmpl);
}

static char **build_env(const char *shim, const char *cc)
{
	char **env = env_copy();
	if (shim) {
		const char *path = env_get(env, "PATH");
		_cleanup_free_ char *np = xasprintf("%s:%s", shim, path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
		env_set(&env, "PATH", np);
	}
	const char *unset[] = {"CXX", "CFLAGS", "CXXFLAGS", "LDFLAGS"};
	for (size_t i = 0; i < ARRAY_SIZE(unset); i++)
		env_set(&env, unset[i], NULL);
	env_set(&env, "CC", cc);
	return env;
}

char *first_error_line(const char *log_path)
{
	_cleanup_free_ char *text = NULL;
	struct stat st;
	/* a confined build may have left a link to a file only root reads */
	if (lstat(log_path, &st) < 0 || !S_ISREG(st.st_mode) || read_file(log_path, &text, NULL) < 0)
		return NULL;
	/* a compiler error, else make's own */
	const char *pats[] = {"error:", "Error ", "error "};
	for (size_t p = 0; p < ARRAY_SIZE(pats); p++) {
		for (char *line = text; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			bool hit = strstr(line, pats[p]) != NULL;
			if (nl)
				*nl = '\n';
			if (hit)
				return xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
			line = nl ? nl + 1 : NULL;
		}
	}
	return NULL;
}

/* What build_failed() adds from the log. */
enum log_lines { NO_LOG, FIRST_ERROR, FIRST_ERROR_AND_LOG };

static int build_failed(const struct build *b, int code, const char *why, enum log_lines with_log)
{
	error("Build of %s/%s for kernel %s (%s) failed: %s", b->m, b->v, b->t->release, b->t->arch, why);
	if (with_log != NO_LOG) {
		_cleanup_free_ char *first = first_error_line(b->log);
		if (first)
			fprintf(stderr, "First error: %s\n", first);
		if (with_log == FIRST_ERROR_AND_LOG)
			fprintf(stderr, "Full log: %s\n", b->log);
	}
	failure_record(&b->d->s, b->m, b->v, b->t, code, why, with_log ? b->log : NULL);
	return code;
}

/* Replaces path by path<suffix>, compressed in-process the way kbuild
 * compresses the kernel's own modules (see compress.h). */
static int compress_module(const char *path, const char *suffix)
{
	_cleanup_free_ char *packed = xasprintf("%s%s", path, suffix);
	int r = compress_file(path, packed, suffix);
	if (r < 0)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}

/* Strips, signs and compresses module i into stage_mod. */
static int collect_one(struct build *b, size_t i, const char *stage_mod)
{
	const struct conf_module *cm = &b->mc->mods[i];
	const char *comp = b->t->module_suffix;
	_cleanup_free_ char *ko = xasprintf("%s/%s%s.ko", b->build_dir, cm->built_location, cm->built_name);
	if (cm->strip) {
		char *argv[] = {"strip", "-g", ko, NULL};
		struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
		spawn_run(argv, &o);
	}
	if (b->sp.enabled) {
		info("Signing module %s", ko);
		/* a failure leaves the module unsigned, unless sign_strict */
		if (sign_module(&b->sp, ko) != 0 && b->sp.strict) {
			_cleanup_free_ char *why = xasprintf("%s could not be signed", ko);
			return build_failed(b, EX_FAILED, why, NO_LOG);
		}
	}
	_cleanup_free_ char *dst = xasprintf("%s/%s.ko", stage_mod, cm->dest_name);
	int r = copy_file(ko, dst, 0644);
	if (r < 0) {
		error("Could not copy %s to %s: %s", ko, dst, strerror(-r));
		return EX_FAILED;
	}
	if (!str_empty(comp) && (r = compress_module(dst, comp)) < 0) {
		warn("Could not compress %s with %s (%s); keeping it uncompressed.", dst, comp + 1, strerror(-r));
		_cleanup_free_ char *partial = xasprintf("%s%s", dst, comp);
		unlink(partial);
	}
	return 0;
}

/* make.log into the staged log directory; not what a confined build put
 * in its place, such as a link to a file only root may read. */
static void keep_log(const struct build *b, const char *stage_log)
{
	_cleanup_free_ char *final_log = path_join(stage_log, "make.log");
	struct stat lst;
	if (b->confined && lstat(b->log, &lst) == 0 && !sandbox_file_inside(b->build_dir, b->log))
		warn("%s is not a file of the build: it is not kept.", b->log);
	else if (rename(b->log, final_log) < 0)
		copy_file(b->log, final_log, 0644);
}

/* The modules, the log and the kernel's .config into <kernel>/<arch>/,
 * staged in a private directory of the dkms tree and renamed into place. */
static int collect_modules(struct build *b)
{
	const struct settings *s = &b->d->s;
	_cleanup_free_ char *kdir = xasprintf("%s/%s/%s/%s", s->dkms_tree, b->m, b->v, b->t->release);
	struct staged st;
	int r = mkdir_p(kdir, 0755);
	if (r == 0)
		r = staged_open_dir(&st, b->base, s->dkms_tree);
	if (r < 0) {
		error("Could not create %s: %s", b->base, strerror(-r));
		return EX_FAILED;
	}
	_cleanup_free_ char *stage_log = path_join(st.path, "log");
	_cleanup_free_ char *stage_mod = path_join(st.path, "module");
	mkdir_p(stage_log, 0755);
	mkdir_p(stage_mod, 0755);
	if (b->t->config) {
		_cleanup_free_ char *dst = path_join(stage_log, ".config");
		write_file_atomic(dst, b->t->config, strlen(b->t->config), 0644);
	}
	keep_log(b, stage_log);
	if (b->sp.enabled)
		log_job_state("signing");
	for (size_t i = 0; i < b->mc->n_mods; i++) {
		if ((r = collect_one(b, i, stage_mod)) != 0) {
			staged_rollback(&st);
			rmdir(kdir);
			return r;
		}
	}
	fault_point("build:staged");
	if ((r = staged_commit(&st, STAGED_NOREPLACE)) < 0) {
		error("Could not move the built modules to %s: %s", b->base, strerror(-r));
		rmdir(kdir);
		return EX_FAILED;
	}
	return 0;
}

/* compiler_launcher, checked and found (compiler.h): one that is not
 * right stops the build before anything is done. */
static int find_launcher(struct dkms *d, const char *m, const char *v, const struct kernel_target *t,
			 struct launcher *l)
{
	_cleanup_free_ char *why = NULL;
	if (launcher_resolve(d->s.compiler_launcher, l, &why) == 0)
		return 0;
	error("Build of %s/%s for kernel %s (%s) stopped: %s.", m, v, t->release, t->arch, why);
	return EX_FAILED;
}

/* The compiler chosen, said; its environment for make, and for a
 * launcher its cache and network in the sandbox. */
static void use_compiler(struct build *b)
{
	if (b->cc.note)
		info("%s", b->cc.note);
	if (b->cc.warning)
		warn("%s", b->cc.warning);
	if (b->cc.compiler)
		env_set(&b->env_make, "CC", b->cc.compiler);
	if (b->cc.llvm)
		env_set(&b->env_make, "LLVM", b->cc.llvm);
	launcher_prepare(&b->launcher, &b->env_make);
	if (!b->confined)
		return;
	/* make finds the compiler and the launcher where dkms found them */
	const char *progs[] = {b->cc.compiler, b->launcher.path};
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		_cleanup_free_ char *found = progs[i] ? compiler_find(progs[i]) : NULL;
		char *slash = found ? strrchr(found, '/') : NULL;
		if (slash && slash != found) {
			*slash = '\0';
			sandbox_show(&b->sb, found);
		}
	}
	if (b->launcher.cache_dir)
		sandbox_add_writable(&b->sb, b->launcher.cache_dir);
	for (size_t i = 0; b->launcher.log_files && b->launcher.log_files[i]; i++)
		sandbox_add_writable(&b->sb, b->launcher.log_files[i]);
	for (size_t i = 0; b->launcher.visible && b->launcher.visible[i]; i++)
		sandbox_show(&b->sb, b->launcher.visible[i]);
	b->sb.share_net = b->launcher.network;
}

/* make's command line with the compiler chosen: its variables right
 * after the leading "make". */
static char *with_compiler(const struct build *b, char *make_cmd)
{
	_cleanup_free_ char *vars = compiler_make_vars(&b->cc);
	if (!*vars || !startswith(make_cmd, "make "))
		return make_cmd;
	char *r = xasprintf("make%s%s", vars, make_cmd + 4);
	free(make_cmd);
	return r;
}

/* What must hold before anything is copied or compiled. */
static int build_preflight(struct build *b)
{
	const struct kernel_target *t = b->t;
	const struct settings *s = &b->d->s;
	if (is_dir(b->base)) {
		error("This module/version has already been built on: %s\n"
		      "Directory %s already exists. Use the dkms remove function before trying to build again.",
		      t->release, b->base);
		return EX_ALREADY_BUILT;
	}
	int r = dkms_read_conf(b->d, b->m, b->v, t, NULL, &b->mc);
	if (r || (r = dkms_conf_strict(b->mc)))
		return r;
	if (b->mc->build_exclude) {
		const char *why = b->mc->exclude_reason;
		error("The %s/dkms.conf for module %s includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config.\n"
		      "This indicates that it should not be built.%s%s%s",
		      b->base, b->m, why ? " (" : "", why ? why : "", why ? ")" : "");
		return EX_EXCLUDED;
	}
	_cleanup_free_ char *source_dir = tree_source_dir(s, b->m, b->v);
	_cleanup_strv_ char **src_entries = dir_list(source_dir);
	if (strv_len(src_entries) < 2) {
		error("The directory %s does not appear to have module source located within it.\nBuild halted.",
		      source_dir);
		return EX_BAD_CONF;
	}
	if (!kernel_target_has_headers(t)) {
		error("Your kernel headers for kernel %s cannot be found at %s/%s/build or %s/%s/source.\n"
		      "Please install the linux-headers-%s package or use the --kernelsourcedir option to tell DKMS where it's located.",
		      t->release, s->kernel_dir_base, t->release, s->kernel_dir_base, t->release, t->release);
		return EX_FAILED;
	}
	if ((r = depends_check_build(b->d, b->m, b->v, b->mc, t)))
		return r;
	compiler_choose(t, b->mc->make_command, b->launcher.path, &b->cc);
	sign_prepare(s, t, &b->sp);
	if (b->sp.failed) {
		/* sign_strict; the reason is already printed: fail before spending a build */
		error("Build of %s/%s for kernel %s (%s) stopped: modules cannot be signed.", b->m, b->v, t->release,
		      t->arch);
		return EX_FAILED;
	}
	return 0;
}

/* A fresh copy of the source with the kernel's patches applied. */
static int prepare_source(struct build *b)
{
	_cleanup_free_ char *source_dir = tree_source_dir(&b->d->s, b->m, b->v);
	rm_rf(b->build_dir);
	int r = copy_tree(source_dir, b->build_dir);
	fault_point("build:copied");
	if (r < 0) {
		error("Could not copy %s to %s: %s", source_dir, b->build_dir, strerror(-r));
		return EX_FAILED;
	}
	for (size_t i = 0; b->mc->patches[i]; i++) {
		const char *p = b->mc->patches[i];
		_cleanup_free_ char *pf = xasprintf("%s/patches/%s", b->build_dir, p);
		if (!name_is_safe(p) && (strstr(p, "..") || p[0] == '/')) {
			error("Patch %s of %s/%s is not a file name inside patches/.", p, b->m, b->v);
			return EX_PATCH;
		}
		if (!path_exists(pf)) {
			error(" Patch %s as specified in dkms.conf cannot be\nfound in %s/patches/.", p, b->build_dir);
			return EX_PATCH;
		}
		progress_start("applying patch %s", p);
		int fd = open(pf, O_RDONLY | O_CLOEXEC);
		char *argv[] = {"patch", "-p1", NULL};
		struct spawn_opts o = {.cwd = b->build_dir, .out_fd = -1, .err_fd = -1, .in_fd = fd};
		int pr = fd >= 0 ? spawn_run(argv, &o) : -errno;
		progress_end(pr);
		if (fd >= 0)
			close(fd);
		if (pr != 0) {
			error("Application of patch %s failed for %s/%s.\nCheck %s for more information.", p, b->m, b->v,
			      b->build_dir);
			return EX_PATCH_FAILED;
		}
	}
	return 0;
}

/* The confined steps write into build_dir as nobody: it is theirs while
 * they run.  Failing that, the build runs unconfined after a warning,
 * unless a sandbox is required. */
static int build_give(struct build *b)
{
	if (!b->confined)
		return 0;
	int r = sandbox_give(b->build_dir);
	if (r == 0)
		return 0;
	sandbox_take_back(b->build_dir);
	if (b->sb.mode == SANDBOX_REQUIRED) {
		_cleanup_free_ char *why = xasprintf("%s could not be given to the sandbox's user: %s", b->build_dir,
						     strerror(-r));
		return build_failed(b, EX_FAILED, why, false);
	}
	warn("%s could not be given to the sandbox's user (%s): building unconfined.", b->build_dir, strerror(-r));
	b->confined = false;
	b->sb.mode = SANDBOX_OFF;
	return 0;
}

/* Back to root before root reads or changes anything the build made. */
static int build_take_back(struct build *b)
{
	if (!b->confined)
		return 0;
	int r = sandbox_take_back(b->build_dir);
	if (r == 0)
		return 0;
	_cleanup_free_ char *why = xasprintf("%s could not be taken back from the sandbox's user: %s", b->build_dir,
					     strerror(-r));
	return build_failed(b, EX_FAILED, why, false);
}

/* Whether make and the scripts run confined (sandbox.h), decided once;
 * they see the kernel's headers and .config and the uname shim, and write
 * only build_dir. */
static int build_confine(struct build *b)
{
	sandbox_init(&b->sb, &b->d->s);
	int on = sandbox_decide(b->sb.mode, false);
	if (on < 0)
		return build_failed(b, EX_FAILED, "build_sandbox=\"yes\" and no sandbox can be made", false);
	b->confined = on > 0;
	if (!b->confined) {
		b->sb.mode = SANDBOX_OFF;
		return 0;
	}
	sandbox_show(&b->sb, b->t->headers_dir);
	sandbox_show(&b->sb, b->t->config_path);
	sandbox_show(&b->sb, b->shim);
	sandbox_set_writable(&b->sb, b->build_dir);
	return 0;
}

/* PRE_BUILD, confined; build_dir is root's again after it, for the
 * artifact cache. */
static int pre_build(struct build *b)
{
	if (str_empty(b->mc->pre_build))
		return 0;
	int r = build_give(b);
	if (r)
		return r;
	run_module_script_in(b->d, &b->sb, "pre_build", b->mc->pre_build, b->m, b->v, "build", b->env_pre);
	return build_take_back(b);
}

/* The MAKE line: "make" gets -j<jobs> and KERNELRELEASE.  Under a
 * jobserver (jobserver.h) the command run has no -j, which would turn the
 * jobserver off: MAKEFLAGS gives make its -j<tokens> and the pipe; the
 * line shown (for_display) is the reference's, which means the same. */
static char *make_command_line(const struct build *b, bool for_display)
{
	const char *cmd = b->mc->make_command;
	if (!startswith(cmd, "make"))
		return xstrdup(cmd);
	if (b->d->opt.jobserver && !for_display)
		return xasprintf("make KERNELRELEASE=%s%s", b->t->release, cmd + 4);
	return xasprintf("make -j%s KERNELRELEASE=%s%s", b->d->opt.jobs, b->t->release, cmd + 4);
}

/* make, with its output in the log. */
static int run_make(struct build *b)
{
	const struct kernel_target *t = b->t;
	/* not through a link, nor hanging on a FIFO, that a confined
	 * PRE_BUILD or CLEAN may have left in its place */
	int logfd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (logfd >= 0) {
		time_t now = time(NULL);
		char date[64];
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Z %Y", localtime(&now));
		dprintf(logfd, "DKMS make.log for %s-%s for kernel %s (%s)\n%s\n", b->m, b->v, t->release, t->arch,
			date);
	}
	_cleanup_free_ char *make_cmd = make_command_line(b, false);
	_cleanup_free_ char *shown = make_command_line(b, true);
	make_cmd = with_compiler(b, make_cmd);
	shown = with_compiler(b, shown);
	progress_start("%s", shown);
	_cleanup_free_ char *make_full = with_vars(b, make_cmd);
	int mr = dkms_run_shell_in(&b->sb, make_full, b->build_dir, logfd, b->env_make);
	progress_end(mr);
	if (logfd >= 0)
		close(logfd);
	int r = build_take_back(b);
	if (mr == 0)
		return r;
	_cleanup_free_ char *why = mr < 0 ? xasprintf("make could not be run: %s", strerror(-mr))
		: mr > 128 ? xasprintf("make was killed by signal %d", mr - 128)
			   : xasprintf("make exited with status %d", mr);
	/* the reference's message, which scripts may look for, then ours */
	error("Bad return status for module build on kernel: %s (%s)\nConsult %s for more information.", t->release,
	      t->arch, b->log);
	return build_failed(b, EX_BUILD, why, FIRST_ERROR);
}

/* Every module was produced, for this kernel. */
static int check_products(struct build *b)
{
	for (size_t i = 0; i < b->mc->n_mods; i++) {
		const struct conf_module *cm = &b->mc->mods[i];
		_cleanup_free_ char *ko = xasprintf("%s/%s%s.ko", b->build_dir, cm->built_location, cm->built_name);
		if (b->confined && path_exists(ko) && !sandbox_file_inside(b->build_dir, ko)) {
			_cleanup_free_ char *why = xasprintf("%s%s.ko is not a file of the build directory",
							     cm->built_location, cm->built_name);
			return build_failed(b, EX_BUILD, why, true);
		}
		if (!path_exists(ko)) {
			_cleanup_free_ char *why = xasprintf(
				"make succeeded but %s%s.ko was not produced (check BUILT_MODULE_NAME and BUILT_MODULE_LOCATION in dkms.conf)",
				cm->built_location, cm->built_name);
			return build_failed(b, EX_NOT_PRODUCED, why, FIRST_ERROR_AND_LOG);
		}
		_cleanup_free_ char *rel = module_vermagic_release(ko);
		if (rel && !streq(rel, b->t->release)) {
			_cleanup_free_ char *why = xasprintf("%s.ko was built for kernel %s, not %s", cm->built_name, rel,
							     b->t->release);
			return build_failed(b, EX_BUILD, why, FIRST_ERROR_AND_LOG);
		}
	}
	return 0;
}

/* The artifact cache (artifact.h): true when the modules were taken from
 * it, so that make need not run. */
static bool from_cache(struct build *b, struct artifact_key *key)
{
	const char *cache = b->d->s.artifact_cache;
	if (str_empty(cache))
		return false;
	_cleanup_free_ char *source_dir = tree_source_dir(&b->d->s, b->m, b->v);
	if (artifact_key(key, source_dir, b->mc, b->mc->make_command, b->env_make, b->t) < 0)
		return false;
	if (artifact_fetch(cache, key, b->mc, b->t, b->build_dir) < 0) {
		debug("Not in the artifact cache (%s): building.", key->hex);
		return false;
	}
	info("Taken from the artifact cache %s (%.12s): make not run.", cache, key->hex);
	int fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "DKMS make.log for %s-%s for kernel %s (%s)\nThe modules were taken from the artifact cache %s, entry %s.\n",
			b->m, b->v, b->t->release, b->t->arch, cache, key->hex);
		close(fd);
	}
	return true;
}

/* CLEAN with its progress line; a failed clean is only reported, as the
 * reference does. */
static void run_clean(struct build *b)
{
	progress_start("Cleaning build area");
	progress_end(dkms_run_shell_in(&b->sb, b->clean, b->build_dir, b->devnull, b->env_make));
}

/* The progress line of a CLEAN left out, as if it had run: the build area
 * is clean already, or removed next, and scripts that read the
 * reference's lines still find them. */
static void clean_left_out(const char *why)
{
	progress_start("Cleaning build area");
	progress_end(0);
	debug("%s", why);
}

/* kbuild's own clean of the module's build directory (kbuildclean.h). */
static bool clean_is_kbuilds(const struct build *b)
{
	return kbuild_clean_is_plain(b->mc->clean, b->t->headers_dir, b->build_dir);
}

/* CLEAN on the fresh copy, unless it is kbuild's and would remove
 * nothing there. */
static void clean_before_make(struct build *b)
{
	if (clean_is_kbuilds(b) && kbuild_tree_is_pristine(b->build_dir)) {
		_cleanup_free_ char *why =
			xasprintf("%s holds nothing for kbuild's clean to remove: not cleaned before make.", b->build_dir);
		clean_left_out(why);
		return;
	}
	run_clean(b);
}

/* CLEAN after the build, unless it can change nothing but the build
 * directory, removed next: kbuild's own clean, or any CLEAN when the
 * build is confined (newer dkms releases leave this clean out always). */
static void clean_after_build(struct build *b)
{
	if (clean_is_kbuilds(b) || b->confined) {
		_cleanup_free_ char *why = xasprintf("%s is removed: CLEAN is not run on it.", b->build_dir);
		clean_left_out(why);
		return;
	}
	run_clean(b);
}

/* clean, make, and the check of what make produced, which then goes into
 * the artifact cache. */
static int make_modules(struct build *b, const struct artifact_key *key)
{
	int r = build_give(b);
	if (r)
		return r;
	clean_before_make(b);
	/* run_make takes build_dir back from the sandbox */
	if ((r = run_make(b)) || (r = check_products(b)))
		return r;
	const char *cache = b->d->s.artifact_cache;
	if (!str_empty(cache) && key->hex[0])
		artifact_store(cache, key, b->mc, b->build_dir, artifact_parse_size(b->d->s.artifact_cache_size));
	return 0;
}

/* PRE_BUILD, make (or the artifact cache), the collection, POST_BUILD,
 * clean. */
static int compile(struct build *b)
{
	const struct kernel_target *t = b->t;
	b->shim = make_uname_shim(&b->d->s, t->release);
	/* PRE_BUILD sees CC as the kernel was built with, or the compiler
	 * chosen for it; make gets the choice on its command line. */
	b->env_pre = build_env(b->shim, b->cc.compiler ? b->cc.compiler : t->cc);
	b->env_make = build_env(b->shim, NULL);
	int r;
	if ((r = build_confine(b)))
		return r;
	use_compiler(b);
	if ((r = pre_build(b)))
		return r;

	info_blank();
	info("Building module:");
	b->clean = with_vars(b, b->mc->clean);
	b->devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct artifact_key key = {{0}};
	bool hit = from_cache(b, &key);
	if (!hit && (r = make_modules(b, &key)))
		return r;
	fault_point("build:made");
	if ((r = collect_modules(b)))
		return r;
	fault_point("build:collected");
	if ((r = build_give(b)))
		return r;
	run_module_script_in(b->d, &b->sb, "post_build", b->mc->post_build, b->m, b->v, "build", b->env_make);
	if (!hit)
		clean_after_build(b);
	rm_rf(b->build_dir);
	return 0;
}

int do_build(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	int r;
	struct launcher launcher;
	if ((r = find_launcher(d, m, v, t, &launcher)))
		return r;
	if (!tree_is_added(&d->s, m, v) && (r = do_add(d, m, v, t))) {
		launcher_free(&launcher);
		return r;
	}
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	struct build b = {
		.d = d, .m = m, .v = v, .t = t, .devnull = -1, .launcher = launcher,
		.base = tree_ka_dir(&d->s, m, v, t->release, t->arch), .build_dir = path_join(mv, "build"),
	};
	b.log = path_join(b.build_dir, "make.log");
	if (!(r = build_preflight(&b)) && !(r = prepare_source(&b)))
		r = compile(&b);
	if (r == 0) {
		failure_clear(&d->s, m, v, t->release, t->arch);
		depends_record(d, m, v, b.mc, t);
	}
	if (b.devnull >= 0)
		close(b.devnull);
	if (b.shim)
		rm_rf(b.shim);
	free(b.shim);
	strv_free(b.env_pre);
	strv_free(b.env_make);
	sandbox_free(&b.sb);
	compiler_choice_free(&b.cc);
	launcher_free(&b.launcher);
	sign_plan_free(&b.sp);
	free(b.base);
	free(b.build_dir);
	free(b.log);
	free(b.clean);
	return r;
}
