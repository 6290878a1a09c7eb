/* mktarball and ldtarball.
 *
 * mktarball streams the module's tree straight into a libarchive writer
 * under the member names the reference's layout uses (no copy into a
 * temporary tree, no tar subprocess), into a temporary file next to the
 * destination that is renamed into place when complete.
 *
 * ldtarball never trusts the archive: it is unpacked and checked by
 * tarball_unpack_checked() (unpack.c) into a private directory, and only a
 * fully checked archive is then copied into the trees. */
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "add.h"
#include "log.h"
#include "tree.h"
#include "util/staged.h"

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */

char *tarball_member_normalize(const char *name, const char **why)
{
	if (name[0] == '/') {
		*why = "has an absolute path";
		return NULL;
	}
	struct strbuf sb = {0};
	for (const char *s = name; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			strbuf_release(&sb);
			*why = "has a '..' path component";
			return NULL;
		}
		if (n && !(n == 1 && s[0] == '.')) {
			if (sb.len)
				strbuf_append(&sb, "/");
			strbuf_appendn(&sb, s, n);
		}
		s += n;
		if (*s)
			s++;
	}
	return strbuf_steal(&sb);
}

bool tarball_symlink_stays_inside(const char *at, const char *target)
{
	if (str_empty(target) || target[0] == '/')
		return false;
	/* depth of the directory holding the link */
	long depth = 0;
	for (const char *p = at; *p; p++)
		depth += *p == '/';
	for (const char *s = target; *s;) {
		size_t n = strcspn(s, "/");
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return false;
		} else if (n && !(n == 1 && s[0] == '.')) {
			depth++;
		}
		s += n;
		if (*s)
			s++;
	}
	return true;
}

const char *tarball_filter_for_name(const char *name)
{
	/* GNU tar's --auto-compress table */
	static const char *const map[][2] = {
		{".gz", "gzip"},   {".tgz", "gzip"},   {".taz", "gzip"},  {".Z", "compress"},
		{".taZ", "compress"}, {".bz2", "bzip2"}, {".tz2", "bzip2"}, {".tbz2", "bzip2"},
		{".tbz", "bzip2"}, {".lz", "lzip"},    {".lzma", "lzma"}, {".tlz", "lzma"},
		{".lzo", "lzop"},  {".xz", "xz"},      {".txz", "xz"},    {".zst", "zstd"},
		{".tzst", "zstd"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (endswith(name, map[i][0]))
			return map[i][1];
	return NULL;
}

/* The reference's +([0-9]).* : what a kernel directory is called. */
static bool looks_like_kernel(const char *name)
{
	const char *p = name;
	while (isdigit((unsigned char)*p))
		p++;
	return p > name && *p == '.';
}

/* ------------------------------------------------------------------ */
/* mktarball                                                           */

struct tar_out {
	struct archive *a;
	struct archive *disk; /* fills entries from lstat, with user and group names */
	time_t now;
};

static int tar_fail(struct tar_out *t, const char *what)
{
	const char *why = archive_error_string(t->a);
	error("Could not add %s to the tarball: %s", what, why ? why : "unknown error");
	return -EIO;
}

static struct archive_entry *tar_new_entry(struct tar_out *t, const char *name, mode_t type, mode_t perm)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, getuid());
	archive_entry_set_gid(e, getgid());
	const char *u = archive_read_disk_uname(t->disk, getuid());
	const char *g = archive_read_disk_gname(t->disk, getgid());
	if (u)
		archive_entry_copy_uname(e, u);
	if (g)
		archive_entry_copy_gname(e, g);
	archive_entry_set_mtime(e, t->now, 0);
	return e;
}

