#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util/spawn.h"

/* How the sandbox is made, and why this way (Debian bookworm, as root):
 *
 * root starts bwrap without a user namespace: bwrap then makes the mount,
 * PID, IPC, UTS and network namespaces with root's own privileges, so it
 * can bind any path dkms names, even below a directory only root may
 * enter (a private mkdtemp directory under /tmp), and it does not depend
 * on unprivileged user namespaces, which some systems turn off.  bwrap run
 * by root keeps every capability unless told otherwise: it keeps only
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP, which setpriv then uses to
 * become nobody and drop the bounding set before the command starts; the
 * command runs with no capability at all, no_new_privs set (bwrap's), and
 * cannot get root back.
 *
 * Not "bwrap --unshare-user --uid 65534" run by root: that maps the
 * sandbox's uid to root's outside, so the command would still own every
 * root file (only the read-only mounts stop it writing them) and would be
 * trusted as root by root-only sockets (systemd, D-Bus), which read-only
 * mounts and a network namespace do not close.
 *
 * nobody must be able to write the build directory: dkms gives it to
 * nobody (sandbox_give) for the confined steps and takes it back before
 * using what they made as root.
 *
 * dkms run by another user (status, or builds in a tree of one's own)
 * confines the same way but keeps that user, in an unprivileged user
 * namespace; where those are off, it runs unconfined without a warning:
 * nothing it runs has root's privileges then either. */

static const char *const confine[] = {
	"--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid", "--unshare-ipc",
	"--unshare-uts", "--unshare-cgroup-try", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
	"--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm",
	"--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
	NULL,
};

static const char *const keep_setuid_only[] = {
	"--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
	NULL,
};

static const char *const drop_to_nobody[] = {
	"--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--",
	NULL,
};

static char **confined_argv(const struct sandbox *sb, const char *cwd, char *const *cmd, bool show);

/* What the first use found: the programs, or why there is no sandbox. */
static struct {
	bool tried, works, warned, warned_value, warned_root;
	bool as_root;  /* the command becomes nobody; else it keeps its user */
	char *bwrap, *setpriv;
	char *why_not;
} probe;

int sandbox_mode_parse(const char *value, enum sandbox_mode *out)
{
	static const char *const on[] = {"yes", "y", "true", "1", "on", "required"};
	static const char *const off[] = {"no", "n", "false", "0", "off"};
	*out = SANDBOX_AUTO;
	if (str_empty(value) || strcasecmp(value, "auto") == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(on); i++)
		if (strcasecmp(value, on[i]) == 0)
			return *out = SANDBOX_REQUIRED, 0;
	for (size_t i = 0; i < ARRAY_SIZE(off); i++)
		if (strcasecmp(value, off[i]) == 0)
			return *out = SANDBOX_OFF, 0;
	return -EINVAL;
}

/* Runs `true` in the sandbox, once: bwrap may be installed and still
 * unable to make namespaces (in a container without CAP_SYS_ADMIN, or
 * where seccomp forbids them), which only trying tells. */
static void sandbox_probe(void)
{
	if (probe.tried)
		return;
	probe.tried = true;
	probe.as_root = geteuid() == 0;
	probe.bwrap = program_in_path("bwrap");
	probe.setpriv = probe.as_root ? program_in_path("setpriv") : xstrdup("setpriv");
	if (!probe.bwrap || !probe.setpriv) {
		probe.why_not = xasprintf("%s is not installed (package %s)", probe.bwrap ? "setpriv" : "bwrap",
					  probe.bwrap ? "util-linux" : "bubblewrap");
		return;
	}
	char *cmd[] = {"true", NULL};
	_cleanup_strv_ char **argv = confined_argv(&(struct sandbox){0}, "/", cmd, false);
	struct strbuf err = {0};
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true, .capture_child_fd = 2, .capture = &err};
	int r = spawn_run(argv, &o);
	probe.works = r == 0;
	if (r != 0) {
		const char *text = err.buf ? err.buf : "";
		size_t n = strcspn(text, "\n");
		probe.why_not = n ? xstrndup(text, n)
			: r < 0 ? xasprintf("bwrap could not be started: %s", strerror(-r))
				: xasprintf("bwrap exited with status %d", r);
	}
	strbuf_release(&err);
}

int sandbox_decide(enum sandbox_mode mode, bool quiet)
{
	if (mode == SANDBOX_OFF)
		return 0;
	sandbox_probe();
	if (probe.works)
		return 1;
	if (mode == SANDBOX_REQUIRED) {
		error("build_sandbox=\"yes\" but no sandbox can be made here: %s.", probe.why_not);
		return -ENOTSUP;
	}
	if (!quiet && !probe.warned && probe.as_root) {
		probe.warned = true;
		warn("builds and dkms.conf run unconfined, as root: %s; build_sandbox=\"no\" in framework.conf accepts this.",
		     probe.why_not);
	}
	return 0;
}

