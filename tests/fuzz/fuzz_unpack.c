/* libFuzzer harness: the unpacking of an untrusted DKMS tarball
 * (tarball_unpack_checked).  The input describes the archive's entries
 * rather than its bytes (libarchive parses the bytes; what is ours is what
 * we let through): records separated by NUL bytes, each a kind byte, a
 * member name, and after a \x01 byte a link target or a file's data.  The
 * harness writes them as a tar with libarchive and unpacks it into an
 * empty directory.  Besides ASan and UBSan:
 *  - the exit code is 0 or 7, and the working directory is unchanged;
 *  - an archive the rules refuse is refused: an absolute name or a ".."
 *    component, a FIFO or a device, a link that is empty, absolute or
 *    leads outside lexically, a hard link to anything but a regular file
 *    earlier in the archive, an entry written over or through a link;
 *  - after a success, the directory holds only directories, regular
 *    files and links, none with a set-id or sticky bit or writable by
 *    others, every link resolves, following the links on disk as the
 *    kernel does, to a place inside it, and nothing appeared next to it. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcode.h"
#include "fuzz.h"
#include "tarball.h"
#include "util/util.h"

#define MAX_ENTRIES 32

enum kind { K_FILE, K_DIR, K_SYMLINK, K_HARDLINK, K_FIFO, K_CHARDEV, K_COUNT };

struct entry {
	enum kind kind;
	mode_t perm;
	char *name, *rest; /* rest: a link's target or a file's data */
};

static char *scratch; /* holds in.tar and out/ */
static unsigned long runs, unpacked, links;

static void cleanup(void)
{
	fprintf(stderr, "fuzz_unpack: %lu archives, %lu unpacked, %lu links followed in them\n", runs, unpacked, links);
	if (scratch)
		rm_rf(scratch);
	free(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmpl[] = "/dev/shm/fuzz-unpack.XXXXXX", tmpl2[] = "/tmp/fuzz-unpack.XXXXXX";
	const char *d = mkdtemp(tmpl);
	if (!d)
		d = mkdtemp(tmpl2);
	CHECK(d);
	scratch = xstrdup(d);
	atexit(cleanup);
	return 0;
}

/* Printable ASCII only: names then read back exactly as written. */
static char *printable(const char *s, size_t n)
{
	struct strbuf sb = {0};
	for (size_t i = 0; i < n; i++)
		if (s[i] >= ' ' && s[i] <= '~')
			strbuf_appendn(&sb, s + i, 1);
	return strbuf_steal(&sb);
}

static size_t parse_entries(const uint8_t *data, size_t size, struct entry *e)
{
	size_t n = 0;
	for (size_t at = 0; at < size && n < MAX_ENTRIES;) {
		const char *rec = (const char *)data + at;
		const char *z = memchr(rec, '\0', size - at);
		size_t len = z ? (size_t)(z - rec) : size - at;
		at += len + 1;
		if (len == 0)
			continue;
		unsigned k = (unsigned char)rec[0];
		const char *sep = memchr(rec + 1, '\x01', len - 1);
		size_t name_len = sep ? (size_t)(sep - rec - 1) : len - 1;
		e[n].kind = (enum kind)(k % K_COUNT);
		/* high bit: set-id bits and writable by all, which must not survive */
		e[n].perm = (e[n].kind == K_DIR ? 0755 : 0644) | ((k & 0x80) ? 06002 : 0);
		e[n].name = printable(rec + 1, name_len);
		e[n].rest = sep ? printable(sep + 1, len - 1 - name_len - 1) : xstrdup("");
		if (e[n].kind == K_HARDLINK && !e[n].rest[0])
			e[n].kind = K_FILE; /* no target: a plain file, as tar reads it */
		n++;
	}
	return n;
}

/* The archive, written by libarchive; entries it cannot write are left out. */
static void write_tar(const char *path, struct entry *e, size_t *n)
{
	struct archive *a = archive_write_new();
	CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
	CHECK(archive_write_open_filename(a, path) == ARCHIVE_OK);
	static const mode_t types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFREG, AE_IFIFO, AE_IFCHR};
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_copy_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, types[e[i].kind]);
		archive_entry_set_perm(ae, e[i].perm);
		if (e[i].kind == K_SYMLINK)
			archive_entry_copy_symlink(ae, e[i].rest);
		else if (e[i].kind == K_HARDLINK)
			archive_entry_copy_hardlink(ae, e[i].rest);
		else if (e[i].kind == K_FILE)
			archive_entry_set_size(ae, (la_int64_t)strlen(e[i].rest));
		bool ok = e[i].name[0] && archive_write_header(a, ae) == ARCHIVE_OK;
		if (ok && e[i].kind == K_FILE)
			CHECK(archive_write_data(a, e[i].rest, strlen(e[i].rest)) == (la_ssize_t)strlen(e[i].rest));
		archive_entry_free(ae);
		if (ok) {
			e[kept++] = e[i];
		} else {
			free(e[i].name);
			free(e[i].rest);
		}
	}
	*n = kept;
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
}

/* The components of s between '/', without the empty ones and ".". */
static char **components(const char *s)
{
	char **v = xcalloc(1, sizeof(char *));
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, "/");
		if (len && !(len == 1 && p[0] == '.'))
			strv_push(&v, xstrndup(p, len));
		p += len + (p[len] ? 1 : 0);
	}
	return v;
}

static bool has_dotdot(const char *name)
{
	_cleanup_strv_ char **c = components(name);
	for (size_t i = 0; c[i]; i++)
		if (streq(c[i], ".."))
			return true;
	return false;
}

