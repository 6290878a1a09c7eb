/* Running programs: posix_spawn with an argv array and an explicit
 * environment, never a shell string built from untrusted text. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include "util/util.h"

struct spawn_opts {
	const char *cwd;      /* NULL: inherit */
	char *const *env;     /* NULL: inherit environ */
	int out_fd;           /* child's stdout: -1 inherit, else this fd */
	int err_fd;           /* child's stderr: -1 inherit, else this fd */
	bool null_stdin;      /* stdin from /dev/null */
	int in_fd;            /* > 0: the child's stdin */
	int capture_child_fd; /* 0: none; 1 or 3: that fd of the child is a pipe read into *capture */
	struct strbuf *capture;
};

/* Runs argv[0] (looked up in PATH) and waits.  Returns the exit status
 * (0-255), 128+N when killed by signal N, or a negative errno when the
 * program could not be started. */
int spawn_run(char *const argv[], const struct spawn_opts *o);

/* SIGINT, SIGTERM and SIGHUP: remembered, and passed on to the programs
 * being run (spawn_run's child, and pids given to spawn_track), which then
 * end; the caller sees them fail, cleans up as after any failure, and
 * checks spawn_interrupted() to stop early.  Returns the signal, or 0. */
void spawn_catch_signals(void);
int spawn_interrupted(void);
/* Processes the signal is passed on to, besides spawn_run's own child. */
void spawn_track(pid_t pid);
void spawn_untrack(pid_t pid);
/* In a forked child: forget the parent's tracked processes. */
void spawn_reset_tracking(void);

/* An environment: a copy of environ with some variables set or removed. */
char **env_copy(void);
void env_set(char ***env, const char *name, const char *value); /* value NULL removes */
const char *env_get(char *const *env, const char *name);
