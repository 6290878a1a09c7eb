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

/* Unpacks archive into the empty directory dir, refusing it whole (exit
 * code 7, after a message naming the entry and why) when any entry is
 * unsafe.  Returns 0 or the exit code. */
int tarball_unpack_checked(const char *archive, const char *dir);
