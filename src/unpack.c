/* Unpacking an untrusted DKMS tarball.  It goes into a fresh private
 * directory with libarchive's secure-extraction flags, and every entry is
 * checked before it is written: one absolute path, ".." component,
 * device, FIFO or socket, or link leading outside the archive refuses the
 * whole archive. */
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"

/* A set of member names: a search tree for lookups, an array for walks,
 * so that an archive of n entries is checked in O(n log n). */
struct name_set {
	void *tree;
	char **all;
	size_t n, cap;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool set_has(const struct name_set *set, const char *name)
{
	return tfind(name, &set->tree, name_cmp) != NULL;
}

static void set_add(struct name_set *set, const char *name)
{
	if (set_has(set, name))
		return;
	if (set->n == set->cap) {
		set->cap = set->cap ? 2 * set->cap : 64;
		set->all = xrealloc(set->all, set->cap * sizeof(char *));
	}
	char *copy = xstrdup(name);
	set->all[set->n++] = copy;
	if (!tsearch(copy, &set->tree, name_cmp))
		abort();
}

static void no_free(void *p)
{
	(void)p;
}

static void set_free(struct name_set *set)
{
	tdestroy(set->tree, no_free);
	for (size_t i = 0; i < set->n; i++)
		free(set->all[i]);
	free(set->all);
	*set = (struct name_set){0};
}

struct unpack_state {
	struct name_set symlinks; /* members that are symbolic links */
	struct name_set files;    /* regular-file members: what a hard link may name */
};

static void unpack_state_free(struct unpack_state *u)
{
	set_free(&u->symlinks);
	set_free(&u->files);
}

/* The symbolic link of the archive that norm is, or lies under, or NULL. */
static const char *through_symlink(const struct unpack_state *u, const char *norm, bool *is_it)
{
	_cleanup_free_ char *prefix = xstrdup(norm);
	for (char *slash = prefix;; slash++) {
		slash = strchr(slash, '/');
		if (slash)
			*slash = '\0';
		if (set_has(&u->symlinks, prefix)) {
			*is_it = !slash;
			void *const *hit = tfind(prefix, &u->symlinks.tree, name_cmp);
			return *hit;
		}
		if (!slash)
			return NULL;
		*slash = '/';
	}
}

/* Why the entry may not be unpacked (allocated), or NULL.  On success the
 * entry's path (and hard link target) are rewritten to the checked,
 * normalised names, and *skip is set for the archive's root "./". */
static char *entry_refusal(struct unpack_state *u, struct archive_entry *e, bool *skip)
{
	const char *why = NULL;
	const char *name = archive_entry_pathname(e);
	if (!name)
		return xstrdup("has a name that cannot be read");
	_cleanup_free_ char *norm = tarball_member_normalize(name, &why);
	if (!norm)
		return xstrdup(why);
	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		if (type == AE_IFCHR || type == AE_IFBLK)
			return xstrdup("is a device node");
		if (type == AE_IFIFO)
			return xstrdup("is a FIFO");
		if (type == AE_IFSOCK)
			return xstrdup("is a socket");
		return xstrdup("has an unsupported file type");
	}
	/* nothing may be written through, or over, a link of the archive */
	bool is_it = false;
	const char *l = through_symlink(u, norm, &is_it);
	if (l && is_it)
		return xasprintf("would replace the symbolic link '%s'", l);
	if (l)
		return xasprintf("lies under the symbolic link '%s'", l);
	if (hardlink) {
		_cleanup_free_ char *target = tarball_member_normalize(hardlink, &why);
		if (!target)
			return xasprintf("is a hard link to '%s', outside the archive", hardlink);
		if (!set_has(&u->files, target))
			return xasprintf("is a hard link to '%s', not a regular file earlier in the archive", hardlink);
		archive_entry_copy_hardlink(e, target);
		set_add(&u->files, norm);
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		if (str_empty(target))
			return xstrdup("is a symbolic link without a target");
		if (target[0] == '/')
			return xasprintf("is a symbolic link to the absolute path '%s'", target);
		if (!tarball_symlink_stays_inside(norm, target))
			return xasprintf("is a symbolic link to '%s', outside the archive", target);
		set_add(&u->symlinks, norm);
	} else if (type == AE_IFREG) {
		set_add(&u->files, norm);
	}
	if (!norm[0]) {
		*skip = true;
		return NULL;
	}
	/* sane modes: no set-id bits, nothing writable by others, and
	 * readable by us so that the copy into the trees works */
	mode_t perm = archive_entry_perm(e) & 0755;
	archive_entry_set_perm(e, perm | (type == AE_IFDIR ? 0700 : 0600));
	archive_entry_copy_pathname(e, norm);
	return NULL;
}