void sandbox_decide_early(const struct settings *s)
{
	enum sandbox_mode mode;
	sandbox_mode_parse(s->build_sandbox, &mode);
	/* a required sandbox that cannot be made fails each build, said there */
	if (mode == SANDBOX_AUTO)
		sandbox_decide(mode, false);
}

/* Kept as given, and resolved only when a command is confined
 * (add_binds): status and check make a sandbox for every dkms.conf they
 * read and run bash for none of them. */
void sandbox_show(struct sandbox *sb, const char *path)
{
	if (!str_empty(path) && !strv_contains(sb->visible, path))
		strv_pushdup(&sb->visible, path);
}

static void graft(struct sandbox *sb, const char *src, const char *dest)
{
	strv_pushdup(&sb->grafts, src);
	strv_pushdup(&sb->grafts, dest);
}

/* The root's directories that kernel headers name by absolute path, at
 * those paths (see sandbox_init in sandbox.h). */
static void root_grafts(struct sandbox *sb, const struct settings *s)
{
	_cleanup_free_ char *src = path_in_root(s->root, "/usr/src");
	graft(sb, src, "/usr/src");
	_cleanup_free_ char *host_modules = realpath("/lib/modules", NULL);
	graft(sb, s->kernel_dir_base, host_modules ? host_modules : "/lib/modules");
	_cleanup_free_ char *lib = path_in_root(s->root, "/usr/lib");
	_cleanup_free_ char *host_lib = realpath("/usr/lib", NULL);
	_cleanup_strv_ char **names = dir_list(lib);
	for (size_t i = 0; host_lib && names && names[i]; i++) {
		if (!startswith(names[i], "linux-kbuild-"))
			continue;
		_cleanup_free_ char *from = path_join(lib, names[i]);
		_cleanup_free_ char *to = path_join(host_lib, names[i]);
		graft(sb, from, to);
	}
}

void sandbox_init(struct sandbox *sb, const struct settings *s)
{
	*sb = (struct sandbox){0};
	if (sandbox_mode_parse(s->build_sandbox, &sb->mode) < 0 && !probe.warned_value) {
		probe.warned_value = true;
		warn("build_sandbox=\"%s\" is none of yes, no or auto: taken as auto.", s->build_sandbox);
	}
	if (settings_in_root(s)) {
		if (sb->mode == SANDBOX_OFF && !probe.warned_root) {
			probe.warned_root = true;
			warn("build_sandbox=\"%s\" is not followed with --root: builds need the sandbox to see the kernel headers of %s.",
			     s->build_sandbox, s->root);
		}
		sb->mode = SANDBOX_REQUIRED;
		root_grafts(sb, s);
		/* the root's files name each other by relative paths too */
		sandbox_show(sb, s->root);
	}
	const char *paths[] = {
		s->dkms_tree, s->source_tree, s->install_tree, s->kernel_dir_base, s->conf_dir,
		s->kernel_source_dir, s->kernel_config,
	};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		sandbox_show(sb, paths[i]);
}

void sandbox_set_writable(struct sandbox *sb, const char *dir)
{
	free(sb->writable);
	sb->writable = realpath(dir, NULL);
	if (!sb->writable)
		sb->writable = xstrdup(dir);
}

void sandbox_add_writable(struct sandbox *sb, const char *dir)
{
	_cleanup_free_ char *real = realpath(dir, NULL);
	if (real && !strv_contains(sb->writable_more, real))
		strv_pushdup(&sb->writable_more, real);
}

void sandbox_free(struct sandbox *sb)
{
	free(sb->writable);
	strv_free(sb->writable_more);
	strv_free(sb->visible);
	strv_free(sb->grafts);
	*sb = (struct sandbox){0};
}

/* path is dir or below it. */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int by_length(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? -1 : la > lb;
}

/* nobody may enter dir (ACLs aside). */
static bool nobody_can_search(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	return (st.st_mode & S_IXOTH) || (st.st_uid == SANDBOX_UID && (st.st_mode & S_IXUSR)) ||
	       (st.st_gid == SANDBOX_GID && (st.st_mode & S_IXGRP));
}

/* A directory whose contents the confined command does not see: /tmp,
 * and for root's sandbox every directory nobody may not enter (/root, a
 * mkdtemp directory...).  In the sandbox it is an empty tmpfs, which hides
 * nothing nobody could see, and what dkms names inside is bound back. */
