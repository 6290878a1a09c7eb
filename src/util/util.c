#include "util/util.h"
#include "util/staged.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void oom(void)
{
	fputs("dkms: out of memory\n", stderr);
	abort();
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

/* Formatted on the stack first: most strings (paths) fit, and one
 * malloc of the right size is cheaper than vasprintf's growing buffer. */
char *xvasprintf(const char *fmt, va_list ap)
{
	char buf[512];
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		oom();
	char *p = malloc((size_t)n + 1);
	if (!p)
		oom();
	if ((size_t)n < sizeof(buf))
		memcpy(p, buf, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, again);
	va_end(again);
	return p;
}

char *str_concat(const char *s, ...)
{
	va_list ap;
	size_t len = 0;
	va_start(ap, s);
	for (const char *p = s; p; p = va_arg(ap, const char *))
		len += strlen(p);
	va_end(ap);
	char *out = malloc(len + 1), *at = out;
	if (!out)
		oom();
	va_start(ap, s);
	for (const char *p = s; p; p = va_arg(ap, const char *)) {
		size_t n = strlen(p);
		memcpy(at, p, n);
		at += n;
	}
	va_end(ap);
	*at = '\0';
	return out;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

void strbuf_appendn(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->buf = xrealloc(sb->buf, sb->cap);
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_append(struct strbuf *sb, const char *s)
{
	strbuf_appendn(sb, s, strlen(s));
}

void strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *p = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_append(sb, p);
}

char *strbuf_steal(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_push(char ***v, char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_pushdup(char ***v, const char *s)
{
	strv_push(v, xstrdup(s));
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

char *strv_join(char *const *v, const char *sep)
{
	struct strbuf sb = {0};
	strbuf_append(&sb, "");
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			strbuf_append(&sb, sep);
		strbuf_append(&sb, v[i]);
	}
	return strbuf_steal(&sb);
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*b)
		return xstrndup(a, la);
	if (la == 1 && a[0] == '/')
		return str_concat("/", b, NULL);
	size_t lb = strlen(b);
	char *out = malloc(la + 1 + lb + 1);
	if (!out)
		oom();
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return out;
}

bool name_is_safe(const char *name)
{
	if (str_empty(name) || streq(name, ".") || streq(name, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool name_is_plain(const char *name)
{
	if (!name_is_safe(name))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._+-~:@%,=", *p)))
			return false;
	return true;
}

int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a regular file is read into a buffer of its size (and one byte
	 * more, to see its end in the same read); it may still grow */
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	size_t cap = regular && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	size_t n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		oom();
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int r = -errno;
			close(fd);
			free(buf);
			return r;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		/* a regular file of a real file system reads short only at
		 * its end (proc and sys files say a size they need not have) */
		if (regular && st.st_size > 0 && n >= (size_t)st.st_size && n < cap)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = buf;
	return 0;
}

/* Up to n bytes from fd, fewer only at its end; -1 on error. */
static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static bool fds_same(int fa, int fb)
{
	struct stat sa, sb;
	if (fa < 0 || fb < 0 || fstat(fa, &sa) < 0 || fstat(fb, &sb) < 0 || !S_ISREG(sa.st_mode) ||
	    !S_ISREG(sb.st_mode) || sa.st_size != sb.st_size)
		return false;
	if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
		return true;
	static char x[65536], y[65536];
	for (off_t left = sa.st_size; left > 0;) {
		size_t want = left < (off_t)sizeof(x) ? (size_t)left : sizeof(x);
		ssize_t nx = read_full(fa, x, want), ny = read_full(fb, y, want);
		if (nx != (ssize_t)want || ny != (ssize_t)want || memcmp(x, y, want) != 0)
			return false;
		left -= (off_t)want;
	}
	return true;
}

bool files_same(const char *a, const char *b)
{
	/* (not blocking: a FIFO by a module's name is no module, and never
	 * the same) */
	int fa = a ? open(a, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	int fb = b ? open(b, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	bool same = fds_same(fa, fb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

bool stat_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

bool stat_settled(const struct stat *st, time_t now)
{
	return st->st_mtim.tv_sec + 2 < now && st->st_ctim.tv_sec + 2 < now;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	struct staged st;
	int r = staged_open_file(&st, path, mode);
	if (r < 0)
		return r;
	r = write_all(st.fd, data, len);
	if (r < 0) {
		staged_rollback(&st);
		return r;
	}
	return staged_commit(&st, 0);
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return is_dir(p) ? 0 : -ENOTDIR;
}

static int rm_rf_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(p) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(p) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	if (nftw(path, rm_rf_cb, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return -errno;
	return 0;
}

int copy_fd(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		int r = -errno;
		close(in);
		return r;
	}
	int r = copy_fd(in, out);
	close(in);
	if (r == 0 && fchmod(out, mode) < 0)
		r = -errno;
	if (close(out) < 0 && r == 0)
		r = -errno;
	return r;
}

static int copy_entry(const char *src, const char *dst)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return -errno;
	int r = 0;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, st.st_mode & 07777) < 0 && errno != EEXIST)
			return -errno;
		r = copy_tree(src, dst);
		if (r == 0)
			chmod(dst, st.st_mode & 07777);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		unlink(dst);
		if (symlink(target, dst) < 0)
			return -errno;
		return 0;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(src, dst, st.st_mode & 07777);
	} else {
		return 0; /* devices, fifos and sockets are not copied */
	}
	if (r == 0) {
		struct timespec ts[2] = {st.st_atim, st.st_mtim};
		utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW);
	}
	return r;
}

int copy_tree(const char *src, const char *dst)
{
	int r = mkdir_p(dst, 0755);
	if (r < 0)
		return r;
	_cleanup_strv_ char **names = dir_list(src);
	if (!names)
		return -errno;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *s = path_join(src, names[i]);
		_cleanup_free_ char *d = path_join(dst, names[i]);
		r = copy_entry(s, d);
		if (r < 0)
			return r;
	}
	return 0;
}

int symlink_atomic(const char *target, const char *linkpath)
{
	struct staged st;
	int r = staged_open_symlink(&st, linkpath, target);
	return r < 0 ? r : staged_commit(&st, 0);
}

char *program_in_path(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 && is_file(name) ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = xstrdup(str_empty(path) ? "/usr/sbin:/usr/bin:/sbin:/bin" : path);
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *p = path_join(dir, name);
		if (access(p, X_OK) == 0 && is_file(p))
			return p;
		free(p);
	}
	return NULL;
}

bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool is_symlink(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An entry of the directory open at fd is a directory, or a link to
 * one: the entry's type when the file system gives it, else a stat. */
static bool entry_is_dir(int fd, const struct dirent64 *e)
{
	if (e->d_type == DT_DIR)
		return true;
	if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
		return false;
	struct stat st;
	return fstatat(fd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* What list_entries gives of each entry. */
enum list_mode {
	LIST_ALL,   /* every name */
	LIST_DIRS,  /* the names of directories and links to one */
	LIST_KINDS, /* each name after 'd' (a directory), 'l' (a link) or 'f' */
};

static char kind_of(int fd, const struct dirent64 *e)
{
	unsigned char t = e->d_type;
	struct stat st;
	if (t == DT_UNKNOWN && fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
	return t == DT_DIR ? 'd' : t == DT_LNK ? 'l' : 'f';
}

static int cmp_kind(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a + 1, *(const char *const *)b + 1);
}

/* The entries read with getdents64 itself: opendir's stat of the
 * directory is a system call status would make for every directory of
 * the tree. */
static char **list_entries(const char *path, enum list_mode mode, bool (*accept)(const char *name))
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t n = 0, cap = 16;
	char **v = xcalloc(cap, sizeof(char *));
	static char buf[32768] __attribute__((aligned(8)));
	ssize_t got;
	while ((got = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t at = 0; at < got;) {
			const struct dirent64 *e = (const struct dirent64 *)(buf + at);
			at += e->d_reclen;
			if (streq(e->d_name, ".") || streq(e->d_name, ".."))
				continue;
			if ((accept && !accept(e->d_name)) || (mode == LIST_DIRS && !entry_is_dir(fd, e)))
				continue;
			if (n + 1 == cap) {
				cap *= 2;
				v = xrealloc(v, cap * sizeof(char *));
			}
			v[n++] = mode == LIST_KINDS ? xasprintf("%c%s", kind_of(fd, e), e->d_name) : xstrdup(e->d_name);
			v[n] = NULL;
		}
	}
	int err = got < 0 ? errno : 0;
	close(fd);
	if (err) {
		strv_free(v);
		errno = err;
		return NULL;
	}
	qsort(v, n, sizeof(char *), mode == LIST_KINDS ? cmp_kind : cmp_str);
	return v;
}

char **dir_list(const char *path)
{
	return list_entries(path, LIST_ALL, NULL);
}

char **dir_list_dirs(const char *path, bool (*accept)(const char *name))
{
	return list_entries(path, LIST_DIRS, accept);
}

char **dir_list_kinds(const char *path)
{
	return list_entries(path, LIST_KINDS, NULL);
}

void rmdir_parents(const char *path, const char *stop)
{
	_cleanup_free_ char *p = xstrdup(path);
	size_t stoplen = strlen(stop);
	while (strlen(p) > stoplen && startswith(p, stop)) {
		if (rmdir(p) < 0)
			return;
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			return;
		*slash = '\0';
	}
}

/* The next component of *rest (NULL at the end), which moves past it. */
static char *next_component(const char **rest)
{
	const char *p = *rest;
	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	size_t n = strcspn(p, "/");
	*rest = p + n;
	return xstrndup(p, n);
}

/* done (inside the root, "" or "/a/b") loses its last component. */
static void drop_last(struct strbuf *done)
{
	if (!done->buf)
		return;
	char *slash = strrchr(done->buf, '/');
	done->len = slash ? (size_t)(slash - done->buf) : 0;
	done->buf[done->len] = '\0';
}

char *path_in_root(const char *root, const char *path)
{
	struct strbuf done = {0};
	char *todo = xstrdup(path);
	const char *rest = todo;
	int links = 0;
	for (char *c; (c = next_component(&rest)); free(c)) {
		if (streq(c, "."))
			continue;
		if (streq(c, "..")) {
			drop_last(&done);
			continue;
		}
		_cleanup_free_ char *host = xasprintf("%s%s/%s", streq(root, "/") ? "" : root, done.buf ? done.buf : "", c);
		char target[PATH_MAX];
		ssize_t n = links < 40 ? readlink(host, target, sizeof(target) - 1) : -1;
		if (n <= 0) {
			strbuf_appendf(&done, "/%s", c);
			continue;
		}
		target[n] = '\0';
		links++;
		if (target[0] == '/' && done.buf) {
			done.len = 0;
			done.buf[0] = '\0';
		}
		char *next = xasprintf("%s/%s", target, rest);
		free(todo);
		todo = next;
		rest = todo;
	}
	free(todo);
	char *r = streq(root, "/") ? xstrdup(done.buf ? done.buf : "/")
				   : xasprintf("%s%s", root, done.buf ? done.buf : "");
	strbuf_release(&done);
	return r;
}

char *path_relative(const char *from_dir, const char *to)
{
	size_t common = 0;
	for (size_t i = 0;; i++) {
		bool end_f = from_dir[i] == '\0' || from_dir[i] == '/';
		bool end_t = to[i] == '\0' || to[i] == '/';
		if (end_f && end_t)
			common = i;
		if (from_dir[i] != to[i] || !from_dir[i])
			break;
	}
	struct strbuf sb = {0};
	for (const char *p = from_dir + common; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			strbuf_append(&sb, "../");
	const char *rest = to + common;
	while (*rest == '/')
		rest++;
	strbuf_append(&sb, *rest ? rest : ".");
	return strbuf_steal(&sb);
}
