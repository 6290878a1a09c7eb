#include "util/staged.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* mkdtemp of a template made here: the new directory, or NULL with
 * errno set. */
static char *make_dir(char *tmpl)
{
	if (mkdtemp(tmpl))
		return tmpl;
	int e = errno;
	free(tmpl);
	errno = e;
	return NULL;
}

char *staged_private_dir(const char *where)
{
	return make_dir(xasprintf("%s/" STAGED_PREFIX "XXXXXX", where));
}

/* The private directory in where (NULL: next to dest), and the entry's
 * path in it. */
static int staged_begin(struct staged *st, const char *dest, const char *where)
{
	*st = (struct staged){.fd = -1};
	_cleanup_free_ char *parent = where ? xstrdup(where) : parent_of(dest);
	char *dir = staged_private_dir(parent);
	if (!dir)
		return -errno;
	st->dir = dir;
	st->path = path_join(dir, base_of(dest));
	st->dest = xstrdup(dest);
	return 0;
}

static void staged_free(struct staged *st)
{
	free(st->dir);
	free(st->path);
	free(st->dest);
	*st = (struct staged){.fd = -1};
}

int staged_open_file(struct staged *st, const char *dest, mode_t mode)
{
	int r = staged_begin(st, dest, NULL);
	if (r < 0)
		return r;
	st->fd = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->fd < 0 || fchmod(st->fd, mode) < 0) {
		r = -errno;
		staged_rollback(st);
		return r;
	}
	return 0;
}

int staged_open_dir(struct staged *st, const char *dest, const char *where)
{
	int r = staged_begin(st, dest, where);
	if (r < 0)
		return r;
	if (mkdir(st->path, 0755) < 0) {
		r = -errno;
		staged_rollback(st);
		return r;
	}
	st->is_dir = true;
	return 0;
}

int staged_open_symlink(struct staged *st, const char *dest, const char *target)
{
	int r = staged_begin(st, dest, NULL);
	if (r < 0)
		return r;
	if (symlink(target, st->path) < 0) {
		r = -errno;
		staged_rollback(st);
		return r;
	}
	return 0;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_path(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* Moves the entry to dest. */
static int staged_place(struct staged *st, unsigned flags)
{
	if (flags & STAGED_NOREPLACE) {
		if (renameat2(AT_FDCWD, st->path, AT_FDCWD, st->dest, RENAME_NOREPLACE) == 0)
			return 0;
		/* file systems without RENAME_NOREPLACE: link() refuses too */
		if (errno != EINVAL || st->is_dir)
			return -errno;
		if (link(st->path, st->dest) < 0)
			return -errno;
		unlink(st->path);
		return 0;
	}
	if (st->is_dir && is_dir(st->dest) && !is_symlink(st->dest)) {
		/* swap, then the old directory lies in the private one */
		if (renameat2(AT_FDCWD, st->path, AT_FDCWD, st->dest, RENAME_EXCHANGE) < 0)
			return -errno;
		return 0;
	}
	return rename(st->path, st->dest) < 0 ? -errno : 0;
}

int staged_commit(struct staged *st, unsigned flags)
{
	int r = 0;
	if (st->fd >= 0) {
		if (fsync(st->fd) < 0)
			r = -errno;
		if (close(st->fd) < 0 && r == 0)
			r = -errno;
		st->fd = -1;
	}
	if (r == 0)
		r = staged_place(st, flags);
	if (r < 0) {
		staged_rollback(st);
		return r;
	}
	_cleanup_free_ char *parent = parent_of(st->dest);
	fsync_path(parent);
	rm_rf(st->dir);
	staged_free(st);
	return 0;
}

void staged_rollback(struct staged *st)
{
	if (st->fd >= 0)
		close(st->fd);
	if (st->dir)
		rm_rf(st->dir);
	staged_free(st);
}

void staged_sweep(const char *dir)
{
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		if (!startswith(names[i], STAGED_PREFIX))
			continue;
		_cleanup_free_ char *p = path_join(dir, names[i]);
		rm_rf(p);
	}
}

char *staged_tmp_dir(const char *tmp, const char *what)
{
	return make_dir(xasprintf("%s/dkms-%s.%d.XXXXXX", tmp, what, (int)getpid()));
}

/* The pid in "dkms-<what>.<pid>.XXXXXX", or 0. */
static pid_t tmp_dir_pid(const char *name)
{
	if (!startswith(name, "dkms-"))
		return 0;
	const char *dot = strchr(name, '.');
	if (!dot)
		return 0;
	char *end;
	long pid = strtol(dot + 1, &end, 10);
	if (end == dot + 1 || *end != '.' || pid <= 0 || strlen(end + 1) != 6)
		return 0;
	return (pid_t)pid;
}

void staged_sweep_tmp(const char *tmp)
{
	_cleanup_strv_ char **names = dir_list(tmp);
	for (size_t i = 0; names && names[i]; i++) {
		pid_t pid = tmp_dir_pid(names[i]);
		if (pid <= 0 || (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		_cleanup_free_ char *p = path_join(tmp, names[i]);
		struct stat st;
		/* only directories of our own user */
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
			rm_rf(p);
	}
}
