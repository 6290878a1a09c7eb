/* When kbuild's own clean of an external module has nothing to do.
 *
 * A build runs the module's CLEAN command twice, as the reference does:
 * before make, on the fresh copy of the source, and after the modules are
 * collected, just before the build directory is removed.  When CLEAN is
 * kbuild's own ("make -C <headers> M=<build dir> clean", the default, or
 * spelled so in dkms.conf), each run costs a pass of the kernel's
 * Makefiles and can only remove files of the build directory:
 *
 *   - after the build it is redundant: the directory is removed next;
 *   - before make it removes nothing when the copy holds none of the files
 *     kbuild's clean removes (objects, modules, .cmd files, ...; the
 *     patterns of the kernel's top Makefile) and no Makefile or Kbuild of
 *     the tree names files of its own for clean to remove (clean-files,
 *     targets, extra-, always-, hostprogs, userprogs).
 *
 * Any other CLEAN, or a copy that holds such files, is run as before. */
#pragma once

#include <stdbool.h>

/* clean is kbuild's clean of the external module in build_dir, for the
 * headers in headers_dir. */
bool kbuild_clean_is_plain(const char *clean, const char *headers_dir, const char *build_dir);

/* Nothing in dir for kbuild's clean to remove (see above); false when dir
 * cannot be read. */
bool kbuild_tree_is_pristine(const char *dir);
