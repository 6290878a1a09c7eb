/* SHA-256 digests, in hex, of what dkms needs to recognise again: a file,
 * a source tree, a buffer.  One tree walk serves the failure records
 * (failure.h) and the artifact cache's keys (artifact.h). */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>

/* SHA-256, fetched from the provider once per process (EVP_sha256()
 * would fetch it again at every EVP_DigestInit_ex). */
const EVP_MD *digest_sha256(void);
/* SHA-256 of many pieces, by libcrypto's low-level functions: EVP's
 * first use loads the provider machinery, some milliseconds that status
 * (through evalcache.h) must not pay. */
struct sha256_pieces;
struct sha256_pieces *sha256_begin(void);
void sha256_add(struct sha256_pieces *p, const void *data, size_t len);
/* The digest in hex into out; frees p. */
void sha256_end(struct sha256_pieces *p, char out[65]);

/* The digest's value in hex (allocated), ending ctx's use; NULL on error. */
char *digest_hex(EVP_MD_CTX *ctx);
/* The rest of an open file into the digest.  0 or -errno. */
int digest_fd(EVP_MD_CTX *ctx, int fd);
/* Every entry below dir into the digest, in sorted order: its path
 * relative to dir, its kind, a file's mode and bytes, a link's target;
 * links are not followed.  0, or -errno when dir cannot be read. */
int digest_tree(EVP_MD_CTX *ctx, const char *dir);

/* SHA-256 in hex of a file's bytes; NULL when it cannot be read. */
char *file_sha256(const char *path);
/* SHA-256 in hex of a source tree (digest_tree); NULL when unreadable. */
char *source_digest(const char *dir);
/* SHA-256 in hex of a buffer, into out. */
void buffer_sha256(const void *data, size_t len, char out[65]);
