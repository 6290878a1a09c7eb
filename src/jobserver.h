/* A GNU make jobserver for one run: a pipe holding one byte per job slot,
 * named to every make by MAKEFLAGS (" -jN --jobserver-auth=R,W", the form
 * make 4.3 understands).  dkms takes a token before it starts a module
 * build: that token is the build's make's own implicit one; the make
 * takes more from the pipe for its other jobs and puts them back as they
 * end.  So N tokens are N things running, whatever mix of modules and
 * make jobs they are.  A make without jobserver support simply runs one
 * job at a time. */
#pragma once

#include <stdbool.h>

struct jobserver {
	int rd, wr;    /* the pipe, as the makes use it (blocking) */
	int poll_fd;   /* the read end opened again, non-blocking, for dkms */
	int tokens;    /* how many there are in all */
};

/* The most tokens a jobserver has: far below a pipe's capacity (64 KiB). */
#define JOBSERVER_MAX_TOKENS 4096

/* A jobserver of n tokens (1 <= n <= JOBSERVER_MAX_TOKENS), all in the pipe.  Its fds are
 * close-on-exec until jobserver_child().  Returns 0 or -errno; on failure
 * js is left closed (rd, wr, poll_fd -1). */
int jobserver_open(struct jobserver *js, int n);
void jobserver_close(struct jobserver *js);

/* Takes a token without waiting: true when one was taken. */
bool jobserver_take(struct jobserver *js);
/* Puts a token back (the one taken for a build that ended). */
void jobserver_give(struct jobserver *js);
/* When nothing uses the jobserver any more: the pipe holds all the tokens
 * again, whatever a make killed while holding some took with it. */
void jobserver_refill(struct jobserver *js);

/* In a forked child that will run make: the pipe is inherited by what it
 * runs (not close-on-exec), the non-blocking copy is closed, and MAKEFLAGS
 * names the jobserver.  Returns 0 or -errno. */
int jobserver_child(struct jobserver *js);

/* The MAKEFLAGS value that names js ("-jN --jobserver-auth=R,W"). */
char *jobserver_makeflags(const struct jobserver *js);