/* Copies an entry's data.  Any short write is an error: libarchive's disk
 * writer reports a full disk as a mere warning.  *total counts what the
 * archive expands to, against TARBALL_MAX_BYTES. */
static int copy_entry_data(struct archive *in, struct archive *out, unsigned long long *total, const char **why)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(in, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return ARCHIVE_OK;
		if (r < ARCHIVE_WARN)
			return r;
		*total += size;
		if (*total > TARBALL_MAX_BYTES) {
			*why = "the archive expands to more than " TARBALL_MAX_BYTES_TEXT;
			return ARCHIVE_FATAL;
		}
		if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return ARCHIVE_FATAL;
	}
}

/* A link unpacked in `root` at `rel` whose target reaches through another
 * link before a ".." could leave the archive although the lexical check
 * passed ("a -> ." then "b -> a/.."): refuse those. */
static char *link_refusal(const char *root, const char *rel)
{
	_cleanup_free_ char *path = path_join(root, rel);
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return xasprintf("could not be read back: %s", strerror(errno));
	target[n] = '\0';
	const char *slash = strrchr(rel, '/');
	struct strbuf cur = {0};
	if (slash)
		strbuf_appendn(&cur, rel, (size_t)(slash - rel));
	char *r = NULL;
	for (const char *s = target; *s && !r;) {
		size_t len = strcspn(s, "/");
		const char *next = s + len + (s[len] ? 1 : 0);
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			char *last = strrchr(cur.buf ? cur.buf : "", '/');
			if (!cur.len)
				r = xasprintf("is a symbolic link to '%s', outside the archive", target);
			else if (last)
				cur.len = (size_t)(last - cur.buf), cur.buf[cur.len] = '\0';
			else
				cur.len = 0, cur.buf[0] = '\0';
		} else if (len && !(len == 1 && s[0] == '.')) {
			if (cur.len)
				strbuf_append(&cur, "/");
			strbuf_appendn(&cur, s, len);
			_cleanup_free_ char *p = path_join(root, cur.buf);
			bool more = strstr(next, "..") != NULL;
			if (more && is_symlink(p))
				r = xasprintf("is a symbolic link to '%s', which goes through another link", target);
		}
		s = next;
	}
	strbuf_release(&cur);
	return r;
}

static char *links_refusal(const struct unpack_state *u, const char *root, const char **which)
{
	for (size_t i = 0; i < u->symlinks.n; i++) {
		char *why = link_refusal(root, u->symlinks.all[i]);
		if (why) {
			*which = u->symlinks.all[i];
			return why;
		}
	}
	return NULL;
}

/* Every entry of in, checked, written by out into the current directory.
 * Returns 0, or EX_BAD_TARBALL after a message. */
