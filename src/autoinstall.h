/* autoinstall's scheduling, pure so that it can be tested alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One module to install on the kernel: its newest AUTOINSTALL version. */
struct ai_job {
	char *m, *v;
	char **deps;  /* BUILD_DEPENDS: modules that must be installed first */
	int result;   /* -1 pending, else the exit code of install */
	bool started;
	pid_t pid;    /* while it runs */
	char *out;    /* where a parallel job's output waits to be shown */
};

/* The first job not started whose BUILD_DEPENDS are all among installed
 * (module names), or n when none may start.  A job whose dependency never
 * gets installed (missing, failed, or a cycle) never becomes ready. */
size_t ai_next_ready(const struct ai_job *jobs, size_t n, char *const *installed);
