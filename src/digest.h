/* SHA-256 digests, in hex, of what dkms needs to recognise again: a file,
 * a source tree, a buffer.  One tree walk serves the failure records
 * (failure.h) and the artifact cache's keys (artifact.h). */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>

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
