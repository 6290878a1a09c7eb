/* Pairs of files status has found equal, with what stat said of each
 * then (device, inode, size, modification and change times), kept in
 * <dkms_tree>/.status-cache.  The reference compares every built module
 * with its installed copy byte for byte at every status; here a pair
 * whose stat has not changed since is known equal without reading it,
 * so status reads the tree and stats files.  A change time cannot be set
 * by a program, so a file rewritten since has another identity and is
 * compared again; a file changed in the last seconds is compared every
 * time (its times could stay within one tick of the clock).  The file
 * holds hints only: a torn, foreign or stale line is never trusted. */
#pragma once

#include <stdbool.h>

#define SAMECACHE_FILE ".status-cache"

/* files_same(a, b), known without reading both when an earlier run of
 * dkms with this tree found them equal and neither has changed since;
 * sa and sb are what stat says of a and b now. */
struct stat;
bool same_files_cached(const char *dkms_tree, const char *a, const struct stat *sa, const char *b,
		       const struct stat *sb);
/* dir_list_dirs(dir, accept) of a directory of the state tree, known
 * without reading it when its stat (modification and change times to
 * the nanosecond) is what it was when a run listed it; its links are
 * followed each time, or (follow false) all given, whatever they point
 * to.  With dkms_tree NULL, dir_list_dirs itself. */
char **samecache_list_dirs(const char *dkms_tree, const char *dir, bool (*accept)(const char *name), bool follow);
/* Deletes the tree's cache file (a version removed: no record of it is
 * left behind). */
void samecache_forget(const char *dkms_tree);
/* Writes what this run learnt (atomically; best effort) and forgets. */
void samecache_flush(void);
