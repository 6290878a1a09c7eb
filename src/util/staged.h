/* One way to write a file, a symbolic link or a directory safely: make it
 * under a temporary name inside a private directory (mkdtemp, mode 0700)
 * next to its destination, then put it in place with one rename.
 *
 *   struct staged st;
 *   if (staged_open_file(&st, "/lib/modules/K/updates/dkms/m.ko", 0644) < 0) ...
 *   write(st.fd, ...);
 *   r = staged_commit(&st, 0);      or: staged_rollback(&st);
 *
 * Nothing is ever opened through a name another user could have planted:
 * the private directory is new and ours, and the entry in it is created
 * with O_EXCL|O_NOFOLLOW.  A run killed between open and commit leaves
 * only the private directory (".dkms-stage.*"), which staged_sweep()
 * removes later.  Functions return 0 or a negative errno value. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct staged {
	char *dir;  /* the private directory */
	char *path; /* the entry inside it */
	char *dest; /* where commit puts it */
	int fd;     /* staged_open_file: the open file; else -1 */
	bool is_dir;
};

/* The prefix of every private directory. */
#define STAGED_PREFIX ".dkms-stage."

/* Creates a new empty file (mode applied at commit). */
int staged_open_file(struct staged *st, const char *dest, mode_t mode);
/* Creates a new empty directory to fill, for a destination directory;
 * its private directory is made in `where` (NULL: next to dest), which
 * must be on dest's file system. */
int staged_open_dir(struct staged *st, const char *dest, const char *where);
/* Creates a symbolic link to target. */
int staged_open_symlink(struct staged *st, const char *dest, const char *target);

enum {
	STAGED_NOREPLACE = 1 << 0, /* fail with -EEXIST when dest exists */
};

/* Puts the entry in place: a file is fsynced and closed first; a
 * directory replaces an existing directory atomically (the old one is
 * removed after the exchange); then the parent directory is fsynced and
 * the private directory removed.  On failure the entry is rolled back. */
int staged_commit(struct staged *st, unsigned flags);
/* Removes the private directory and everything in it. */
void staged_rollback(struct staged *st);

/* Writes len bytes to fd, retrying short writes: a short write that makes
 * no progress (a full disk) is an error. */
int write_all(int fd, const void *data, size_t len);

/* A new private directory (mode 0700) in where, named STAGED_PREFIX...,
 * for callers that stage several entries; NULL with errno set. */
char *staged_private_dir(const char *where);

/* A private directory in the temporary directory tmp for one run's
 * scratch files: tmp/dkms-<what>.<pid>.XXXXXX.  NULL with errno set. */
char *staged_tmp_dir(const char *tmp, const char *what);
/* Removes the scratch directories of runs that are gone (their pid is no
 * longer alive) from tmp; another live run's are left alone. */
void staged_sweep_tmp(const char *tmp);

/* Removes what killed runs left in dir: private directories of this API
 * whose names start with STAGED_PREFIX.  Call it only while holding the
 * lock that serialises the runs that write into dir. */
void staged_sweep(const char *dir);