/* A directory of the layout itself, not copied from the tree. */
static int tar_add_dir(struct tar_out *t, const char *name)
{
	struct archive_entry *e = tar_new_entry(t, name, AE_IFDIR, 0755);
	int r = archive_write_header(t->a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? tar_fail(t, name) : 0;
}

static int tar_add_data(struct tar_out *t, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = tar_new_entry(t, name, AE_IFREG, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	int r = archive_write_header(t->a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN || (len && archive_write_data(t->a, data, len) < 0))
		return tar_fail(t, name);
	return 0;
}

static int tar_add_file_data(struct tar_out *t, int fd, const char *name)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error("Could not read %s: %s", name, strerror(errno));
			return -errno;
		}
		if (n == 0)
			return 0;
		if (archive_write_data(t->a, buf, (size_t)n) < 0)
			return tar_fail(t, name);
	}
}

/* path from the tree as member `name`, recursively. */
static int tar_add_path(struct tar_out *t, const char *path, const char *name)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		int r = -errno;
		error("Could not read %s: %s", path, strerror(errno));
		return r;
	}
	/* devices, FIFOs and sockets do not belong in a module's tree */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0;
	int fd = -1;
	if (S_ISREG(st.st_mode) && (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		int r = -errno;
		error("Could not read %s: %s", path, strerror(errno));
		return r;
	}
	_cleanup_free_ char *member = S_ISDIR(st.st_mode) && !endswith(name, "/") ? xasprintf("%s/", name)
										: xstrdup(name);
	struct archive_entry *e = archive_entry_new();
	archive_entry_copy_sourcepath(e, path);
	int r = archive_read_disk_entry_from_file(t->disk, e, -1, &st);
	archive_entry_copy_pathname(e, member);
	if (r >= ARCHIVE_WARN)
		r = archive_write_header(t->a, e);
	archive_entry_free(e);
	if (r < ARCHIVE_WARN) {
		if (fd >= 0)
			close(fd);
		return tar_fail(t, member);
	}
	if (fd >= 0) {
		r = tar_add_file_data(t, fd, member);
		close(fd);
		return r;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	_cleanup_strv_ char **names = dir_list(path);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = path_join(path, names[i]);
		_cleanup_free_ char *n = xasprintf("%s%s", member, names[i]);
		if ((r = tar_add_path(t, p, n)) < 0)
			return r;
	}
	return 0;
}

struct mk_plan {
	const char *m, *v;
	char **kernels, **arches; /* prebuilt modules to include */
	const char *source_dir;   /* NULL for --binaries-only */
	const char *conf;         /* the dkms.conf for --binaries-only */
};

static int tar_write_layout(struct tar_out *t, const struct mk_plan *p, const struct settings *s)
{
	int r;
	if ((r = tar_add_dir(t, "./")) < 0 || (r = tar_add_dir(t, "./dkms_main_tree/")) < 0)
		return r;
	for (size_t i = 0; p->kernels[i]; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= streq(p->kernels[j], p->kernels[i]);
		_cleanup_free_ char *kname = xasprintf("./dkms_main_tree/%s/", p->kernels[i]);
		if (!seen && (r = tar_add_dir(t, kname)) < 0)
			return r;
		_cleanup_free_ char *ka = tree_ka_dir(s, p->m, p->v, p->kernels[i], p->arches[i]);
		_cleanup_free_ char *kaname = xasprintf("%s%s", kname, p->arches[i]);
		if ((r = tar_add_path(t, ka, kaname)) < 0)
			return r;
	}
	if (p->source_dir) {
		if ((r = tar_add_dir(t, "./dkms_source_tree/")) < 0)
			return r;
		_cleanup_strv_ char **names = dir_list(p->source_dir);
		for (size_t i = 0; names && names[i]; i++) {
			/* the reference's `cp -rf source/<star>`: no dot files on top */
			if (names[i][0] == '.')
				continue;
			_cleanup_free_ char *path = path_join(p->source_dir, names[i]);
			_cleanup_free_ char *n = xasprintf("./dkms_source_tree/%s", names[i]);
			if ((r = tar_add_path(t, path, n)) < 0)
				return r;
		}
		return 0;
	}
	_cleanup_free_ char *name = xasprintf("%s\n", p->m);
	_cleanup_free_ char *version = xasprintf("%s\n", p->v);
	if ((r = tar_add_dir(t, "./dkms_binaries_only/")) < 0 ||
	    (r = tar_add_data(t, "./dkms_binaries_only/PACKAGE_NAME", name, strlen(name))) < 0 ||
	    (r = tar_add_data(t, "./dkms_binaries_only/PACKAGE_VERSION", version, strlen(version))) < 0)
		return r;
	/* as the reference, a missing dkms.conf is left out silently */
	_cleanup_free_ char *conf = NULL;
	size_t len = 0;
	if (read_file(p->conf, &conf, &len) == 0)
		return tar_add_data(t, "./dkms_binaries_only/dkms.conf", conf, len);
	return 0;
}

