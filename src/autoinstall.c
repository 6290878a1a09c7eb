/* autoinstall: build and install, for one kernel, the newest version of
 * every module whose dkms.conf says AUTOINSTALL, in BUILD_DEPENDS order.
 * One failure never stops the others; a summary says what happened to
 * each module. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actions.h"
#include "autoinstall.h"
#include "build.h"
#include "compiler.h"
#include "install.h"
#include "kernel.h"
#include "log.h"
#include "sandbox.h"
#include "sign.h"
#include "tree.h"
#include "unbuild.h"
#include "uninstall.h"
#include "util/spawn.h"
#include "util/staged.h"


size_t ai_next_ready(const struct ai_job *jobs, size_t n, char *const *installed)
{
	for (size_t i = 0; i < n; i++) {
		bool ready = !jobs[i].started;
		for (size_t l = 0; ready && jobs[i].deps[l]; l++)
			ready = strv_contains(installed, jobs[i].deps[l]);
		if (ready)
			return i;
	}
	return n;
}

static void show_output(const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (read_file(path, &text, &len) == 0 && len) {
		fflush(stdout);
		fwrite(text, 1, len, stdout);
		fflush(stdout);
	}
	unlink(path);
}

/* Starts job i in a child process; its output goes to a file of the
 * run's private directory when jobs run side by side. */