static int unpack_entries(struct archive *in, struct archive *out, struct unpack_state *u, const char *archive)
{
	unsigned long long total = 0;
	for (size_t count = 0;; count++) {
		struct archive_entry *e;
		int r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN) {
			error("%s is not a valid DKMS tarball: %s", archive, archive_error_string(in));
			return EX_BAD_TARBALL;
		}
		_cleanup_free_ char *name = xstrdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "?");
		if (count >= TARBALL_MAX_ENTRIES) {
			error("Refusing to load %s: it has more than %d entries.\nNothing was loaded.", archive,
			      TARBALL_MAX_ENTRIES);
			return EX_BAD_TARBALL;
		}
		bool skip = false;
		_cleanup_free_ char *why = entry_refusal(u, e, &skip);
		if (why) {
			error("Refusing to load %s: its entry '%s' %s.\nNothing was loaded.", archive, name, why);
			return EX_BAD_TARBALL;
		}
		if (skip)
			continue;
		const char *limit = NULL;
		if (archive_write_header(out, e) < ARCHIVE_WARN ||
		    (archive_entry_size(e) > 0 && copy_entry_data(in, out, &total, &limit) < ARCHIVE_WARN) ||
		    archive_write_finish_entry(out) < ARCHIVE_WARN) {
			const char *ew = limit ? limit
				: archive_error_string(out) ? archive_error_string(out) : archive_error_string(in);
			int en = limit ? 0 : archive_errno(out) > 0 ? archive_errno(out) : archive_errno(in);
			error("Refusing to load %s: its entry '%s' could not be unpacked: %s%s%s%s.\nNothing was loaded.",
			      archive, name, ew ? ew : "unknown error", en > 0 ? " (" : "", en > 0 ? strerror(en) : "",
			      en > 0 ? ")" : "");
			return EX_BAD_TARBALL;
		}
	}
}

/* Unpacks archive into the empty directory dir.  Returns 0, or 7 after a
 * message when the archive cannot be read or is refused. */
int tarball_unpack_checked(const char *archive, const char *dir)
{
	int fd = open(archive, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error("Could not open %s: %s", archive, strerror(errno));
		return EX_BAD_TARBALL;
	}
	struct archive *in = archive_read_new();
	archive_read_support_format_tar(in);
	/* built-in decompressors only: nothing is run as a program */
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_xz(in);
	archive_read_support_filter_lzma(in);
	archive_read_support_filter_lzip(in);
	archive_read_support_filter_zstd(in);
	archive_read_support_filter_compress(in);
	struct archive *out = archive_write_disk_new();
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
						    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_TIME);
	struct unpack_state u = {0};
	int rc = 0;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || chdir(dir) < 0) {
		error("Could not enter %s: %s", dir, strerror(errno));
		rc = EX_BAD_TARBALL;
		goto out;
	}
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK) {
		error("%s is not a valid DKMS tarball: %s", archive, archive_error_string(in));
		rc = EX_BAD_TARBALL;
		goto out;
	}
	rc = unpack_entries(in, out, &u, archive);
out:
	if (cwd >= 0) {
		if (fchdir(cwd) < 0 && rc == 0) {
			error("Could not return to the working directory: %s", strerror(errno));
			rc = EX_BAD_TARBALL;
		}
		close(cwd);
	}
	archive_write_free(out);
	archive_read_free(in);
	close(fd);
	if (rc == 0) {
		const char *which = NULL;
		_cleanup_free_ char *why = links_refusal(&u, dir, &which);
		if (why) {
			error("Refusing to load %s: its entry '%s' %s.\nNothing was loaded.", archive, which, why);
			rc = EX_BAD_TARBALL;
		}
	}
	unpack_state_free(&u);
	return rc;
}


/* The walk of tarball_link_escaping(): rel is the path below the top. */
static char *escaping_below(const char *top, const char *rel)
{
	_cleanup_free_ char *dir = *rel ? path_join(top, rel) : xstrdup(top);
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *r = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		_cleanup_free_ char *p = path_join(top, r);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			char *hit = escaping_below(top, r);
			if (hit)
				return hit;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p, target, sizeof(target) - 1);
			if (n < 0)
				return xasprintf("'%s' cannot be read", r);
			target[n] = '\0';
			if (!tarball_symlink_stays_inside(r, target))
				return xasprintf("'%s' is a symbolic link to '%s', outside the directory loaded", r, target);
		}
	}
	return NULL;
}

char *tarball_link_escaping(const char *dir)
{
	return escaping_below(dir, "");
}