/* Writes the archive through a staged file (util/staged.h) that becomes
 * dir/name when complete.  Returns 0 or -1 after a message. */
static int tar_write_file(const char *dir, const char *name, const struct mk_plan *p, const struct settings *s)
{
	_cleanup_free_ char *dst = path_join(dir, name);
	mode_t um = umask(0);
	umask(um);
	struct staged st;
	int r = staged_open_file(&st, dst, 0666 & ~um);
	if (r < 0)
		return error("Could not create a file in %s: %s", dir, strerror(-r));
	struct tar_out t = {.a = archive_write_new(), .disk = archive_read_disk_new(), .now = time(NULL)};
	archive_read_disk_set_standard_lookup(t.disk);
	archive_read_disk_set_behavior(t.disk, ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
						       ARCHIVE_READDISK_NO_FFLAGS);
	const char *filter = tarball_filter_for_name(name);
	r = archive_write_set_format_gnutar(t.a);
	if (r == ARCHIVE_OK && filter)
		r = archive_write_add_filter_by_name(t.a, filter);
	if (r == ARCHIVE_OK)
		r = archive_write_open_fd(t.a, st.fd);
	if (r != ARCHIVE_OK) {
		error("Could not start the tarball %s: %s", dst, archive_error_string(t.a));
		r = -1;
	} else {
		r = tar_write_layout(&t, p, s);
		if (archive_write_close(t.a) != ARCHIVE_OK && r == 0)
			r = tar_fail(&t, "the end of the archive");
	}
	archive_write_free(t.a);
	archive_read_free(t.disk);
	if (r < 0) {
		staged_rollback(&st);
		return -1;
	}
	if ((r = staged_commit(&st, 0)) < 0)
		return error("Could not write %s: %s", dst, strerror(-r));
	return 0;
}

