/* mktarball / ldtarball: DKMS tarballs in the reference's layout
 *   ./dkms_main_tree/<kernel>/<arch>/{module,log}/...   prebuilt modules
 *   ./dkms_source_tree/...                                the module source
 *   ./dkms_binaries_only/{PACKAGE_NAME,PACKAGE_VERSION,dkms.conf}
 * written and read with libarchive.  The actions are in actions.h. */
#pragma once

#include "util/util.h"

/* The pure checks of ldtarball, exposed for unit tests. */

/* "./a//b/./c/" -> "a/b/c" ("" for the archive's root).  NULL when the
 * member name is absolute or has a ".." component; *why says which. */
char *tarball_member_normalize(const char *name, const char **why);

/* True when a symbolic link at member path `at` (normalised) with this
 * target, resolved lexically, stays inside the archive. */
bool tarball_symlink_stays_inside(const char *at, const char *target);

/* The compression the reference's `tar -a` picks for a file name, as a
 * libarchive filter name ("gzip", "xz", ...), or NULL for a plain tar. */
const char *tarball_filter_for_name(const char *name);

/* A symbolic link below dir (an unpacked archive's part that is about to
 * be copied into a tree) whose target leaves dir: why (allocated), or
 * NULL when every link stays inside.  The archive as a whole was checked
 * already, but only the part is copied: a link may stay in the archive
 * and still leave the part. */
char *tarball_link_escaping(const char *dir);

/* What ldtarball unpacks at the most: an archive expanding to more (a
 * compression bomb) or with more entries is refused whole. */
#define TARBALL_MAX_BYTES (4ULL << 30)
#define TARBALL_MAX_BYTES_TEXT "4 GiB"
#define TARBALL_MAX_ENTRIES 200000

/* Unpacks archive into the empty directory dir, refusing it whole (exit
 * code 7, after a message naming the entry and why) when any entry is
 * unsafe.  Returns 0 or the exit code. */
int tarball_unpack_checked(const char *archive, const char *dir);
