/* build: copy the source into build/, apply patches, PRE_BUILD, make,
 * check and collect the modules, POST_BUILD, clean.  The result is staged
 * under a hidden name and renamed into <kernel>/<arch> at the end, so an
 * interrupted build never looks built. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compress.h"
#include "dkms.h"
#include "kernel.h"
#include "log.h"
#include "sign.h"
#include "tree.h"
#include "util/spawn.h"

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
static char *with_vars(struct dkms *d, const char *m, const char *v, const char *k, const char *a,
		       const char *cmd)
{
	_cleanup_free_ char *ksrc = kernel_source_dir_for(&d->s, d->cli->kernel_source_dir, k);
	const char *vars[][2] = {
		{"kernelver", k}, {"arch", a}, {"kernel_source_dir", ksrc}, {"dkms_tree", d->s.dkms_tree},
		{"source_tree", d->s.source_tree}, {"install_tree", d->s.install_tree}, {"module", m},
		{"module_version", v}, {"parallel_jobs", d->jobs},
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
static char *make_uname_shim(struct dkms *d, const char *k)
{
	_cleanup_free_ char *tmpl = path_join(d->s.tmp_location, "dkms-uname.XXXXXX");
	if (!mkdtemp(tmpl))
		return NULL;
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

static char **build_env(const char *shim, bool keep_cc, const char *cc)
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
	env_set(&env, "CC", keep_cc ? cc : NULL);
	return env;
}

/* Runs a PRE_BUILD/POST_BUILD/... script from <mv>/<dir>/ as the reference
 * does: only when its first word is executable. */
int run_module_script(struct dkms *d, const char *kind, const char *script, const char *m, const char *v,
		      const char *dir, char *const *env)
{
	if (str_empty(script))
		return 0;
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_free_ char *cwd = path_join(mv, dir);
	_cleanup_free_ char *run = path_join(cwd, script);
	_cleanup_free_ char *first = xstrdup(run);
	char *sp = strchr(first, ' ');
	if (sp)
		*sp = '\0';
	if (access(first, X_OK) != 0) {
		info_blank();
		warn("The %s script is not executable.", kind);
		return 0;
	}
	info_blank();
	info("Running the %s script:", kind);
	/* exec $run: split on blanks, no other expansion */
	char **argv = NULL;
	_cleanup_free_ char *copy = xstrdup(run);
	for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		strv_pushdup(&argv, w);
	struct spawn_opts o = {.cwd = cwd, .env = env, .out_fd = -1, .err_fd = -1};
	fflush(stdout);
	int r = spawn_run(argv, &o);
	strv_free(argv);
	return r;
}

/* The first line of a build log that a person needs: a compiler error,
 * else make's own error. */