int action_mktarball(struct dkms *d)
{
	struct cli *c = d->cli;
	int r = dkms_check_module_args(d, "mktarball");
	if (r)
		return r;
	const char *m = c->module, *v = c->module_version;
	if (!tree_is_added(&d->s, m, v)) {
		error("The module/version combo: %s-%s is not located in the DKMS tree.", m, v);
		return EX_NOT_ADDED;
	}
	const struct module_conf *mc;
	if ((r = dkms_read_conf(d, m, v, dkms_first_target(d), NULL, &mc)))
		return r;

	_cleanup_strv_ char **kernels = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **arches = xcalloc(1, sizeof(char *));
	struct strbuf list = {0};
	if (c->source_only) {
		strbuf_append(&list, "source-only");
	} else {
		for (size_t i = 0; c->kernelver[i]; i++) {
			const char *k = c->kernelver[i], *a = c->arch[i];
			_cleanup_free_ char *ka = name_is_safe(k) && name_is_safe(a) ? tree_ka_dir(&d->s, m, v, k, a) : NULL;
			if (!ka || !is_dir(ka)) {
				error("No modules built for %s (%s).\n"
				      "Modules must already be in the built state before using mktarball.", k, a);
				strbuf_release(&list);
				return EX_NOT_BUILT;
			}
			info("Marking modules for %s (%s) for archiving...", k, a);
			strbuf_appendf(&list, "%skernel%s-%s", list.len ? "-" : "", k, a);
			strv_pushdup(&kernels, k);
			strv_pushdup(&arches, a);
		}
	}
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_free_ char *source_dir = tree_source_dir(&d->s, m, v);
	_cleanup_free_ char *default_conf = path_join(source_dir, "dkms.conf");
	struct mk_plan plan = {.m = m, .v = v, .kernels = kernels, .arches = arches};
	info_blank();
	if (c->binaries_only) {
		info("Creating tarball structure to specifically accomodate binaries.");
		plan.conf = !str_empty(c->conf) ? c->conf : default_conf;
	} else {
		info("Marking %s for archiving...", source_dir);
		plan.source_dir = source_dir;
	}

	/* the reference counts `echo $list | wc -m`: the newline too */
	_cleanup_free_ char *klist = strbuf_steal(&list);
	_cleanup_free_ char *name = xasprintf("%s-%s-%s.dkms.tar.gz", m, v,
					      strlen(klist) + 1 > 200 ? "manykernels" : klist);
	_cleanup_free_ char *dest = xasprintf("%s/tarball/", mv);
	if (!str_empty(c->archive)) {
		const char *slash = strrchr(c->archive, '/');
		free(name);
		name = xstrdup(slash ? slash + 1 : c->archive);
		if (slash) {
			free(dest);
			dest = slash == c->archive ? xstrdup("/") : xstrndup(c->archive, (size_t)(slash - c->archive));
		}
	}
	info_blank();
	info("Tarball location: %s/%s", dest, name);
	if ((!is_dir(dest) && mkdir_p(dest, 0755) < 0) || access(dest, W_OK) != 0) {
		error("Missing write permissions for %s.", dest);
		return EX_NO_WRITE_ACCESS;
	}
	if (!name_is_safe(name) || tar_write_file(dest, name, &plan, &d->s) < 0) {
		error("Failed to make tarball.");
		return EX_NOT_BUILT;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* ldtarball: loading into the trees                                   */

/* The shallowest dkms.conf (a regular file) under root, breadth first;
 * returns its directory. */
static char *find_dkms_conf(const char *root)
{
	_cleanup_strv_ char **queue = NULL;
	strv_pushdup(&queue, root);
	for (size_t i = 0; queue[i]; i++) {
		_cleanup_free_ char *conf = path_join(queue[i], "dkms.conf");
		struct stat st;
		if (lstat(conf, &st) == 0 && S_ISREG(st.st_mode))
			return xstrdup(queue[i]);
		_cleanup_strv_ char **names = dir_list(queue[i]);
		for (size_t j = 0; names && names[j]; j++) {
			char *p = path_join(queue[i], names[j]);
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				strv_push(&queue, p);
			else
				free(p);
		}
	}
	return NULL;
}

/* PACKAGE_NAME and PACKAGE_VERSION of a dkms.conf: 0 with both set and
 * safe as path names, -1 when missing or unsafe, else the exit code of
 * reading it. */
static int read_pkginfo(struct dkms *d, const char *conf, char **m, char **v)
{
	const struct module_conf *mc;
	int r = dkms_read_conf(d, "", "", dkms_first_target(d), conf, &mc);
	if (r)
		return r;
	if (!name_is_plain(mc->package_name) || !name_is_plain(mc->package_version))
		return -1;
	*m = xstrdup(mc->package_name);
	*v = xstrdup(mc->package_version);
	return 0;
}

static int need_root(void)
{
	if (getuid() == 0)
		return 0;
	error("You must be root to use this command.");
	return EX_FAILED;
}

/* Copies src into dest (a <kernel>/<arch> directory) through a staged
 * directory, so that dest is either the old or the new one. */
static int load_ka_dir(const struct settings *s, const char *src, const char *dest)
{
	_cleanup_free_ char *why = tarball_link_escaping(src);
	if (why) {
		error("Not loading %s: %s.", dest, why);
		return -EPERM;
	}
	struct staged st;
	int r = staged_open_dir(&st, dest, s->dkms_tree);
	if (r == 0 && (r = copy_tree(src, st.path)) < 0)
		staged_rollback(&st);
	else if (r == 0)
		r = staged_commit(&st, 0);
	if (r < 0)
		error("Could not load %s: %s", dest, strerror(-r));
	return r;
}

static int load_prebuilt(struct dkms *d, const char *root, const char *m, const char *v)
{
	_cleanup_free_ char *main_tree = path_join(root, "dkms_main_tree");
	_cleanup_strv_ char **kernels = dir_list(main_tree);
	int last = 0;
	for (size_t i = 0; kernels && kernels[i]; i++) {
		const char *k = kernels[i];
		_cleanup_free_ char *kd = path_join(main_tree, k);
		if (!is_dir(kd))
			continue;
		if (!name_is_plain(k) || !looks_like_kernel(k)) {
			warn("%s in the tarball is not a kernel version. Skipping...", k);
			continue;
		}
		_cleanup_strv_ char **arches = dir_list(kd);
		for (size_t j = 0; arches && arches[j]; j++) {
			const char *a = arches[j];
			_cleanup_free_ char *src = path_join(kd, a);
			if (!is_dir(src) || a[0] == '.' || !name_is_plain(a))
				continue;
			_cleanup_free_ char *dest = tree_ka_dir(&d->s, m, v, k, a);
			if (is_dir(dest) && !d->opt.force) {
				warn("%s already exists. Skipping...", dest);
				continue;
			}
			info("Loading %s...", dest);
			_cleanup_free_ char *kdir = xasprintf("%s/%s/%s/%s", d->s.dkms_tree, m, v, k);
			int r = mkdir_p(kdir, 0755);
			if (r < 0) {
				error("Could not create %s: %s", kdir, strerror(-r));
				last = EX_FAILED;
				continue;
			}
			if (load_ka_dir(&d->s, src, dest) < 0)
				last = EX_FAILED;
		}
	}
	return last;
}

/* A binaries-only tarball with no source on the system: the tree gets a
 * source/ directory holding only dkms.conf. */
static int load_binaries_stub(struct dkms *d, const char *root, const char *m, const char *v)
{
	_cleanup_free_ char *mv = tree_mv_dir(&d->s, m, v);
	_cleanup_free_ char *source = path_join(mv, "source");
	_cleanup_free_ char *from = path_join(root, "dkms_binaries_only/dkms.conf");
	_cleanup_free_ char *to = path_join(source, "dkms.conf");
	info("Creating %s", source);
	if (is_symlink(source))
		unlink(source);
	int r = mkdir_p(source, 0755);
	if (r == 0) {
		info("Copying dkms.conf to %s ...", source);
		r = copy_file(from, to, 0644);
	}
	if (r < 0) {
		error("Could not create %s: %s", to, strerror(-r));
		return EX_FAILED;
	}
	return 0;
}

/* The unpacked archive in root, checked: into the trees. */
/* A part of the unpacked archive that is about to be copied: its links
 * must stay inside it.  0, or EX_BAD_TARBALL after a message. */
static int check_part(const char *archive, const char *part)
{
	_cleanup_free_ char *why = tarball_link_escaping(part);
	if (!why)
		return 0;
	error("Refusing to load %s: its entry %s.\nNothing was loaded.", archive, why);
	return EX_BAD_TARBALL;
}

static int load_unpacked(struct dkms *d, const char *root, const char *archive)
{
	struct cli *c = d->cli;
	_cleanup_free_ char *m = NULL, *v = NULL;
	static const char *const locs[] = {"dkms_source_tree", "dkms_binaries_only", "dkms_main_tree"};
	bool from_mktarball = false;
	for (size_t i = 0; i < ARRAY_SIZE(locs); i++) {
		_cleanup_free_ char *p = path_join(root, locs[i]);
		from_mktarball |= is_dir(p);
	}
	int r;
	if (!from_mktarball) {
		/* some other tarball of a module source: find its dkms.conf */
		_cleanup_free_ char *src = find_dkms_conf(root);
		if (!src) {
			error("Tarball does not appear to be a correctly formed DKMS archive. No dkms.conf found within it.");
			return EX_TARBALL_NO_CONF;
		}
		_cleanup_free_ char *conf = path_join(src, "dkms.conf");
		if ((r = read_pkginfo(d, conf, &m, &v)) != 0) {
			error("Malformed dkms.conf file. Cannot load source tree.");
			return EX_MALFORMED_CONF;
		}
		if (tree_is_added(&d->s, m, v) && !c->force) {
			error("%s-%s is already added!\nAborting.", m, v);
			return EX_ALREADY_LOADED;
		}
		free(m);
		free(v);
		m = v = NULL;
		if ((r = check_part(archive, src)) || (r = need_root()) || (r = add_source_tree(d, src, dkms_first_target(d), &m, &v)))
			return r;
		if (tree_is_added(&d->s, m, v))
			return 0;
		return do_add(d, m, v, dkms_first_target(d));
	}

	const char *loc = NULL;
	for (size_t i = 0; i < 2 && !loc; i++) {
		_cleanup_free_ char *conf = xasprintf("%s/%s/dkms.conf", root, locs[i]);
		if (!is_file(conf))
			continue;
		r = read_pkginfo(d, conf, &m, &v);
		if (r > 0)
			return r;
		if (r < 0) {
			fprintf(stderr, "\nMalformed dkms.conf, refusing to load.\n");
			continue;
		}
		if (tree_is_added(&d->s, m, v) && !c->force) {
			error("%s-%s is already added!\nAborting.", m, v);
			return EX_ALREADY_LOADED;
		}
		loc = locs[i];
	}
	if (!loc) {
		error("No valid dkms.conf in dkms_source_tree or dkms_binaries_only.\n"
		      "%s is not a valid DKMS tarball.", archive);
		return EX_BAD_TARBALL;
	}
	_cleanup_free_ char *main_tree = path_join(root, "dkms_main_tree");
	_cleanup_free_ char *part = path_join(root, loc);
	if ((r = check_part(archive, part)) || (is_dir(main_tree) && (r = check_part(archive, main_tree))))
		return r;
	info_blank();
	info("Loading tarball for %s-%s", m, v);
	_cleanup_free_ char *srcdir = xasprintf("%s/%s-%s", d->s.source_tree, m, v);
	bool binaries = streq(loc, "dkms_binaries_only");
	if (!binaries) {
		_cleanup_free_ char *from = path_join(root, loc);
		_cleanup_free_ char *m2 = NULL, *v2 = NULL;
		if ((r = need_root()) || (r = add_source_tree(d, from, dkms_first_target(d), &m2, &v2)))
			return r;
	} else if (!is_dir(srcdir) && (r = load_binaries_stub(d, root, m, v))) {
		return r;
	}
	/* register the module before its prebuilt modules go in, so that a
	 * failing add leaves no half-loaded version behind */
	if ((!binaries || is_dir(srcdir)) && !tree_is_added(&d->s, m, v) && (r = do_add(d, m, v, dkms_first_target(d))))
		return r;
	return load_prebuilt(d, root, m, v);
}

int action_ldtarball(struct dkms *d)
{
	struct cli *c = d->cli;
	if (getuid() != 0 && c->force) {
		error("You must be root to use this command with the --force option.");
		return EX_FAILED;
	}
	const char *archive = c->archive ? c->archive : "";
	if (str_empty(archive) || !path_exists(archive)) {
		error("%s does not exist.", archive);
		return EX_USAGE;
	}
	if (endswith(archive, ".rpm")) {
		error("Unable to install %s: loading .rpm packages is not supported; install it with rpm, then run dkms autoinstall.",
		      archive);
		return EX_UNSUPPORTED;
	}
	_cleanup_free_ char *tmpl = staged_tmp_dir(d->s.tmp_location, "ldtarball");
	if (!tmpl) {
		error("Unable to make temporary directory");
		return EX_FAILED;
	}
	int r = tarball_unpack_checked(archive, tmpl);
	if (r == 0)
		r = load_unpacked(d, tmpl, archive);
	rm_rf(tmpl);
	return r;
}
