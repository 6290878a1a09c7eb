/* SHA-256 digests, in hex, of what dkms needs to recognise again: a file,
 * a source tree, a buffer.  One tree walk serves the failure records
 * (failure.h) and the artifact cache's keys (artifact.h).  The hashing is
 * nettle's, a small library: status (through evalcache.h) hashes at every
 * run, and libcrypto costs milliseconds to load (docs/ARCHITECTURE.md,
 * "Libraries loaded on first use"). */
#pragma once

#include <stddef.h>

/* SHA-256 of many pieces. */
struct sha256_pieces;
struct sha256_pieces *sha256_begin(void);
void sha256_add(struct sha256_pieces *p, const void *data, size_t len);
/* The digest in hex into out; frees p. */
void sha256_end(struct sha256_pieces *p, char out[65]);

/* The rest of an open file into the digest.  0 or -errno. */
int digest_fd(struct sha256_pieces *p, int fd);
/* Every entry below dir into the digest, in sorted order: its path
 * relative to dir, its kind, a file's mode and bytes, a link's target;
 * links are not followed.  0, or -errno when dir cannot be read. */
int digest_tree(struct sha256_pieces *p, const char *dir);

/* SHA-256 in hex of a file's bytes; NULL when it cannot be read. */
char *file_sha256(const char *path);
/* SHA-256 in hex of a source tree (digest_tree); NULL when unreadable. */
char *source_digest(const char *dir);
/* SHA-256 in hex of a buffer, into out. */
void buffer_sha256(const void *data, size_t len, char out[65]);
