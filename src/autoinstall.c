/* autoinstall: build and install, for each kernel given, the newest
 * version of every module whose dkms.conf says AUTOINSTALL, in
 * BUILD_DEPENDS order.  The builds of all the kernels run side by side
 * under one make jobserver (jobserver.h); one failure never stops the
 * others; a summary per kernel says what happened to each module. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actions.h"
#include "aiprogress.h"
#include "autoinstall.h"
#include "build.h"
#include "depends.h"
#include "buildns.h"
#include "failure.h"
#include "compiler.h"
#include "install.h"
#include "jobserver.h"
#include "kernel.h"
#include "log.h"
#include "sandbox.h"
#include "sign.h"
#include "tree.h"
#include "unbuild.h"
#include "uninstall.h"
#include "util/spawn.h"
#include "util/staged.h"

bool ai_deps_met(const struct ai_job *jobs, size_t i, char **const *installed)
{
	for (size_t l = 0; jobs[i].deps[l]; l++)
		if (!strv_contains(installed[jobs[i].kt], jobs[i].deps[l]))
			return false;
	return true;
}

/* Another job of the same module version is running. */
static bool version_busy(const struct ai_job *jobs, size_t n, size_t i)
{
	for (size_t l = 0; l < n; l++)
		if (l != i && jobs[l].started && !jobs[l].done && streq(jobs[l].m, jobs[i].m) &&
		    streq(jobs[l].v, jobs[i].v))
			return true;
	return false;
}

size_t ai_next_ready(const struct ai_job *jobs, size_t n, char **const *installed, bool one_per_version)
{
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].started || !ai_deps_met(jobs, i, installed))
			continue;
		if (one_per_version && version_busy(jobs, n, i))
			continue;
		return i;
	}
	return n;
}

/* One autoinstall run: the jobs of every kernel given. */
struct ai_run {
	struct dkms *d;
	const struct kernel_target **kts;
	char **kernels;        /* their releases, for the live lines */
	size_t nk;
	struct ai_job *jobs;
	size_t nj;
	char ***installed;     /* per kernel: the modules installed on it */
	char ***no_conf;       /* per kernel: "m/v" whose dkms.conf is gone */
	size_t shown;          /* kernels whose outputs and summary are shown */
	size_t n_started, n_ended;
	char *out_dir;         /* jobs' output, when they run side by side */
	struct jobserver js;
	bool use_js;           /* else each make gets -j<jobs_each> */
	bool private_build;    /* each build has its own build/ (buildns.h) */
	bool live;             /* live lines on a terminal (aiprogress.h) */
	size_t max_par, running;
	long jobs_each;
	int state_rd, state_wr; /* the jobs' states, for the live lines */
	int ret;
};

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

static char *build_dir_of(const struct ai_run *r, const struct ai_job *j)
{
	return xasprintf("%s/%s/%s/build", r->d->s.dkms_tree, j->m, j->v);
}

/* In the forked child: the make flags, the state channel, the private
 * build directory, then the install; never returns. */
