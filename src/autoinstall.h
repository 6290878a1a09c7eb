/* autoinstall's scheduling, pure so that it can be tested alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One module to install on one kernel of the run: its newest AUTOINSTALL
 * version. */
struct ai_job {
	char *m, *v;
	char **deps;  /* BUILD_DEPENDS: modules that must be installed first */
	size_t kt;    /* which kernel of the run */
	int result;   /* -1 pending, else the exit code of install */
	bool started, done;
	pid_t pid;    /* while it runs */
	char *out;    /* where a parallel job's output waits to be shown */
	bool shown;   /* its output was shown */
	bool made_build;  /* its build/ was made for it */
	size_t end_seq;   /* the order in which jobs ended */
	size_t ordinal;   /* the order in which jobs started, from 1 */
	double t0, secs;  /* when it started (monotonic), how long it ran */
	char state[16];   /* what it does now, for the live lines */
};

/* Whether job i's BUILD_DEPENDS are all among installed[jobs[i].kt] (the
 * module names installed on its kernel). */
bool ai_deps_met(const struct ai_job *jobs, size_t i, char **const *installed);

/* The first job not started whose BUILD_DEPENDS are all installed on its
 * kernel, or n when none may start.  A job whose dependency never gets
 * installed (missing, failed, or a cycle) never becomes ready.  With
 * one_per_version, a job waits while the same module version builds for
 * another kernel (they would share one build directory). */
size_t ai_next_ready(const struct ai_job *jobs, size_t n, char **const *installed, bool one_per_version);