char *first_error_line(const char *log_path)
{
	_cleanup_free_ char *text = NULL;
	if (read_file(log_path, &text, NULL) < 0)
		return NULL;
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

static int build_failed(int code, const char *m, const char *v, const char *k, const char *a,
			const char *why, const char *log)
{
	error("Build of %s/%s for kernel %s (%s) failed: %s", m, v, k, a, why);
	if (log) {
		_cleanup_free_ char *first = first_error_line(log);
		if (first)
			fprintf(stderr, "First error: %s\n", first);
		fprintf(stderr, "Full log: %s\n", log);
	}
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

/* Strips, signs and compresses the built modules into <kernel>/<arch>/,
 * staged under a hidden name and renamed into place. */
static int collect_modules(struct dkms *d, const struct module_conf *mc, const char *m, const char *v, const char *k,
			   const char *a, const char *build_dir, const char *log, const struct sign_plan *sp)
{
	const struct settings *s = &d->s;
	int r;
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *base = tree_ka_dir(s, m, v, k, a);
	/* Stage <kernel>/.<arch>.dkms-staging, then rename into place. */
	_cleanup_free_ char *kdir = xasprintf("%s/%s", mv, k);
	_cleanup_free_ char *stage = xasprintf("%s/.%s.dkms-staging", kdir, a);
	rm_rf(stage);
	_cleanup_free_ char *stage_log = path_join(stage, "log");
	_cleanup_free_ char *stage_mod = path_join(stage, "module");
	if ((r = mkdir_p(stage_log, 0755)) < 0 || (r = mkdir_p(stage_mod, 0755)) < 0) {
		error("Could not create %s: %s", stage, strerror(-r));
		return 1;
	}
	_cleanup_free_ char *ksrc = kernel_source_dir_for(s, d->cli->kernel_source_dir, k);
	_cleanup_free_ char *kc = d->cli->kernel_config ? xstrdup(d->cli->kernel_config) : path_join(ksrc, ".config");
	if (is_file(kc)) {
		_cleanup_free_ char *dst = path_join(stage_log, ".config");
		copy_file(kc, dst, 0644);
	}
	_cleanup_free_ char *final_log = path_join(stage_log, "make.log");
	if (rename(log, final_log) < 0)
		copy_file(log, final_log, 0644);
	const char *comp = kernel_module_compression(s, k);
	for (size_t i = 0; i < mc->n_mods; i++) {
		const struct conf_module *cm = &mc->mods[i];
		_cleanup_free_ char *ko = xasprintf("%s/%s%s.ko", build_dir, cm->built_location, cm->built_name);
		if (cm->strip) {
			char *argv[] = {"strip", "-g", ko, NULL};
			struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
			spawn_run(argv, &o);
		}
		if (sp->failed) {
			error("Build of %s/%s for kernel %s (%s) failed: %s, so its modules cannot be signed.", m, v, k,
			      a, sp->failed);
			rm_rf(stage);
			rmdir(kdir);
			return 1;
		}
		if (sp->enabled) {
			info("Signing module %s", ko);
			if (sign_module(sp, ko) != 0) {
				error("Build of %s/%s for kernel %s (%s) failed: %s could not be signed.", m, v, k, a, ko);
				rm_rf(stage);
				rmdir(kdir);
				return 1;
			}
		}
		_cleanup_free_ char *dst = xasprintf("%s/%s.ko", stage_mod, cm->dest_name);
		if ((r = copy_file(ko, dst, 0644)) < 0) {
			error("Could not copy %s to %s: %s", ko, dst, strerror(-r));
			return 1;
		}
		if (!str_empty(comp) && (r = compress_module(dst, comp)) < 0) {
			warn("Could not compress %s with %s (%s); keeping it uncompressed.", dst, comp + 1, strerror(-r));
			_cleanup_free_ char *partial = xasprintf("%s%s", dst, comp);
			unlink(partial);
		}
	}
	if (rename(stage, base) < 0) {
		error("Could not move %s to %s: %s", stage, base, strerror(errno));
		rm_rf(stage);
		return 1;
	}
	return 0;
}

int do_build(struct dkms *d, const char *m, const char *v, const char *k, const char *a)
{
	const struct settings *s = &d->s;
	int r;
	if (!tree_is_added(s, m, v)) {
		r = do_add(d, m, v);
		if (r)
			return r;
	}
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *base = tree_ka_dir(s, m, v, k, a);
	_cleanup_free_ char *build_dir = path_join(mv, "build");
	_cleanup_free_ char *source_dir = path_join(mv, "source");
	if (is_dir(base)) {
		error("This module/version has already been built on: %s\n"
		      "Directory %s already exists. Use the dkms remove function before trying to build again.",
		      k, base);
		return 3;
	}
	const struct module_conf *mc;
	r = dkms_read_conf(d, m, v, k, a, NULL, &mc);
	if (r)
		return r;
	if (mc->build_exclude) {
		error("The %s/dkms.conf for module %s includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config.\n"
		      "This indicates that it should not be built.%s%s%s",
		      base, m, mc->exclude_reason ? " (" : "", mc->exclude_reason ? mc->exclude_reason : "",
		      mc->exclude_reason ? ")" : "");
		return 77;
	}
	_cleanup_strv_ char **src_entries = dir_list(source_dir);
	if (strv_len(src_entries) < 2) {
		error("The directory %s does not appear to have module source located within it.\nBuild halted.",
		      source_dir);
		return 8;
	}
	_cleanup_free_ char *ksrc = kernel_source_dir_for(s, d->cli->kernel_source_dir, k);
	_cleanup_free_ char *kinc = path_join(ksrc, "include");
	if (!path_exists(kinc)) {
		error("Your kernel headers for kernel %s cannot be found at %s/%s/build or %s/%s/source.\n"
		      "Please install the linux-headers-%s package or use the --kernelsourcedir option to tell DKMS where it's located.",
		      k, s->kernel_dir_base, k, s->kernel_dir_base, k, k);
		return 1;
	}

	struct sign_plan sp = {0};
	sign_prepare(d, k, &sp);
	if (sp.failed) {
		/* the reason is already printed: fail before spending a build */
		error("Build of %s/%s for kernel %s (%s) stopped: modules cannot be signed.", m, v, k, a);
		sign_plan_free(&sp);
		return 1;
	}

	/* A fresh copy of the source. */
	rm_rf(build_dir);
	r = copy_tree(source_dir, build_dir);
	if (r < 0) {
		error("Could not copy %s to %s: %s", source_dir, build_dir, strerror(-r));
		sign_plan_free(&sp);
		return 1;
	}

	for (size_t i = 0; mc->patches[i]; i++) {
		const char *p = mc->patches[i];
		_cleanup_free_ char *pf = xasprintf("%s/patches/%s", build_dir, p);
		if (!name_is_safe(p) && (strstr(p, "..") || p[0] == '/')) {
			error("Patch %s of %s/%s is not a file name inside patches/.", p, m, v);
			sign_plan_free(&sp);
			return 5;
		}
		if (!path_exists(pf)) {
			error(" Patch %s as specified in dkms.conf cannot be\nfound in %s/patches/.", p, build_dir);
			sign_plan_free(&sp);
			return 5;
		}
		info("applying patch %s...", p);
		int fd = open(pf, O_RDONLY | O_CLOEXEC);
		char *argv[] = {"patch", "-p1", NULL};
		struct spawn_opts o = {.cwd = build_dir, .out_fd = -1, .err_fd = -1, .in_fd = fd};
		int pr = fd >= 0 ? spawn_run(argv, &o) : -errno;
		if (fd >= 0)
			close(fd);
		if (pr != 0) {
			error("Application of patch %s failed for %s/%s.\nCheck %s for more information.", p, m, v, build_dir);
			sign_plan_free(&sp);
			return 6;
		}
	}

	_cleanup_free_ char *shim = make_uname_shim(d, k);
	/* PRE_BUILD sees CC as the kernel was built with; make does not. */
	_cleanup_free_ char *kconfig_path = path_join(ksrc, ".config");
	_cleanup_free_ char *kconfig = NULL;
	_cleanup_free_ char *cc = NULL;
	if (read_file(kconfig_path, &kconfig, NULL) == 0) {
		const char *p = strstr(kconfig, "\nCONFIG_CC_VERSION_TEXT=\"");
		if (p) {
			p += strlen("\nCONFIG_CC_VERSION_TEXT=\"");
			size_t n = strcspn(p, " \"\n");
			cc = xstrndup(p, n);
		}
	}
	char **env_pre = build_env(shim, cc != NULL, cc);
	char **env_make = build_env(shim, false, NULL);
	r = run_module_script(d, "pre_build", mc->pre_build, m, v, "build", env_pre);
	(void)r;

	info_blank();
	info("Building module:");
	_cleanup_free_ char *clean = with_vars(d, m, v, k, a, mc->clean);
	info("Cleaning build area...");
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	dkms_run_shell(clean, build_dir, devnull, env_make);

	_cleanup_free_ char *log = path_join(build_dir, "make.log");
	int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd >= 0) {
		time_t now = time(NULL);
		char date[64];
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Z %Y", localtime(&now));
		dprintf(logfd, "DKMS make.log for %s-%s for kernel %s (%s)\n%s\n", m, v, k, a, date);
	}
	_cleanup_free_ char *make_cmd = NULL;
	if (startswith(mc->make_command, "make"))
		make_cmd = xasprintf("make -j%s KERNELRELEASE=%s%s", d->jobs, k, mc->make_command + 4);
	else
		make_cmd = xstrdup(mc->make_command);
	info("%s...", make_cmd);
	_cleanup_free_ char *make_full = with_vars(d, m, v, k, a, make_cmd);
	int mr = dkms_run_shell(make_full, build_dir, logfd, env_make);
	if (logfd >= 0)
		close(logfd);
	if (mr != 0) {
		_cleanup_free_ char *why = mr < 0 ? xasprintf("make could not be run: %s", strerror(-mr))
			: mr > 128 ? xasprintf("make was killed by signal %d", mr - 128)
				   : xasprintf("make exited with status %d", mr);
		r = build_failed(10, m, v, k, a, why, log);
		goto out;
	}
	for (size_t i = 0; i < mc->n_mods; i++) {
		const struct conf_module *cm = &mc->mods[i];
		_cleanup_free_ char *ko = xasprintf("%s/%s%s.ko", build_dir, cm->built_location, cm->built_name);
		if (!path_exists(ko)) {
			_cleanup_free_ char *why = xasprintf(
				"make succeeded but %s%s.ko was not produced (check BUILT_MODULE_NAME and BUILT_MODULE_LOCATION in dkms.conf)",
				cm->built_location, cm->built_name);
			r = build_failed(7, m, v, k, a, why, log);
			goto out;
		}
		_cleanup_free_ char *rel = module_vermagic_release(ko);
		if (rel && !streq(rel, k)) {
			_cleanup_free_ char *why = xasprintf("%s.ko was built for kernel %s, not %s", cm->built_name, rel, k);
			r = build_failed(10, m, v, k, a, why, log);
			goto out;
		}
	}

	r = collect_modules(d, mc, m, v, k, a, build_dir, log, &sp);
	if (r)
		goto out;

	run_module_script(d, "post_build", mc->post_build, m, v, "build", env_make);

	info("Cleaning build area...");
	dkms_run_shell(clean, build_dir, devnull, env_make);
	rm_rf(build_dir);
	r = 0;
out:
	if (devnull >= 0)
		close(devnull);
	if (shim)
		rm_rf(shim);
	strv_free(env_pre);
	strv_free(env_make);
	sign_plan_free(&sp);
	return r;
}