_Noreturn static void job_child(struct ai_run *r, struct ai_job *j, size_t i)
{
	struct dkms *d = r->d;
	spawn_reset_tracking();
	if (j->out) {
		int fd = open(j->out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	if (r->state_rd >= 0)
		close(r->state_rd);
	log_job_state_to(r->state_wr, i);
	free(d->opt.jobs);
	if (r->use_js && jobserver_child(&r->js) == 0) {
		d->opt.jobs = xasprintf("%d", r->js.tokens);
		d->opt.jobserver = true;
	} else {
		d->opt.jobs = xasprintf("%ld", r->jobs_each);
	}
	_cleanup_free_ char *build_dir = build_dir_of(r, j);
	char *scratch = NULL;
	int e = r->private_build ? buildns_enter(d->s.tmp_location, build_dir, &scratch) : 0;
	if (e < 0) {
		error("Could not give the build of %s/%s for kernel %s its own %s: %s", j->m, j->v,
		      r->kernels[j->kt], build_dir, strerror(-e));
		_exit(EX_FAILED);
	}
	dkms_forget_conf(d);
	int rc = do_install(d, j->m, j->v, r->kts[j->kt]);
	buildns_leave(build_dir, scratch);
	fflush(stdout);
	fflush(stderr);
	_exit(rc);
}

/* Starts job i in a child process; its output goes to a file of the
 * run's private directory when jobs run side by side. */
static void start_job(struct ai_run *r, size_t i)
{
	struct ai_job *j = &r->jobs[i];
	j->started = true;
	j->ordinal = ++r->n_started;
	j->t0 = aiprogress_now();
	snprintf(j->state, sizeof(j->state), "building");
	if (r->out_dir)
		j->out = xasprintf("%s/%zu", r->out_dir, i);
	if (r->private_build) {
		_cleanup_free_ char *bd = build_dir_of(r, j);
		j->made_build = !is_dir(bd) && mkdir_p(bd, 0755) == 0;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0)
		job_child(r, j, i);
	if (pid < 0) {
		j->result = EX_FAILED;
		j->done = true;
		j->end_seq = ++r->n_ended;
		error("Could not start the install of %s/%s on kernel %s: %s", j->m, j->v, r->kernels[j->kt],
		      strerror(errno));
		return;
	}
	j->pid = pid;
	r->running++;
	spawn_track(pid);
	if (r->live)
		aiprogress_draw(r->jobs, r->nj, r->kernels, aiprogress_now(), true);
}

/* What a job's exit code says, for the live lines. */
static void set_outcome(struct ai_job *j)
{
	if (j->result == 0)
		snprintf(j->state, sizeof(j->state), "installed");
	else if (j->result == EX_EXCLUDED)
		snprintf(j->state, sizeof(j->state), "skipped");
	else
		snprintf(j->state, sizeof(j->state), "failed");
}

/* A child ended: its result; its token back; its build/ gone when it is
 * empty and no other build of the version uses it. */
static void job_ended(struct ai_run *r, struct ai_job *j, int status)
{
	spawn_untrack(j->pid);
	j->pid = 0;
	j->done = true;
	j->end_seq = ++r->n_ended;
	j->secs = aiprogress_now() - j->t0;
	r->running--;
	if (r->use_js)
		jobserver_give(&r->js);
	j->result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	set_outcome(j);
	if (j->result == 0)
		strv_pushdup(&r->installed[j->kt], j->m);
	/* as after a build in it: gone if the build succeeded */
	if (r->private_build && (j->made_build || j->result == 0) && !version_busy(r->jobs, r->nj, (size_t)(j - r->jobs))) {
		_cleanup_free_ char *bd = build_dir_of(r, j);
		rmdir(bd);
	}
	if (r->live)
		aiprogress_ended(j, r->nj, r->kernels[j->kt]);
}

/* The output of kernel k's jobs that ended, in the order they ended;
 * true if there was any. */
static bool show_outputs(struct ai_run *r, size_t k)
{
	bool any = false;
	for (;;) {
		struct ai_job *next = NULL;
		for (size_t i = 0; i < r->nj; i++) {
			struct ai_job *j = &r->jobs[i];
			if (j->kt == k && j->done && !j->shown && (!next || j->end_seq < next->end_seq))
				next = j;
		}
		if (!next)
			return any;
		next->shown = true;
		if (next->out) {
			if (r->live && !any)
				aiprogress_clear();
			any = true;
			info("---- %s/%s on kernel %s (%s) ----", next->m, next->v, r->kts[k]->release, r->kts[k]->arch);
			show_output(next->out);
			free(next->out);
			next->out = NULL;
		}
	}
}

/* Nothing more will happen on kernel k: no job of it runs or may start. */
static bool kernel_done(const struct ai_run *r, size_t k)
{
	for (size_t i = 0; i < r->nj; i++) {
		const struct ai_job *j = &r->jobs[i];
		if (j->kt != k)
			continue;
		if (j->started && !j->done)
			return false;
		if (!j->started && !spawn_interrupted() && ai_deps_met(r->jobs, i, r->installed))
			return false;
	}
	return true;
}

/* The log of job j's failed build and its first error: build/make.log,
 * or, when builds of one version for several kernels ran side by side
 * (build/ holds the last failure's), the copy kept for this kernel
 * (failure.h). */
static void failed_log(const struct ai_run *r, const struct ai_job *j, char **log, char **first)
{
	const struct kernel_target *t = r->kts[j->kt];
	struct build_failure f = {0};
	if (r->private_build && failure_load(&r->d->s, j->m, j->v, t->release, t->arch, &f) == 0 && f.log &&
	    path_exists(f.log)) {
		*log = TAKE_PTR(f.log);
		*first = TAKE_PTR(f.first_error);
		failure_free(&f);
		return;
	}
	failure_free(&f);
	*log = xasprintf("%s/%s/%s/build/make.log", r->d->s.dkms_tree, j->m, j->v);
	if (!path_exists(*log)) {
		free(*log);
		*log = NULL;
	}
	*first = *log ? first_error_line(*log) : NULL;
}

/* One line per job, and per version whose source is gone; returns how
 * many failed. */
struct ai_graph {
	const struct ai_run *r;
	size_t k;
};

/* The BUILD_DEPENDS of a module waiting among kernel k's jobs: only those
 * can block each other. */
static char **waiting_deps_of(void *ctx, const char *m)
{
	const struct ai_graph *g = ctx;
	char **out = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < g->r->nj; i++) {
		const struct ai_job *j = &g->r->jobs[i];
		if (j->kt != g->k || j->started || !streq(j->m, m))
			continue;
		for (size_t l = 0; j->deps[l]; l++)
			strv_pushdup(&out, j->deps[l]);
	}
	return out;
}

/* The summary's line for a job that never started: its dependencies
 * missing, or the cycle they form. */
static void print_not_started(const struct ai_run *r, size_t k, const struct ai_job *j)
{
	struct ai_graph g = {r, k};
	_cleanup_free_ char *cycle = depends_find_cycle(j->m, waiting_deps_of, &g);
	_cleanup_free_ char *deps = strv_join(j->deps, " ");
	if (cycle)
		info("  %s/%s: failed, circular BUILD_DEPENDS: %s", j->m, j->v, cycle);
	else
		info("  %s/%s: failed, missing dependencies: %s", j->m, j->v, deps);
}

static int print_summary(struct ai_run *r, size_t k)
{
	const struct kernel_target *t = r->kts[k];
	int failed = 0;
	/* the reference's line for each, which scripts may look for */
	for (size_t i = 0; i < r->nj; i++) {
		if (r->jobs[i].kt != k || r->jobs[i].started)
			continue;
		_cleanup_free_ char *deps = strv_join(r->jobs[i].deps, " ");
		info("%s/%s autoinstall failed due to missing dependencies: %s", r->jobs[i].m, r->jobs[i].v, deps);
	}
	info_blank();
	info("Autoinstall on kernel %s (%s):", t->release, t->arch);
	for (size_t i = 0; r->no_conf[k][i]; i++)
		info("  %s: skipped (its source is gone: no %s/%s/source/dkms.conf)", r->no_conf[k][i], r->d->s.dkms_tree,
		     r->no_conf[k][i]);
	for (size_t i = 0; i < r->nj; i++) {
		const struct ai_job *j = &r->jobs[i];
		if (j->kt != k)
			continue;
		if (!j->started) {
			print_not_started(r, k, j);
			failed++;
		} else if (j->result == 0) {
			info("  %s/%s: installed", j->m, j->v);
		} else if (j->result == EX_EXCLUDED) {
			info("  %s/%s: skipped (BUILD_EXCLUSIVE does not match this kernel)", j->m, j->v);
		} else {
			_cleanup_free_ char *log = NULL, *first = NULL;
			failed_log(r, j, &log, &first);
			bool has_log = log != NULL;
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

static bool kernel_has_work(const struct ai_run *r, size_t k)
{
	if (r->no_conf[k][0])
		return true;
	for (size_t i = 0; i < r->nj; i++)
		if (r->jobs[i].kt == k)
			return true;
	return false;
}

/* Shows what can be shown, kernel after kernel as the reference's run,
 * which did one kernel after the other, prints it: each kernel's jobs'
 * output, then its summary once it is done.  all: the run is over. */
static void show_progress(struct ai_run *r, bool all)
{
	bool printed = false;
	while (r->shown < r->nk) {
		size_t k = r->shown;
		printed |= show_outputs(r, k);
		if (!all && !kernel_done(r, k))
			break;
		bool work = kernel_has_work(r, k);
		if (work && r->live)
			aiprogress_clear();
		printed |= work;
		if (work && print_summary(r, k) > 0) {
			error("One or more modules failed to install during autoinstall.\nRefer to previous errors for more information.");
			if (!r->ret)
				r->ret = EX_AUTOINSTALL;
		}
		r->shown++;
	}
	if (r->live && printed && !all)
		aiprogress_draw(r->jobs, r->nj, r->kernels, aiprogress_now(), true);
}

/* The jobs' "<id> <state>" lines (log_job_state), for the live lines. */
static bool read_states(struct ai_run *r)
{
	char buf[4096];
	ssize_t n;
	bool changed = false;
	while ((n = read(r->state_rd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *end;
			unsigned long id = strtoul(line, &end, 10);
			if (*end == ' ' && id < r->nj && !r->jobs[id].done) {
				snprintf(r->jobs[id].state, sizeof(r->jobs[id].state), "%s", end + 1);
				changed = true;
			}
		}
	}
	return changed;
}

/* Reaps the jobs that ended; true if any did. */
static bool reap(struct ai_run *r)
{
	int status;
	pid_t pid;
	bool any = false;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < r->nj; i++) {
			if (r->jobs[i].pid == pid) {
				job_ended(r, &r->jobs[i], status);
				any = true;
			}
		}
	}
	return any;
}

/* Waits a moment for a job to end, a state to change, or (want_token) a
 * token to come back to the jobserver. */
static void wait_some(struct ai_run *r, bool want_token)
{
	struct pollfd p[2];
	nfds_t n = 0;
	if (want_token && r->use_js)
		p[n++] = (struct pollfd){.fd = r->js.poll_fd, .events = POLLIN};
	if (r->state_rd >= 0)
		p[n++] = (struct pollfd){.fd = r->state_rd, .events = POLLIN};
	poll(p, n, 50);
	bool changed = r->state_rd >= 0 && read_states(r);
	changed |= reap(r);
	if (r->live)
		aiprogress_draw(r->jobs, r->nj, r->kernels, aiprogress_now(), changed);
}

/* Starts every job that may start now: ready, and a token (or a free
 * slot) for it.  Returns true when a ready job waits for a token. */
static bool start_ready(struct ai_run *r)
{
	size_t i;
	while (!spawn_interrupted() && r->running < r->max_par &&
	       (i = ai_next_ready(r->jobs, r->nj, r->installed, !r->private_build)) < r->nj) {
		if (r->use_js && !jobserver_take(&r->js))
			return true;
		start_job(r, i);
		if (r->use_js && !r->jobs[i].pid)
			jobserver_give(&r->js);
	}
	return false;
}

/* Runs the jobs, several at once: each starts once its BUILD_DEPENDS are
 * installed on its kernel and a jobserver token is free.  Each job
 * records its changes for the commit point (commit.h). */
static void run_jobs(struct ai_run *r)
{
	for (;;) {
		show_progress(r, false);
		bool want_token = start_ready(r);
		if (r->running == 0) {
			if (!want_token)
				break;
			/* nothing runs: every token is free again */
			jobserver_refill(&r->js);
			continue;
		}
		wait_some(r, want_token);
	}
	show_progress(r, true);
}

/* The newest AUTOINSTALL version of module m not installed on t, as a
 * job; false when there is none.  *is_installed: a version is.  Versions
 * whose dkms.conf is gone (their source was removed) are added to
 * *no_conf as "m/v": they do not stop the others. */
static bool pick_version(struct dkms *d, const char *m, const struct kernel_target *t, struct ai_job *job,
			 bool *is_installed, char ***no_conf)
{
	_cleanup_strv_ char **vers = tree_versions(&d->s, m, NULL);
	const char *installed_v = NULL;
	*job = (struct ai_job){.result = -1};
	*is_installed = false;
	for (size_t j = 0; vers[j]; j++) {
		const char *v = vers[j];
		const struct module_conf *mc;
		if (!tree_is_added(&d->s, m, v))
			continue;
		if (tree_link_is_installed(&d->s, m, v, t->release, t->arch)) {
			*is_installed = true;
			if (!installed_v || ver_cmp(v, installed_v) > 0)
				installed_v = v;
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
	/* An older version than the one installed would only be refused by
	 * install's version check: the installed one stays. */
	if (job->v && installed_v && ver_cmp(job->v, installed_v) < 0) {
		debug("Autoinstall on kernel %s: %s/%s is installed, %s is older: left alone.", t->release, m,
		      installed_v, job->v);
		free(job->v);
		strv_free(job->deps);
		*job = (struct ai_job){.result = -1};
	}
	if (!job->v)
		return false;
	job->m = xstrdup(m);
	debug("Autoinstall on kernel %s: %s/%s.", t->release, m, job->v);
	return true;
}

/* The jobs of kernel k of the run. */
static void pick_jobs(struct ai_run *r, size_t k)
{
	const struct kernel_target *t = r->kts[k];
	_cleanup_strv_ char **mods = tree_modules(&r->d->s, NULL);
	for (size_t i = 0; mods[i]; i++) {
		struct ai_job job;
		bool is_installed;
		bool any = pick_version(r->d, mods[i], t, &job, &is_installed, &r->no_conf[k]);
		if (is_installed)
			strv_pushdup(&r->installed[k], mods[i]);
		if (any) {
			job.kt = k;
			r->jobs = xrealloc(r->jobs, (r->nj + 1) * sizeof(*r->jobs));
			r->jobs[r->nj++] = job;
		}
	}
}

/* How the jobs run: how many at once, the jobserver with one token per
 * job slot (-j, parallel_jobs, else the CPUs), their output kept apart,
 * their build directories, the live lines. */
static void run_setup(struct ai_run *r)
{
	struct dkms *d = r->d;
	long cpus = str_empty(d->opt.jobs) ? sysconf(_SC_NPROCESSORS_ONLN) : strtol(d->opt.jobs, NULL, 10);
	if (cpus < 1)
		cpus = 1;
	r->max_par = (size_t)cpus < r->nj ? (size_t)cpus : r->nj;
	if (r->max_par < 1)
		r->max_par = 1;
	r->live = aiprogress_wanted();
	if (r->max_par > 1 || r->live) {
		r->out_dir = staged_tmp_dir(d->s.tmp_location, "autoinstall");
		if (!r->out_dir) {
			warn("Could not create a directory in %s (%s): building one module at a time.",
			     d->s.tmp_location, strerror(errno));
			r->max_par = 1;
			r->live = false;
		}
	}
	r->jobs_each = cpus / (long)r->max_par > 0 ? cpus / (long)r->max_par : 1;
	/* the tokens must fit in the pipe: writing them must not block */
	int tokens = cpus < JOBSERVER_MAX_TOKENS ? (int)cpus : JOBSERVER_MAX_TOKENS;
	int e = str_empty(d->opt.jobs) ? -EINVAL : jobserver_open(&r->js, tokens);
	r->use_js = e == 0;
	if (e < 0 && e != -EINVAL)
		warn("No make jobserver (%s): each build gets make -j%ld.", strerror(-e), r->jobs_each);
	r->private_build = r->nk > 1 && r->max_par > 1 && buildns_possible();
	if (r->private_build)
		debug("Builds of one module for several kernels run side by side, each in its own build directory.");
	int p[2];
	r->state_rd = r->state_wr = -1;
	if (r->live && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		r->state_rd = p[0];
		r->state_wr = p[1];
	}
	sandbox_decide_early(&d->s);
}

static void run_free(struct ai_run *r)
{
	if (r->out_dir)
		rm_rf(r->out_dir);
	free(r->out_dir);
	jobserver_close(&r->js);
	if (r->state_rd >= 0)
		close(r->state_rd);
	if (r->state_wr >= 0)
		close(r->state_wr);
	for (size_t i = 0; i < r->nj; i++) {
		free(r->jobs[i].m);
		free(r->jobs[i].v);
		free(r->jobs[i].out);
		strv_free(r->jobs[i].deps);
	}
	free(r->jobs);
	for (size_t k = 0; k < r->nk; k++) {
		strv_free(r->installed[k]);
		strv_free(r->no_conf[k]);
	}
	free(r->installed);
	free(r->no_conf);
	free(r->kts);
	strv_free(r->kernels);
}

/* The reference autoinstalls for one kernel; several -k are done in one
 * run, their builds side by side, each kernel's output and summary as if
 * they had been done in turn. */
int action_autoinstall(struct dkms *d)
{
	struct cli *c = d->cli;
	struct ai_run r = {.d = d, .state_rd = -1, .state_wr = -1, .js = {.rd = -1, .wr = -1, .poll_fd = -1}};
	r.nk = strv_len(c->kernelver);
	r.kts = xcalloc(r.nk + 1, sizeof(*r.kts));
	r.kernels = xcalloc(r.nk + 1, sizeof(char *));
	r.installed = xcalloc(r.nk + 1, sizeof(char **));
	r.no_conf = xcalloc(r.nk + 1, sizeof(char **));
	for (size_t k = 0; k < r.nk; k++) {
		r.kts[k] = dkms_target(d, c->kernelver[k], c->arch[k]);
		r.kernels[k] = xstrdup(r.kts[k]->release);
		r.installed[k] = xcalloc(1, sizeof(char *));
		r.no_conf[k] = xcalloc(1, sizeof(char *));
	}
	for (size_t k = 0; k < r.nk && !spawn_interrupted(); k++)
		pick_jobs(&r, k);
	/* The signing key is made here, once, not by parallel builds racing
	 * to create it. */
	for (size_t k = 0; k < r.nk && r.nj > 1; k++) {
		struct sign_plan sp = {0};
		sign_prepare(&d->s, r.kts[k], &sp);
		sign_plan_free(&sp);
	}
	if (r.nj) {
		run_setup(&r);
		run_jobs(&r);
	} else {
		show_progress(&r, true);
	}
	int ret = r.ret;
	run_free(&r);
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
