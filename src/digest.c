/* SHA256_Init and the rest are deprecated in OpenSSL 3, in favour of EVP,
 * whose start-up cost is what they are used here to avoid. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "digest.h"

#include <openssl/sha.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

const EVP_MD *digest_sha256(void)
{
	static EVP_MD *md;
	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md ? md : EVP_sha256();
}

/* n bytes of md in hex into out (2n + 1 bytes). */
static void to_hex(const unsigned char *md, unsigned int n, char *out)
{
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

char *digest_hex(EVP_MD_CTX *ctx)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1)
		return NULL;
	char *hex = xcalloc(2 * n + 1, 1);
	to_hex(md, n, hex);
	return hex;
}

int digest_fd(EVP_MD_CTX *ctx, int fd)
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
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
}

/* One directory (rel: its path below the top, NULL for the top). */
static int digest_dir(EVP_MD_CTX *ctx, const char *top, const char *rel)
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
		EVP_DigestUpdate(ctx, r, strlen(r) + 1);
		if (S_ISDIR(st.st_mode)) {
			EVP_DigestUpdate(ctx, "d", 1);
			int e = digest_dir(ctx, top, r);
			if (e < 0)
				return e;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p, target, sizeof(target));
			EVP_DigestUpdate(ctx, "l", 1);
			if (n > 0)
				EVP_DigestUpdate(ctx, target, (size_t)n);
		} else if (S_ISREG(st.st_mode)) {
			unsigned mode = (unsigned)(st.st_mode & 0777);
			int fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			EVP_DigestUpdate(ctx, "f", 1);
			EVP_DigestUpdate(ctx, &mode, sizeof(mode));
			if (fd >= 0) {
				digest_fd(ctx, fd);
				close(fd);
			}
		}
	}
	return 0;
}

int digest_tree(EVP_MD_CTX *ctx, const char *dir)
{
	return digest_dir(ctx, dir, NULL);
}

char *file_sha256(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex = NULL;
	if (ctx && EVP_DigestInit_ex(ctx, digest_sha256(), NULL) == 1 && digest_fd(ctx, fd) == 0)
		hex = digest_hex(ctx);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return hex;
}

char *source_digest(const char *dir)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex = NULL;
	if (ctx && EVP_DigestInit_ex(ctx, digest_sha256(), NULL) == 1 && digest_tree(ctx, dir) == 0)
		hex = digest_hex(ctx);
	EVP_MD_CTX_free(ctx);
	return hex;
}

struct sha256_pieces {
	SHA256_CTX ctx;
};

struct sha256_pieces *sha256_begin(void)
{
	struct sha256_pieces *p = xcalloc(1, sizeof(*p));
	SHA256_Init(&p->ctx);
	return p;
}

void sha256_add(struct sha256_pieces *p, const void *data, size_t len)
{
	SHA256_Update(&p->ctx, data, len);
}

void sha256_end(struct sha256_pieces *p, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_Final(md, &p->ctx);
	free(p);
	to_hex(md, SHA256_DIGEST_LENGTH, out);
}

void buffer_sha256(const void *data, size_t len, char out[65])
{
	struct sha256_pieces *p = sha256_begin();
	sha256_add(p, data, len);
	sha256_end(p, out);
}
