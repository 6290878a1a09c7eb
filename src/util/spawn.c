#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_TRACKED 64
static volatile sig_atomic_t caught;
static volatile pid_t tracked[MAX_TRACKED];

static void on_signal(int sig)
{
	if (!caught)
		caught = sig;
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] > 0)
			kill(tracked[i], sig);
}

void spawn_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int spawn_interrupted(void)
{
	return caught;
}

void spawn_track(pid_t pid)
{
	for (size_t i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i] == 0) {
			tracked[i] = pid;
			break;
		}
	}
	/* a signal that came before the pid was known */
	if (caught)
		kill(pid, caught);
}

void spawn_untrack(pid_t pid)
{
	for (size_t i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

void spawn_reset_tracking(void)
{
	for (size_t i = 0; i < MAX_TRACKED; i++)
		tracked[i] = 0;
}

int spawn_run(char *const argv[], const struct spawn_opts *o)
{
	static const struct spawn_opts defaults = {.out_fd = -1, .err_fd = -1};
	if (!o)
		o = &defaults;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int pipefd[2] = {-1, -1};
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* The child starts with default signal dispositions and mask. */
	sigset_t all, none;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

	if (o->in_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, o->in_fd, 0);
	else if (o->null_stdin)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (o->capture_child_fd && o->capture) {
		if (pipe2(pipefd, O_CLOEXEC) < 0) {
			r = -errno;
			goto out;
		}
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], o->capture_child_fd);
	}
	if (o->out_fd >= 0 && o->capture_child_fd != 1)
		posix_spawn_file_actions_adddup2(&fa, o->out_fd, 1);
	if (o->err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, o->err_fd, 2);
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

	pid_t pid;
	r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, o->env ? o->env : environ);
	if (r != 0) {
		r = -r;
		goto out;
	}
	spawn_track(pid);
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
		pipefd[1] = -1;
		char buf[65536];
		for (;;) {
			ssize_t n = read(pipefd[0], buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			strbuf_appendn(o->capture, buf, (size_t)n);
		}
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = -errno;
			spawn_untrack(pid);
			goto out;
		}
	}
	spawn_untrack(pid);
	if (WIFEXITED(status))
		r = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r = 128 + WTERMSIG(status);
	else
		r = 255;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return r;
}

char **env_copy(void)
{
	char **v = xcalloc(1, sizeof(char *));
	for (char **e = environ; e && *e; e++)
		strv_pushdup(&v, *e);
	return v;
}

static ssize_t env_find(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return (ssize_t)i;
	return -1;
}

void env_set(char ***env, const char *name, const char *value)
{
	ssize_t i = env_find(*env, name);
	if (i >= 0) {
		free((*env)[i]);
		if (value) {
			(*env)[i] = xasprintf("%s=%s", name, value);
		} else {
			size_t len = strv_len(*env);
			memmove(&(*env)[i], &(*env)[i + 1], (len - (size_t)i) * sizeof(char *));
		}
		return;
	}
	if (value)
		strv_push(env, xasprintf("%s=%s", name, value));
}

const char *env_get(char *const *env, const char *name)
{
	ssize_t i = env_find(env, name);
	return i >= 0 ? env[i] + strlen(name) + 1 : NULL;
}
