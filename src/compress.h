/* Module compression in-process, the way kbuild compresses a kernel's own
 * modules: xz (LZMA2, 1 MiB dictionary, CRC32 check: the kernel's
 * in-kernel xz decoder cannot verify CRC64), zstd (with a content
 * checksum) and gzip (zlib, no name or time stamp in the header).
 * Functions return 0 or a negative errno value. */
#pragma once

#include <stddef.h>
#include <stdbool.h>

/* True for the suffixes this file can produce: ".xz", ".zst", ".gz". */
bool compress_suffix_supported(const char *suffix);

/* Compresses len bytes at in into a new malloc'd buffer for the format of
 * suffix (".xz", ".zst" or ".gz").  -EINVAL for another suffix, -ENOMEM
 * or -EIO when the library fails. */
int compress_buffer(const char *suffix, const void *in, size_t len, char **out, size_t *out_len);

/* Compresses the file src into dst (written to a temporary name next to
 * dst, fsynced and renamed, mode 0644).  src is left alone. */
int compress_file(const char *src, const char *dst, const char *suffix);
