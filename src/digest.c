#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* n bytes of md in hex into out (2n + 1 bytes). */
static void to_hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

struct sha256_pieces {
	struct sha256_ctx ctx;
};

struct sha256_pieces *sha256_begin(void)
{
	struct sha256_pieces *p = xcalloc(1, sizeof(*p));
	sha256_init(&p->ctx);
	return p;
}

void sha256_add(struct sha256_pieces *p, const void *data, size_t len)
{
	sha256_update(&p->ctx, len, data);
}

void sha256_end(struct sha256_pieces *p, char out[65])
{
	uint8_t md[SHA256_DIGEST_SIZE];
	sha256_digest(&p->ctx, sizeof(md), md);
	free(p);
	to_hex(md, SHA256_DIGEST_SIZE, out);
}

int digest_fd(struct sha256_pieces *p, int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		sha256_add(p, buf, (size_t)n);
	}
}

/* One directory (rel: its path below the top, NULL for the top). */
static int digest_dir(struct sha256_pieces *c, const char *top, const char *rel)
{
	_cleanup_free_ char *here = rel ? path_join(top, rel) : xstrdup(top);
	_cleanup_strv_ char **names = dir_list(here);
	if (!names)
		return -errno;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *r = rel ? path_join(rel, names[i]) : xstrdup(names[i]);
		_cleanup_free_ char *p = path_join(top, r);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		sha256_add(c, r, strlen(r) + 1);
		if (S_ISDIR(st.st_mode)) {
			sha256_add(c, "d", 1);
			int e = digest_dir(c, top, r);
			if (e < 0)
				return e;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p, target, sizeof(target));
			sha256_add(c, "l", 1);
			if (n > 0)
				sha256_add(c, target, (size_t)n);
		} else if (S_ISREG(st.st_mode)) {
			unsigned mode = (unsigned)(st.st_mode & 0777);
			int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			sha256_add(c, "f", 1);
			sha256_add(c, &mode, sizeof(mode));
			if (fd >= 0) {
				digest_fd(c, fd);
				close(fd);
			}
		}
	}
	return 0;
}

int digest_tree(struct sha256_pieces *p, const char *dir)
{
	return digest_dir(p, dir, NULL);
}

/* The digest of what fill gives, in hex (allocated); NULL when it fails. */
static char *sha256_hex_of(int (*fill)(struct sha256_pieces *, const void *), const void *arg)
{
	struct sha256_pieces *p = sha256_begin();
	char hex[65];
	int r = fill(p, arg);
	sha256_end(p, hex);
	return r == 0 ? xstrdup(hex) : NULL;
}

static int fill_fd(struct sha256_pieces *p, const void *fd)
{
	return digest_fd(p, *(const int *)fd);
}

static int fill_tree(struct sha256_pieces *p, const void *dir)
{
	return digest_tree(p, dir);
}

char *file_sha256(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *hex = sha256_hex_of(fill_fd, &fd);
	close(fd);
	return hex;
}

char *source_digest(const char *dir)
{
	return sha256_hex_of(fill_tree, dir);
}

void buffer_sha256(const void *data, size_t len, char out[65])
{
	struct sha256_pieces *p = sha256_begin();
	sha256_add(p, data, len);
	sha256_end(p, out);
}