static bool is_private(const char *dir)
{
	return streq(dir, "/tmp") || (probe.as_root && !nobody_can_search(dir));
}

/* The highest private directory strictly above path; NULL if none. */
static char *private_above(const char *path)
{
	char *dir = xstrdup(path);
	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (is_private(dir))
			return dir;
		*s = '/';
	}
	free(dir);
	return NULL;
}

struct binds {
	char **argv;
	char **masked, **made, **bound;
};

static void push_words(char ***argv, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strv_pushdup(argv, words[i]);
}

/* path bound on itself (how: --ro-bind or --bind).  Below a private
 * directory, that directory becomes an empty tmpfs (/tmp is one already)
 * and those between it and path are made there, searchable (0755). */
static void bind_path(struct binds *bb, const char *path, const char *how)
{
	_cleanup_free_ char *mask = private_above(path);
	if (!mask) {
		/* seen through the read-only / already */
		if (streq(how, "--bind"))
			push_words(&bb->argv, (const char *[]){how, path, path}, 3);
		return;
	}
	if (!strv_contains(bb->masked, mask)) {
		strv_pushdup(&bb->masked, mask);
		if (!streq(mask, "/tmp"))
			push_words(&bb->argv, (const char *[]){"--perms", "0755", "--tmpfs", mask}, 4);
	}
	_cleanup_free_ char *dir = xstrdup(path);
	for (char *s = strchr(dir + strlen(mask) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (!strv_contains(bb->made, dir)) {
			strv_pushdup(&bb->made, dir);
			push_words(&bb->argv, (const char *[]){"--perms", "0755", "--dir", dir}, 4);
		}
		*s = '/';
	}
	push_words(&bb->argv, (const char *[]){how, path, path}, 3);
	strv_pushdup(&bb->bound, path);
}

static bool is_bound(const struct binds *bb, const char *path)
{
	for (size_t j = 0; bb->bound && bb->bound[j]; j++)
		if (path_within(path, bb->bound[j]))
			return true;
	return false;
}

/* What must be seen, read-only (parents first, each once; a directory
 * nobody may not enter is of no use bound), then the writable directory
 * on top. */
static void add_binds(char ***argv, const struct sandbox *sb, const char *cwd)
{
	struct binds bb = {.argv = *argv};
	_cleanup_strv_ char **paths = NULL;
	for (size_t i = 0; sb->visible && sb->visible[i]; i++) {
		char *real = realpath(sb->visible[i], NULL);
		if (real && !strv_contains(paths, real))
			strv_push(&paths, real);
		else
			free(real);
	}
	_cleanup_free_ char *real_cwd = cwd ? realpath(cwd, NULL) : NULL;
	if (real_cwd && !strv_contains(paths, real_cwd))
		strv_pushdup(&paths, real_cwd);
	qsort(paths, strv_len(paths), sizeof(char *), by_length);
	for (size_t i = 0; paths && paths[i]; i++)
		if (!is_bound(&bb, paths[i]) && !(is_dir(paths[i]) && is_private(paths[i])))
			bind_path(&bb, paths[i], "--ro-bind");
	if (sb->writable && is_bound(&bb, sb->writable))
		push_words(&bb.argv, (const char *[]){"--bind", sb->writable, sb->writable}, 3);
	else if (sb->writable)
		bind_path(&bb, sb->writable, "--bind");
	for (size_t i = 0; sb->writable_more && sb->writable_more[i]; i++)
		bind_path(&bb, sb->writable_more[i], "--bind");
	*argv = bb.argv;
	strv_free(bb.masked);
	strv_free(bb.made);
	strv_free(bb.bound);
}

/* The host's entries of dir, bound back on a tmpfs over dir, except
 * those a graft replaces: how a graft gets a place where the host has
 * nothing (bwrap cannot make one in the read-only /). */
static void rebind_entries(char ***argv, const char *dir, char *const *grafts)
{
	push_words(argv, (const char *[]){"--perms", "0755", "--tmpfs", dir}, 4);
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = path_join(dir, names[i]);
		bool grafted = false;
		for (size_t g = 0; grafts[g]; g += 2)
			grafted |= streq(grafts[g + 1], p);
		char target[PATH_MAX];
		ssize_t n = grafted ? -1 : readlink(p, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			push_words(argv, (const char *[]){"--symlink", target, p}, 3);
		} else if (!grafted) {
			push_words(argv, (const char *[]){"--ro-bind", p, p}, 3);
		}
	}
}

/* Another root's directories where the host's would be: bound over an
 * existing directory, else in the tmpfs its parent becomes; a directory
 * the root lacks is an empty one, never the host's. */
