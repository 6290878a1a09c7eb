#include "txn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/staged.h"
#include "util/util.h"
#include "util/fault.h"

int txn_begin(struct txn *x, const char *dir)
{
	*x = (struct txn){0};
	x->stage = staged_private_dir(dir);
	return x->stage ? 0 : -errno;
}

static struct txn_op *add_op(struct txn *x)
{
	x->ops = xrealloc(x->ops, (x->n_ops + 1) * sizeof(*x->ops));
	struct txn_op *op = &x->ops[x->n_ops++];
	*op = (struct txn_op){0};
	return op;
}

void txn_move(struct txn *x, const char *from, const char *to)
{
	struct txn_op *op = add_op(x);
	op->from = xstrdup(from);
	op->to = xstrdup(to);
}

bool txn_moves(const struct txn *x, const char *from)
{
	for (size_t i = 0; i < x->n_ops; i++)
		if (!x->ops[i].place && streq(x->ops[i].from, from))
			return true;
	return false;
}

/* A copy of src, written with O_EXCL|O_NOFOLLOW into the private stage:
 * a short write (a full disk) is an error.  The commit syncs all staged
 * files at once. */
static int stage_file(const char *src, const char *path)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int r = out < 0 ? -errno : copy_fd(in, out);
	close(in);
	if (out < 0)
		return r;
	if (r == 0 && fchmod(out, 0644) < 0)
		r = -errno;
	if (close(out) < 0 && r == 0)
		r = -errno;
	return r;
}

int txn_stage_copy(struct txn *x, const char *src, const char *dst, bool symlink_it)
{
	/* named without ".ko": depmod, which walks the whole module tree,
	 * must never take a staged copy left by a killed run for a module */
	char *path = xasprintf("%s/%zu.staged", x->stage, x->n_staged++);
	int r = symlink_it ? (symlink(src, path) < 0 ? -errno : 0) : stage_file(src, path);
	if (r < 0) {
		unlink(path);
		free(path);
		return r;
	}
	struct txn_op *op = add_op(x);
	op->from = path;
	op->to = xstrdup(dst);
	op->place = true;
	return 0;
}

/* rename, or copy and unlink across file systems (originals kept in the
 * dkms tree may live on another one than the module tree). */
static int move_file(const char *from, const char *to)
{
	if (rename(from, to) == 0)
		return 0;
	if (errno != EXDEV)
		return -errno;
	int r = copy_file(from, to, 0644);
	if (r == 0 && unlink(from) < 0)
		r = -errno;
	if (r < 0)
		unlink(to);
	return r;
}

static bool same_parent(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

static void fsync_parent(const char *path)
{
	_cleanup_free_ char *dir = xstrndup(path, (size_t)(strrchr(path, '/') ? strrchr(path, '/') - path : 0));
	int fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int do_op(struct txn *x, struct txn_op *op, size_t i)
{
	if (!op->place)
		return move_file(op->from, op->to);
	/* a file replaces a file or a link, never a directory */
	if (is_dir(op->to) && !is_symlink(op->to))
		return -EISDIR;
	if (path_exists(op->to) || is_symlink(op->to)) {
		op->backup = xasprintf("%s/old-%zu", x->stage, i);
		if (rename(op->to, op->backup) < 0) {
			int r = -errno;
			free(op->backup);
			op->backup = NULL;
			return r;
		}
	}
	if (rename(op->from, op->to) < 0) {
		int r = -errno;
		if (op->backup) {
			rename(op->backup, op->to);
			free(op->backup);
			op->backup = NULL;
		}
		return r;
	}
	return 0;
}

/* Every staged byte on disk before anything is renamed into place: one
 * syncfs for the whole stage rather than an fsync per file. */
static int sync_stage(const struct txn *x)
{
	int fd = open(x->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = syncfs(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int txn_commit(struct txn *x, const char **failed)
{
	int r = sync_stage(x);
	if (r < 0) {
		if (failed)
			*failed = x->stage;
		return r;
	}
	for (size_t i = 0; i < x->n_ops; i++) {
		struct txn_op *op = &x->ops[i];
		r = do_op(x, op, i);
		if (r < 0) {
			if (failed)
				*failed = op->to;
			txn_rollback(x);
			return r;
		}
		op->done = true;
		fault_point("txn:step-done");
	}
	/* each directory that changed, once (there are few) */
	_cleanup_free_ const char **dirs = xcalloc(x->n_ops + 1, sizeof(char *));
	size_t nd = 0;
	for (size_t i = 0; i < x->n_ops; i++) {
		bool seen = false;
		for (size_t j = 0; j < nd && !seen; j++)
			seen = same_parent(x->ops[i].to, dirs[j]);
		if (!seen) {
			dirs[nd++] = x->ops[i].to;
			fsync_parent(x->ops[i].to);
		}
	}
	return 0;
}

void txn_rollback(struct txn *x)
{
	for (size_t i = x->n_ops; i-- > 0;) {
		struct txn_op *op = &x->ops[i];
		if (!op->done)
			continue;
		if (!op->place) {
			move_file(op->to, op->from);
		} else if (op->backup) {
			rename(op->backup, op->to);
			free(op->backup);
			op->backup = NULL;
		} else {
			unlink(op->to);
		}
		op->done = false;
	}
}

void txn_end(struct txn *x)
{
	for (size_t i = 0; i < x->n_ops; i++) {
		free(x->ops[i].from);
		free(x->ops[i].to);
		free(x->ops[i].backup);
	}
	free(x->ops);
	if (x->stage)
		rm_rf(x->stage);
	free(x->stage);
	*x = (struct txn){0};
}
