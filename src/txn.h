/* A file transaction: plan, stage, then commit all or roll back all.
 *
 *   struct txn x;
 *   txn_begin(&x, "/lib/modules/K");          a private staging directory there
 *   txn_move(&x, orig, "/var/lib/dkms/m/original_module/K/a/m.ko");
 *   txn_stage_copy(&x, built, "/lib/modules/K/updates/dkms/m.ko", false);
 *   r = txn_commit(&x);                         all in place, or none
 *   txn_end(&x);                                drops backups and the stage
 *
 * Staging copies every new file into the private directory first (so a
 * full disk or an unreadable file fails before anything changes).  Commit
 * then performs the moves, in order, and puts each staged file in place
 * with a rename, keeping what it replaces as a backup in the private
 * directory.  When any step fails, everything done so far is undone in
 * reverse: replaced files come back, new ones go, moved files return.
 * Until txn_end() the transaction can still be rolled back (txn_rollback),
 * e.g. when what follows the commit fails.  Every path must be on the
 * file system of the staging directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct txn_op {
	char *from;   /* a move's source; a placement's staged file */
	char *to;     /* its destination */
	char *backup; /* what the placement replaced, kept here; or NULL */
	bool place;   /* a placement, else a move */
	bool done;
};

struct txn {
	char *stage;  /* the private directory */
	struct txn_op *ops;
	size_t n_ops;
	size_t n_staged;
};

/* A private staging directory in dir.  0 or -errno. */
int txn_begin(struct txn *x, const char *dir);
/* Plans moving an existing file (an original to keep) at commit. */
void txn_move(struct txn *x, const char *from, const char *to);
/* A move from `from` is planned already. */
bool txn_moves(const struct txn *x, const char *from);
/* Copies src (or makes a symbolic link to it) into the stage now, to be
 * put at dst by the commit.  0 or -errno. */
int txn_stage_copy(struct txn *x, const char *src, const char *dst, bool symlink_it);
/* Performs every planned step; on a failure rolls back and returns its
 * -errno, with *failed (if given) naming the destination that failed. */
int txn_commit(struct txn *x, const char **failed);
/* Undoes a commit (or what part of it was done). */
void txn_rollback(struct txn *x);
/* Forgets the backups and removes the staging directory. */
void txn_end(struct txn *x);
