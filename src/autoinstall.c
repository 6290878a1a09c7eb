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
#include "build.h"
#include "install.h"
#include "kernel.h"
#include "log.h"
#include "sign.h"
#include "tree.h"
#include "util/staged.h"


struct job {
	char *m, *v;
	char **deps;
	int result;   /* -1 pending, else the exit code of install */
	bool done;    /* started (and maybe finished) */
	pid_t pid;
	char *out;    /* where a parallel job's output waits to be shown */
};

static bool job_ready(const struct job *j, char **installed)
{
	for (size_t l = 0; j->deps[l]; l++)
		if (!strv_contains(installed, j->deps[l]))
			return false;
	return true;
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

/* Runs the install jobs, several at once: each module's build uses its
 * own build directory, so different modules for one kernel never share
 * files.  A job starts once its BUILD_DEPENDS are installed; the CPUs are
 * shared out between the running builds' make -j.  depmod is left to the
 * caller, once for the kernel. */
static void run_jobs(struct dkms *d, struct job *jobs, size_t nj, char ***installed, const struct kernel_target *t)
{
	const char *k = t->release, *a = t->arch;
	long cpus = str_empty(d->opt.jobs) ? sysconf(_SC_NPROCESSORS_ONLN) : strtol(d->opt.jobs, NULL, 10);
	if (cpus < 1)
		cpus = 1;
	size_t max_par = (size_t)cpus < nj ? (size_t)cpus : nj;
	if (max_par < 1)
		max_par = 1;
	size_t running = 0;
	_cleanup_free_ char *saved_jobs = xstrdup(d->opt.jobs);
	for (;;) {
		for (size_t i = 0; i < nj && running < max_par; i++) {
			struct job *j = &jobs[i];
			if (j->done || !job_ready(j, *installed))
				continue;
			j->done = true;
			if (max_par > 1)
				j->out = xasprintf("%s/dkms-autoinstall.%d.%zu", d->s.tmp_location, (int)getpid(), i);
			fflush(stdout);
			fflush(stderr);
			pid_t pid = fork();
			if (pid == 0) {
				if (j->out) {
					int fd = open(j->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
					if (fd >= 0) {
						dup2(fd, 1);
						dup2(fd, 2);
					}
				}
				free(d->opt.jobs);
				d->opt.jobs = xasprintf("%ld", cpus / (long)max_par > 0 ? cpus / (long)max_par : 1);
				dkms_forget_conf(d);
				int r = do_install(d, j->m, j->v, t);
				fflush(stdout);
				fflush(stderr);
				_exit(r);
			}
			if (pid < 0) {
				j->result = 1;
				error("Could not start the install of %s/%s: %s", j->m, j->v, strerror(errno));
				continue;
			}
			j->pid = pid;
			running++;
		}
		if (running == 0)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < nj; i++) {
			struct job *j = &jobs[i];
			if (j->pid != pid)
				continue;
			j->pid = 0;
			running--;
			j->result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			if (j->out) {
				info("---- %s/%s on kernel %s (%s) ----", j->m, j->v, k, a);
				show_output(j->out);
				free(j->out);
				j->out = NULL;
			}
			if (j->result == 0)
				strv_pushdup(installed, j->m);
		}
	}
	free(d->opt.jobs);
	d->opt.jobs = TAKE_PTR(saved_jobs);
}

static int autoinstall_kernel(struct dkms *d, const struct kernel_target *t)
{
	const char *k = t->release, *a = t->arch;
	struct job *jobs = NULL;
	size_t nj = 0;
	_cleanup_strv_ char **installed = xcalloc(1, sizeof(char *));

	_cleanup_strv_ char **mods = tree_modules(&d->s, NULL);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], NULL);
		char *best = NULL;
		char **best_deps = NULL;
		bool is_installed = false;
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
			if (!tree_is_added(&d->s, m, v))
				continue;
			if (tree_link_is_installed(&d->s, m, v, k, a)) {
				is_installed = true;
				continue;
			}
			const struct module_conf *mc;
			if (dkms_read_conf(d, m, v, t, NULL, &mc) != 0)
				continue;
			if (!mc->autoinstall)
				continue;
			if (!best || ver_cmp(v, best) > 0) {
				free(best);
				strv_free(best_deps);
				best = xstrdup(v);
				best_deps = xcalloc(1, sizeof(char *));
				for (size_t l = 0; mc->build_depends[l]; l++)
					strv_pushdup(&best_deps, mc->build_depends[l]);
			}
		}
		if (is_installed)
			strv_pushdup(&installed, mods[i]);
		if (best) {
			jobs = xrealloc(jobs, (nj + 1) * sizeof(*jobs));
			jobs[nj++] = (struct job){.m = xstrdup(mods[i]), .v = best, .deps = best_deps, .result = -1};
		} else {
			strv_free(best_deps);
		}
	}
	if (nj == 0) {
		free(jobs);
		return 0;
	}

	/* The signing key is made here, once, not by parallel builds racing
	 * to create it. */
	struct sign_plan sp = {0};
	if (nj > 1) {
		sign_prepare(&d->s, t, &sp);
		sign_plan_free(&sp);
	}
	/* each job records its changes for the commit point (commit.h) */
	run_jobs(d, jobs, nj, &installed, t);

	int failed = 0;
	info_blank();
	info("Autoinstall on kernel %s (%s):", k, a);
	for (size_t i = 0; i < nj; i++) {
		struct job *j = &jobs[i];
		if (!j->done) {
			struct strbuf sb = {0};
			for (size_t l = 0; j->deps[l]; l++)
				strbuf_appendf(&sb, "%s%s", l ? " " : "", j->deps[l]);
			_cleanup_free_ char *deps = strbuf_steal(&sb);
			info("  %s/%s: failed, missing dependencies: %s", j->m, j->v, deps);
			failed++;
		} else if (j->result == 0) {
			info("  %s/%s: installed", j->m, j->v);
		} else if (j->result == 77) {
			info("  %s/%s: skipped (BUILD_EXCLUSIVE does not match this kernel)", j->m, j->v);
		} else {
			_cleanup_free_ char *log = xasprintf("%s/%s/%s/build/make.log", d->s.dkms_tree, j->m, j->v);
			_cleanup_free_ char *first = path_exists(log) ? first_error_line(log) : NULL;
			info("  %s/%s: failed (exit %d)%s%s%s%s", j->m, j->v, j->result, first ? ": " : "",
			     first ? first : "", path_exists(log) ? ", log: " : "", path_exists(log) ? log : "");
			failed++;
		}
	}
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
	for (size_t i = 0; c->kernelver[i]; i++) {
		int r = autoinstall_kernel(d, dkms_target(d, c->kernelver[i], c->arch[i]));
		if (r && !ret)
			ret = r;
	}
	return ret;
}