static void add_grafts(char ***argv, char *const *grafts)
{
	_cleanup_strv_ char **parents = NULL;
	for (size_t g = 0; grafts && grafts[g]; g += 2) {
		if (is_dir(grafts[g + 1]))
			continue;
		_cleanup_free_ char *parent = xstrndup(grafts[g + 1], (size_t)(strrchr(grafts[g + 1], '/') - grafts[g + 1]));
		if (*parent && is_dir(parent) && !strv_contains(parents, parent)) {
			strv_pushdup(&parents, parent);
			rebind_entries(argv, parent, grafts);
		}
	}
	for (size_t g = 0; grafts && grafts[g]; g += 2) {
		if (is_dir(grafts[g]))
			push_words(argv, (const char *[]){"--ro-bind", grafts[g], grafts[g + 1]}, 3);
		else
			push_words(argv, (const char *[]){"--perms", "0755", "--tmpfs", grafts[g + 1]}, 4);
	}
}

/* For --verbose: the sandbox's part of argv, quoted where needed, and the
 * command's first word (the command itself is shown by the caller). */
static void show_argv(char *const *argv, size_t n_prefix)
{
	if (!log_verbose())
		return;
	struct strbuf sb = {0};
	for (size_t i = 0; i <= n_prefix && argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/.,:=+-_@%") ==
			strlen(a);
		strbuf_appendf(&sb, i ? " %s%s%s" : "%s%s%s", plain ? "" : "'", a, plain ? "" : "'");
	}
	if (argv[n_prefix] && argv[n_prefix + 1])
		strbuf_append(&sb, " ...");
	debug("Sandbox: %s", sb.buf);
	strbuf_release(&sb);
}

static char **confined_argv(const struct sandbox *sb, const char *cwd, char *const *cmd, bool show)
{
	char **argv = NULL;
	_cleanup_free_ char *here = cwd ? xstrdup(cwd) : getcwd(NULL, 0);
	strv_pushdup(&argv, probe.bwrap);
	for (size_t i = 0; confine[i]; i++)
		if (!(sb->share_net && streq(confine[i], "--unshare-net")))
			strv_pushdup(&argv, confine[i]);
	for (size_t i = 0; probe.as_root && keep_setuid_only[i]; i++)
		strv_pushdup(&argv, keep_setuid_only[i]);
	if (!probe.as_root)
		strv_pushdup(&argv, "--unshare-user");
	add_grafts(&argv, sb->grafts);
	add_binds(&argv, sb, here);
	strv_pushdup(&argv, "--chdir");
	strv_pushdup(&argv, here ? here : "/");
	strv_pushdup(&argv, "--");
	if (probe.as_root) {
		strv_pushdup(&argv, probe.setpriv);
		for (size_t i = 0; drop_to_nobody[i]; i++)
			strv_pushdup(&argv, drop_to_nobody[i]);
	}
	size_t n_prefix = strv_len(argv);
	for (size_t i = 0; cmd[i]; i++)
		strv_pushdup(&argv, cmd[i]);
	if (show)
		show_argv(argv, n_prefix);
	return argv;
}

int sandbox_wrap(const struct sandbox *sb, const char *cwd, char *const *cmd, char ***out)
{
	int on = sb ? sandbox_decide(sb->mode, sb->quiet) : 0;
	*out = NULL;
	if (on < 0)
		return on;
	if (on)
		*out = confined_argv(sb, cwd, cmd, true);
	else
		for (size_t i = 0; cmd[i]; i++)
			strv_pushdup(out, cmd[i]);
	return 0;
}

/* nftw has no argument for its callback: the owner being set. */
static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(p, chown_uid, chown_gid) < 0 && errno != ENOENT ? -1 : 0;
}

/* FTW_PHYS: links are changed, never followed; FTW_MOUNT: nothing
 * mounted below is touched.  Nothing confined runs
 * any more when ownership goes back to root (bwrap's PID namespace ends
 * with its command), so the tree does not change under the walk. */
static int chown_tree(const char *dir, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	return nftw(dir, chown_one, 32, FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

/* Only root's sandbox changes user: another user's keeps its own. */
int sandbox_give(const char *dir)
{
	return probe.as_root ? chown_tree(dir, SANDBOX_UID, SANDBOX_GID) : 0;
}

int sandbox_take_back(const char *dir)
{
	return probe.as_root ? chown_tree(dir, 0, 0) : 0;
}

bool sandbox_file_inside(const char *dir, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	_cleanup_free_ char *rd = realpath(dir, NULL);
	_cleanup_free_ char *rp = realpath(path, NULL);
	return rd && rp && path_within(rp, rd) && !streq(rp, rd);
}