static void start_job(struct dkms *d, struct ai_job *j, size_t i, const struct kernel_target *t, const char *out_dir,
		      long jobs_each)
{
	j->started = true;
	if (out_dir)
		j->out = xasprintf("%s/%zu", out_dir, i);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		spawn_reset_tracking();
		if (j->out) {
			int fd = open(j->out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		free(d->opt.jobs);
		d->opt.jobs = xasprintf("%ld", jobs_each);
		dkms_forget_conf(d);
		int r = do_install(d, j->m, j->v, t);
		fflush(stdout);
		fflush(stderr);
		_exit(r);
	}
	if (pid < 0) {
		j->result = EX_FAILED;
		error("Could not start the install of %s/%s: %s", j->m, j->v, strerror(errno));
		return;
	}
	j->pid = pid;
	spawn_track(pid);
}

/* A child ended: its result, and its output shown in one piece. */
static void job_ended(struct ai_job *j, int status, char ***installed, const struct kernel_target *t)
{
	spawn_untrack(j->pid);
	j->pid = 0;
	j->result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (j->out) {
		info("---- %s/%s on kernel %s (%s) ----", j->m, j->v, t->release, t->arch);
		show_output(j->out);
		free(j->out);
		j->out = NULL;
	}
	if (j->result == 0)
		strv_pushdup(installed, j->m);
}

/* Runs the install jobs, several at once: each module's build uses its
 * own build directory, so different modules for one kernel never share
 * files.  A job starts once its BUILD_DEPENDS are installed; the CPUs are
 * shared out between the running builds' make -j.  Each job records its
 * changes for the commit point (commit.h). */
static void run_jobs(struct dkms *d, struct ai_job *jobs, size_t nj, char ***installed, const struct kernel_target *t)
{
	long cpus = str_empty(d->opt.jobs) ? sysconf(_SC_NPROCESSORS_ONLN) : strtol(d->opt.jobs, NULL, 10);
	if (cpus < 1)
		cpus = 1;
	size_t max_par = (size_t)cpus < nj ? (size_t)cpus : nj;
	if (max_par < 1)
		max_par = 1;
	_cleanup_free_ char *out_dir = NULL;
	if (max_par > 1) {
		out_dir = staged_tmp_dir(d->s.tmp_location, "autoinstall");
		if (!out_dir) {
			warn("Could not create a directory in %s (%s): building one module at a time.",
			     d->s.tmp_location, strerror(errno));
			max_par = 1;
		}
	}
	long jobs_each = cpus / (long)max_par > 0 ? cpus / (long)max_par : 1;
	sandbox_decide_early(&d->s);
	size_t running = 0;
	for (;;) {
		size_t i;
		while (running < max_par && !spawn_interrupted() && (i = ai_next_ready(jobs, nj, *installed)) < nj) {
			start_job(d, &jobs[i], i, t, out_dir, jobs_each);
			running += jobs[i].pid > 0;
		}
		if (running == 0)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (i = 0; i < nj; i++) {
			if (jobs[i].pid == pid) {
				job_ended(&jobs[i], status, installed, t);
				running--;
			}
		}
	}
	if (out_dir)
		rm_rf(out_dir);
}

/* The newest AUTOINSTALL version of module m not installed on t, as a
 * job; false when there is none.  *is_installed: a version is.  Versions
 * whose dkms.conf is gone (their source was removed) are added to
 * *no_conf as "m/v": they do not stop the others. */
static bool pick_version(struct dkms *d, const char *m, const struct kernel_target *t, struct ai_job *job,
			 bool *is_installed, char ***no_conf)
{
	_cleanup_strv_ char **vers = tree_versions(&d->s, m, NULL);
	*job = (struct ai_job){.result = -1};
	*is_installed = false;
	for (size_t j = 0; vers[j]; j++) {
		const char *v = vers[j];
		const struct module_conf *mc;
		if (!tree_is_added(&d->s, m, v))
			continue;
		if (tree_link_is_installed(&d->s, m, v, t->release, t->arch)) {
			*is_installed = true;
			continue;
		}
		int r = dkms_read_conf(d, m, v, t, NULL, &mc);
		if (r == EX_NO_CONF)
			strv_push(no_conf, xasprintf("%s/%s", m, v));
		if (r != 0 || !mc->autoinstall)
			continue;
		if (job->v && ver_cmp(v, job->v) <= 0)
			continue;
		free(job->v);
		strv_free(job->deps);
		job->v = xstrdup(v);
		job->deps = xcalloc(1, sizeof(char *));
		for (size_t l = 0; mc->build_depends[l]; l++)
			strv_pushdup(&job->deps, mc->build_depends[l]);
	}
	if (!job->v)
		return false;
	job->m = xstrdup(m);
	debug("Autoinstall on kernel %s: %s/%s.", t->release, m, job->v);
	return true;
}

/* One line per job, and per version whose source is gone; returns how
 * many failed. */
static int print_summary(struct dkms *d, const struct ai_job *jobs, size_t nj, char *const *no_conf,
			 const struct kernel_target *t)
{
	int failed = 0;
	/* the reference's line for each, which scripts may look for */
	for (size_t i = 0; i < nj; i++) {
		if (jobs[i].started)
			continue;
		_cleanup_free_ char *deps = strv_join(jobs[i].deps, " ");
		info("%s/%s autoinstall failed due to missing dependencies: %s", jobs[i].m, jobs[i].v, deps);
	}
	info_blank();
	info("Autoinstall on kernel %s (%s):", t->release, t->arch);
	for (size_t i = 0; no_conf[i]; i++)
		info("  %s: skipped (its source is gone: no %s/%s/source/dkms.conf)", no_conf[i], d->s.dkms_tree,
		     no_conf[i]);
	for (size_t i = 0; i < nj; i++) {
		const struct ai_job *j = &jobs[i];
		if (!j->started) {
			_cleanup_free_ char *deps = strv_join(j->deps, " ");
			info("  %s/%s: failed, missing dependencies: %s", j->m, j->v, deps);
			failed++;
		} else if (j->result == 0) {
			info("  %s/%s: installed", j->m, j->v);
		} else if (j->result == EX_EXCLUDED) {
			info("  %s/%s: skipped (BUILD_EXCLUSIVE does not match this kernel)", j->m, j->v);
		} else {
			_cleanup_free_ char *log = xasprintf("%s/%s/%s/build/make.log", d->s.dkms_tree, j->m, j->v);
			bool has_log = path_exists(log);
			_cleanup_free_ char *first = has_log ? first_error_line(log) : NULL;
			info("  %s/%s: failed (exit %d)%s%s%s%s", j->m, j->v, j->result, first ? ": " : "",
			     first ? first : "", has_log ? ", log: " : "", has_log ? log : "");
			failed++;
		}
	}
	_cleanup_free_ char *cc_warning = compiler_warning(t);
	if (cc_warning)
		info("  compiler: %s", cc_warning);
	return failed;
}

static int autoinstall_kernel(struct dkms *d, const struct kernel_target *t)
{
	struct ai_job *jobs = NULL;
	size_t nj = 0;
	_cleanup_strv_ char **installed = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **mods = tree_modules(&d->s, NULL);
	_cleanup_strv_ char **no_conf = xcalloc(1, sizeof(char *));
	for (size_t i = 0; mods[i]; i++) {
		struct ai_job job;
		bool is_installed;
		bool any = pick_version(d, mods[i], t, &job, &is_installed, &no_conf);
		if (is_installed)
			strv_pushdup(&installed, mods[i]);
		if (any) {
			jobs = xrealloc(jobs, (nj + 1) * sizeof(*jobs));
			jobs[nj++] = job;
		}
	}
	if (nj == 0 && !no_conf[0])
		return 0;
	/* The signing key is made here, once, not by parallel builds racing
	 * to create it. */
	struct sign_plan sp = {0};
	if (nj > 1) {
		sign_prepare(&d->s, t, &sp);
		sign_plan_free(&sp);
	}
	run_jobs(d, jobs, nj, &installed, t);
	int failed = print_summary(d, jobs, nj, no_conf, t);
	for (size_t i = 0; i < nj; i++) {
		free(jobs[i].m);
		free(jobs[i].v);
		strv_free(jobs[i].deps);
	}
	free(jobs);
	if (failed) {
		error("One or more modules failed to install during autoinstall.\nRefer to previous errors for more information.");
		return EX_AUTOINSTALL;
	}
	return 0;
}

/* The reference autoinstalls for one kernel; several -k are done in turn. */
int action_autoinstall(struct dkms *d)
{
	struct cli *c = d->cli;
	int ret = 0;
	for (size_t i = 0; c->kernelver[i] && !spawn_interrupted(); i++) {
		int r = autoinstall_kernel(d, dkms_target(d, c->kernelver[i], c->arch[i]));
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/* kernel_postinst (dkms 3.1 and later): what a kernel package's postinst
 * asks for, the autoinstall of the kernels given. */
int action_kernel_postinst(struct dkms *d)
{
	return action_autoinstall(d);
}

/* kernel_prerm (dkms 3.1 and later): before a kernel goes, every module
 * version built for it is uninstalled and unbuilt; the modules stay
 * registered for the other kernels. */
int action_kernel_prerm(struct dkms *d)
{
	struct cli *c = d->cli;
	int ret = 0;
	for (size_t i = 0; c->kernelver[i] && !spawn_interrupted(); i++) {
		const struct kernel_target *t = dkms_target(d, c->kernelver[i], c->arch[i]);
		_cleanup_strv_ char **mods = tree_modules(&d->s, NULL);
		for (size_t j = 0; mods[j]; j++) {
			_cleanup_strv_ char **vers = tree_versions(&d->s, mods[j], NULL);
			for (size_t l = 0; vers[l]; l++) {
				const char *m = mods[j], *v = vers[l];
				if (!tree_is_added(&d->s, m, v) || !module_is_built(d, m, v, t))
					continue;
				info("Removing %s/%s from kernel %s (%s).", m, v, t->release, t->arch);
				int r = module_is_installed(d, m, v, t) ? do_uninstall(d, m, v, t) : 0;
				if (!r)
					r = do_unbuild(d, m, v, t);
				if (r && !ret)
					ret = r;
			}
		}
	}
	return ret;
}
