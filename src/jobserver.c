#include "jobserver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/util.h"

static const char TOKEN = '+';

static void put_tokens(struct jobserver *js, int n)
{
	for (int i = 0; i < n; i++) {
		ssize_t w;
		do
			w = write(js->wr, &TOKEN, 1);
		while (w < 0 && errno == EINTR);
	}
}

int jobserver_open(struct jobserver *js, int n)
{
	int p[2];
	*js = (struct jobserver){.rd = -1, .wr = -1, .poll_fd = -1, .tokens = n};
	if (n < 1 || n > JOBSERVER_MAX_TOKENS)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	js->rd = p[0];
	js->wr = p[1];
	/* A second open file description of the read end: O_NONBLOCK is a
	 * property of the description, and the makes' must stay blocking. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", js->rd);
	js->poll_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (js->poll_fd < 0) {
		int e = errno;
		jobserver_close(js);
		return -e;
	}
	put_tokens(js, n);
	return 0;
}

void jobserver_close(struct jobserver *js)
{
	int *fds[] = {&js->rd, &js->wr, &js->poll_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

bool jobserver_take(struct jobserver *js)
{
	char c;
	ssize_t r;
	do
		r = read(js->poll_fd, &c, 1);
	while (r < 0 && errno == EINTR);
	return r == 1;
}

void jobserver_give(struct jobserver *js)
{
	put_tokens(js, 1);
}

void jobserver_refill(struct jobserver *js)
{
	char buf[256];
	while (read(js->poll_fd, buf, sizeof(buf)) > 0)
		;
	put_tokens(js, js->tokens);
}

char *jobserver_makeflags(const struct jobserver *js)
{
	return xasprintf(" -j%d --jobserver-auth=%d,%d", js->tokens, js->rd, js->wr);
}

int jobserver_child(struct jobserver *js)
{
	if (js->poll_fd >= 0)
		close(js->poll_fd);
	js->poll_fd = -1;
	int fds[] = {js->rd, js->wr};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		int fl = fcntl(fds[i], F_GETFD);
		if (fl < 0 || fcntl(fds[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return -errno;
	}
	_cleanup_free_ char *flags = jobserver_makeflags(js);
	return setenv("MAKEFLAGS", flags, 1) < 0 ? -errno : 0;
}
