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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"

struct unpack_state {
	char **symlinks; /* members that are symbolic links */
	char **files;    /* regular-file members: what a hard link may name */
	size_t n_files, cap_files;
};

static void unpack_state_free(struct unpack_state *u)
{
	strv_free(u->symlinks);
	for (size_t i = 0; i < u->n_files; i++)
		free(u->files[i]);
	free(u->files);
}

static bool has_file(const struct unpack_state *u, const char *p)
{
	for (size_t i = 0; i < u->n_files; i++)
		if (streq(u->files[i], p))
			return true;
	return false;
}

static void add_file(struct unpack_state *u, const char *p)
{
	if (u->n_files == u->cap_files) {
		u->cap_files = u->cap_files ? 2 * u->cap_files : 64;
		u->files = xrealloc(u->files, u->cap_files * sizeof(char *));
	}
	u->files[u->n_files++] = xstrdup(p);
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
	for (size_t i = 0; u->symlinks && u->symlinks[i]; i++) {
		const char *l = u->symlinks[i];
		size_t n = strlen(l);
		if (streq(norm, l))
			return xasprintf("would replace the symbolic link '%s'", l);
		if (strncmp(norm, l, n) == 0 && norm[n] == '/')
			return xasprintf("lies under the symbolic link '%s'", l);
	}
	if (hardlink) {
		_cleanup_free_ char *target = tarball_member_normalize(hardlink, &why);
		if (!target)
			return xasprintf("is a hard link to '%s', outside the archive", hardlink);
		if (!has_file(u, target))
			return xasprintf("is a hard link to '%s', not a regular file earlier in the archive", hardlink);
		archive_entry_copy_hardlink(e, target);
		add_file(u, norm);
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		if (str_empty(target))
			return xstrdup("is a symbolic link without a target");
		if (target[0] == '/')
			return xasprintf("is a symbolic link to the absolute path '%s'", target);
		if (!tarball_symlink_stays_inside(norm, target))
			return xasprintf("is a symbolic link to '%s', outside the archive", target);
		strv_pushdup(&u->symlinks, norm);
	} else if (type == AE_IFREG) {
		add_file(u, norm);
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

static int copy_entry_data(struct archive *in, struct archive *out)
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
		if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
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
	for (size_t i = 0; u->symlinks && u->symlinks[i]; i++) {
		char *why = link_refusal(root, u->symlinks[i]);
		if (why) {
			*which = u->symlinks[i];
			return why;
		}
	}
	return NULL;
}

/* Every entry of in, checked, written by out into the current directory.
 * Returns 0, or EX_BAD_TARBALL after a message. */
static int unpack_entries(struct archive *in, struct archive *out, struct unpack_state *u, const char *archive)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN) {
			error("%s is not a valid DKMS tarball: %s", archive, archive_error_string(in));
			return EX_BAD_TARBALL;
		}
		_cleanup_free_ char *name = xstrdup(archive_entry_pathname(e) ? archive_entry_pathname(e) : "?");
		bool skip = false;
		_cleanup_free_ char *why = entry_refusal(u, e, &skip);
		if (why) {
			error("Refusing to load %s: its entry '%s' %s.\nNothing was loaded.", archive, name, why);
			return EX_BAD_TARBALL;
		}
		if (skip)
			continue;
		if (archive_write_header(out, e) < ARCHIVE_WARN ||
		    (archive_entry_size(e) > 0 && copy_entry_data(in, out) < ARCHIVE_WARN) ||
		    archive_write_finish_entry(out) < ARCHIVE_WARN) {
			const char *ew = archive_error_string(out) ? archive_error_string(out) : archive_error_string(in);
			error("Refusing to load %s: its entry '%s' could not be unpacked: %s.\nNothing was loaded.",
			      archive, name, ew ? ew : "unknown error");
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