static char *normal(const char *name)
{
	_cleanup_strv_ char **c = components(name);
	struct strbuf sb = {0};
	for (size_t i = 0; c[i]; i++)
		strbuf_appendf(&sb, "%s%s", i ? "/" : "", c[i]);
	return strbuf_steal(&sb);
}

/* a is b, or a directory above it */
static bool is_at_or_above(const char *a, const char *b)
{
	size_t n = strlen(a);
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* Whether a link at the normalised at, to target, stays inside lexically:
 * its directory's depth never goes below zero. */
static bool lexically_inside(const char *at, const char *target)
{
	if (!target[0] || target[0] == '/')
		return false;
	long depth = 0;
	for (const char *p = at; *p; p++)
		depth += *p == '/';
	_cleanup_strv_ char **c = components(target);
	for (size_t i = 0; c[i]; i++)
		if ((depth += streq(c[i], "..") ? -1 : 1) < 0)
			return false;
	return true;
}

/* Whether the rules refuse entry i, given the entries before it. */
static bool rules_refuse(const struct entry *e, size_t i)
{
	if (e[i].name[0] == '/' || has_dotdot(e[i].name) || e[i].kind == K_FIFO || e[i].kind == K_CHARDEV)
		return true;
	_cleanup_free_ char *n = normal(e[i].name);
	for (size_t j = 0; j < i; j++) {
		_cleanup_free_ char *m = normal(e[j].name);
		if (e[j].kind == K_SYMLINK && is_at_or_above(m, n))
			return true;
	}
	if (e[i].kind == K_SYMLINK)
		return !lexically_inside(n, e[i].rest);
	if (e[i].kind != K_HARDLINK)
		return false;
	if (e[i].rest[0] == '/' || has_dotdot(e[i].rest))
		return true;
	_cleanup_free_ char *t = normal(e[i].rest);
	for (size_t j = 0; j < i; j++) {
		_cleanup_free_ char *m = normal(e[j].name);
		if ((e[j].kind == K_FILE || e[j].kind == K_HARDLINK) && streq(m, t))
			return false;
	}
	return true;
}

/* Whether opening rel below root, following every link on disk as the
 * kernel does, stays inside root.  A component that does not exist (or a
 * loop) ends the walk: nothing is reached through it. */
static bool physically_inside(const char *root, const char *rel)
{
	char **todo = components(rel), **cur = xcalloc(1, sizeof(char *));
	bool inside = true;
	for (int hops = 0; todo[0] && hops < 40;) {
		char *c = todo[0];
		memmove(todo, todo + 1, strv_len(todo) * sizeof(char *));
		if (streq(c, "..")) {
			size_t depth = strv_len(cur);
			free(c);
			if (depth == 0) {
				inside = false;
				break;
			}
			free(cur[depth - 1]);
			cur[depth - 1] = NULL;
			continue;
		}
		strv_push(&cur, c);
		struct strbuf sb = {0};
		strbuf_append(&sb, root);
		for (size_t i = 0; cur[i]; i++)
			strbuf_appendf(&sb, "/%s", cur[i]);
		_cleanup_free_ char *path = strbuf_steal(&sb);
		struct stat st;
		if (lstat(path, &st) < 0)
			break;
		if (!S_ISLNK(st.st_mode))
			continue;
		char target[4096];
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		CHECK(len >= 0);
		target[len] = '\0';
		if (target[0] == '/') {
			inside = false;
			break;
		}
		size_t depth = strv_len(cur);
		free(cur[depth - 1]);
		cur[depth - 1] = NULL;
		char **more = components(target);
		for (size_t i = 0; todo[i]; i++)
			strv_push(&more, todo[i]);
		free(todo);
		todo = more;
		hops++;
	}
	strv_free(todo);
	strv_free(cur);
	return inside;
}

/* Every entry below root/rel: its type, its mode, and where links lead. */
static void check_tree(const char *root, const char *rel)
{
	_cleanup_free_ char *dir = rel[0] ? path_join(root, rel) : xstrdup(root);
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *r = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		_cleanup_free_ char *p = path_join(root, r);
		struct stat st;
		CHECK(lstat(p, &st) == 0);
		CHECK(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode));
		if (S_ISLNK(st.st_mode)) {
			links++;
			if (!physically_inside(root, r)) {
				fprintf(stderr, "the link %s leads outside\n", r);
				abort();
			}
			continue;
		}
		CHECK((st.st_mode & 07022) == 0);
		if (S_ISDIR(st.st_mode))
			check_tree(root, r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry e[MAX_ENTRIES];
	size_t n = parse_entries(data, size, e);
	_cleanup_free_ char *tar = path_join(scratch, "in.tar"), *out = path_join(scratch, "out");
	write_tar(tar, e, &n);
	bool refuse = false;
	for (size_t i = 0; i < n && !refuse; i++)
		refuse = rules_refuse(e, i);
	CHECK(mkdir(out, 0700) == 0);
	char before[4096], after[4096];
	CHECK(getcwd(before, sizeof(before)));
	/* its messages say why an archive is refused: not needed here */
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	CHECK(saved >= 0 && null >= 0 && dup2(null, 2) == 2);
	int rc = tarball_unpack_checked(tar, out);
	CHECK(dup2(saved, 2) == 2 && close(saved) == 0 && close(null) == 0);
	CHECK(getcwd(after, sizeof(after)) && streq(before, after));
	CHECK(rc == 0 || rc == EX_BAD_TARBALL);
	CHECK(!(refuse && rc == 0));
	runs++;
	if (rc == 0) {
		unpacked++;
		check_tree(out, "");
	}
	_cleanup_strv_ char **names = dir_list(scratch);
	CHECK(strv_len(names) == 2);
	CHECK(rm_rf(out) == 0);
	for (size_t i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].rest);
	}
	return 0;
}
