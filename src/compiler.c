#include "compiler.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "util/spawn.h"

/* ---- the kernel's compiler (pure) ---------------------------------- */

/* The leading number of s when s is a version ("12", "12.2.0"); 0 if not. */
static int leading_major(const char *s)
{
	if (!s || !isdigit((unsigned char)*s))
		return 0;
	long v = strtol(s, NULL, 10);
	return v > 0 && v < 1000 ? (int)v : 0;
}

int compiler_text_major(const char *text)
{
	if (!text)
		return 0;
	/* clang: "... clang version 14.0.6 ..." */
	const char *v = strstr(text, "version ");
	if (v && leading_major(v + strlen("version ")))
		return leading_major(v + strlen("version "));
	/* gcc: "<name> (<vendor's version>) 12.2.0" */
	const char *paren = strrchr(text, ')');
	if (paren) {
		const char *p = paren + 1;
		while (*p == ' ')
			p++;
		if (leading_major(p))
			return leading_major(p);
	}
	/* else the first word that looks like N.N */
	for (const char *p = text; *p; p++) {
		if ((p == text || p[-1] == ' ') && leading_major(p) && p[strspn(p, "0123456789")] == '.')
			return leading_major(p);
	}
	return 0;
}

int compiler_dumpversion_major(const char *out)
{
	if (!out)
		return 0;
	while (isspace((unsigned char)*out))
		out++;
	return leading_major(out);
}

int compiler_of_kernel(const char *config, struct cc_info *out)
{
	*out = (struct cc_info){0};
	if (!config)
		return -ENOENT;
	_cleanup_free_ char *text = kconfig_get(config, "CONFIG_CC_VERSION_TEXT");
	out->clang = kconfig_enabled(config, "CONFIG_CC_IS_CLANG") || (text && strstr(text, "clang"));
	_cleanup_free_ char *num = kconfig_get(config, out->clang ? "CONFIG_CLANG_VERSION" : "CONFIG_GCC_VERSION");
	/* 120200 for 12.2.0 */
	long n = num ? strtol(num, NULL, 10) : 0;
	if (n >= 10000)
		out->major = (int)(n / 10000);
	else
		out->major = compiler_text_major(text);
	/* the program's name: "gcc-12 (Debian ...)", not "Debian clang version ..." */
	_cleanup_free_ char *first = text ? xstrndup(text, strcspn(text, " ")) : NULL;
	if (first && (strstr(first, "gcc") || strstr(first, "clang")))
		out->name = TAKE_PTR(first);
	return text || out->major ? 0 : -ENOENT;
}

void cc_info_free(struct cc_info *c)
{
	free(c->name);
	*c = (struct cc_info){0};
}

char *make_line_cc(const char *make_command)
{
	for (const char *p = make_command ? strstr(make_command, "CC=") : NULL; p; p = strstr(p + 1, "CC=")) {
		char before = p == make_command ? ' ' : p[-1];
		if (before != ' ' && before != '\t' && before != '"' && before != '\'')
			continue;
		const char *v = p + 3;
		/* 'CC=a b', CC='a b', CC=a */
		char quote = before == ' ' || before == '\t' ? (*v == '"' || *v == '\'' ? *v++ : '\0') : before;
		return xstrndup(v, quote ? strcspn(v, (char[]){quote, '\0'}) : strcspn(v, " \t;&|"));
	}
	return NULL;
}

char *compiler_describe(bool clang, int major)
{
	return major ? xasprintf("%s %d", clang ? "clang" : "gcc", major) : xstrdup(clang ? "clang" : "gcc");
}

/* ---- finding compilers ---------------------------------------------- */

char *compiler_find(const char *name)
{
	_cleanup_free_ char *prog = xstrndup(name, strcspn(name, " "));
	return program_in_path(prog);
}

/* The major version of compiler `name` (its first word), -1 when it is
 * not installed, 0 when it does not say; asked once per process. */
/* The major version a compiler's file name carries, as Debian names them
 * (gcc-12, x86_64-linux-gnu-gcc-12, clang-14: what /usr/bin/gcc and
 * /usr/bin/clang link to), or 0 when it carries none. */
static int major_from_file_name(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dash = strrchr(base, '-');
	if (!dash || !dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return 0;
	size_t n = (size_t)(dash - base);
	bool gcc = n >= 3 && strncmp(dash - 3, "gcc", 3) == 0;
	bool clang = n >= 5 && strncmp(dash - 5, "clang", 5) == 0;
	return gcc || clang ? atoi(dash + 1) : 0;
}

static int compiler_major(const char *name)
{
	static struct {
		char *name;
		int major;
	} seen[16];
	static size_t n_seen;
	for (size_t i = 0; i < n_seen; i++)
		if (streq(seen[i].name, name))
			return seen[i].major;
	_cleanup_free_ char *prog = xstrndup(name, strcspn(name, " "));
	_cleanup_free_ char *found = program_in_path(prog);
	int major = -1;
	_cleanup_free_ char *real = found ? realpath(found, NULL) : NULL;
	if (real && (major = major_from_file_name(real)) > 0) {
		/* no compiler started: a build taken from the artifact cache
		 * runs none */
		debug("Compiler %s: %s, major version %d.", name, real, major);
	} else if (found) {
		struct strbuf out = {0};
		char *argv[] = {found, "-dumpversion", NULL};
		struct spawn_opts o = {.err_fd = -1, .null_stdin = true, .capture_child_fd = 1, .capture = &out};
		major = spawn_run(argv, &o) == 0 ? compiler_dumpversion_major(out.buf) : 0;
		strbuf_release(&out);
		debug("Compiler %s: %s -dumpversion says major version %d.", name, found, major);
	}
	if (n_seen < ARRAY_SIZE(seen)) {
		seen[n_seen].name = xstrdup(name);
		seen[n_seen++].major = major;
	}
	return major;
}

/* An installed compiler of the kernel's family and major version: the
 * kernel's own name, then gcc-N (clang-N), then <arch>-linux-gnu-gcc-N.
 * NULL when none is. */
static char *matching_compiler(const struct cc_info *k, const char *arch)
{
	const char *family = k->clang ? "clang" : "gcc";
	_cleanup_free_ char *versioned = xasprintf("%s-%d", family, k->major);
	_cleanup_free_ char *triplet = xasprintf("%s-linux-gnu-%s-%d", arch, family, k->major);
	const char *names[] = {k->name, versioned, triplet};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && compiler_major(names[i]) == k->major)
			return xstrdup(names[i]);
	return NULL;
}

/* ---- the choice for one build --------------------------------------- */

static char *installed_as(const char *name, int major)
{
	if (major < 0)
		return xasprintf("%s is not installed", name);
	if (major == 0)
		return xasprintf("%s does not say its version", name);
	return xasprintf("%s is %d", name, major);
}

/* The kernel's compiler, or a substitute and why, or a warning. */
static char *choose_for_kernel(const struct kernel_target *t, const struct cc_info *k, struct compiler_choice *out)
{
	const char *env_cc = getenv("CC");
	bool explicit = !str_empty(env_cc);
	const char *deflt = explicit ? env_cc : k->clang ? "clang" : "gcc";
	int dmajor = compiler_major(deflt);
	_cleanup_free_ char *built = compiler_describe(k->clang, k->major);
	_cleanup_free_ char *have = installed_as(deflt, dmajor);
	const char *pkg = k->clang ? "clang" : "gcc";
	if (explicit) {
		if (dmajor != k->major)
			out->warning = xasprintf("Kernel %s was built with %s, but CC=%s and %s: it is used all the same, "
						 "since CC is set; modules built with it may fail to build or to load "
						 "(the package %s-%d has the kernel's compiler).",
						 t->release, built, env_cc, have, pkg, k->major);
		return xstrdup(env_cc);
	}
	char *chosen = matching_compiler(k, t->arch);
	if (!chosen && dmajor == k->major)
		chosen = xstrdup(deflt);
	if (!chosen)
		out->warning = xasprintf("Kernel %s was built with %s, but %s and %s is not installed: modules built "
					 "for it may fail to build or to load. Install the package %s-%d.",
					 t->release, built, have, built, pkg, k->major);
	else if (dmajor != k->major)
		out->note = xasprintf("Using %s for kernel %s: it was built with %s, %s.", chosen, t->release, built,
				      have);
	return chosen;
}

/* The module's MAKE line sets CC: left to it, with a word when its
 * version is not the kernel's (k NULL: unknown) or a launcher is set. */
static void make_line_choice(const struct kernel_target *t, const struct cc_info *k, const char *line_cc,
			     const char *launcher, struct compiler_choice *out)
{
	debug("The module's MAKE line sets CC=%s: dkms gives make no compiler for kernel %s.", line_cc, t->release);
	if (launcher)
		out->note = xasprintf("The module's MAKE line sets CC: compiler_launcher %s is not used.", launcher);
	/* "ccache gcc-12": the compiler is the last word */
	const char *space = strrchr(line_cc, ' ');
	const char *cc = space ? space + 1 : line_cc;
	int major = k && *cc && !strchr(cc, '$') ? compiler_major(cc) : k ? k->major : 0;
	if (!k || major == k->major)
		return;
	_cleanup_free_ char *built = compiler_describe(k->clang, k->major);
	_cleanup_free_ char *have = installed_as(cc, major);
	out->warning = xasprintf("Kernel %s was built with %s, but the module's MAKE line sets CC=%s and %s: modules "
				 "built with it may fail to build or to load.",
				 t->release, built, line_cc, have);
}

/* "clang-16" gives "-16", for LLVM=; else "1". */
static char *llvm_value(const char *clang)
{
	const char *dash = strrchr(clang, '-');
	if (dash && leading_major(dash + 1) && dash[1 + strspn(dash + 1, "0123456789")] == '\0')
		return xstrdup(dash);
	return xstrdup("1");
}

void compiler_choose(const struct kernel_target *t, const char *make_command, const char *launcher,
		     struct compiler_choice *out)
{
	*out = (struct compiler_choice){0};
	struct cc_info k;
	bool known = compiler_of_kernel(t->config, &k) == 0 && k.major > 0;
	_cleanup_free_ char *line_cc = make_line_cc(make_command);
	if (line_cc) {
		make_line_choice(t, known ? &k : NULL, line_cc, launcher, out);
		cc_info_free(&k);
		return;
	}
	const char *env_cc = getenv("CC");
	char *chosen = NULL;
	bool clang = known ? k.clang : t->cc_is_clang;
	if (known)
		chosen = choose_for_kernel(t, &k, out);
	/* no kernel's compiler to be had: the launcher goes before the default */
	if (!chosen && (!str_empty(env_cc) || launcher))
		chosen = xstrdup(!str_empty(env_cc) ? env_cc : clang ? "clang" : "gcc");
	/* kbuild's own choice stays when it is right and nothing is added */
	bool give_cc = chosen && (!str_empty(env_cc) || out->note || launcher || (clang && !t->ld_is_lld));
	if (clang && t->ld_is_lld && chosen && str_empty(env_cc))
		out->llvm = llvm_value(chosen);
	if (give_cc)
		out->cc = launcher ? xasprintf("%s %s", launcher, chosen) : xstrdup(chosen);
	if (give_cc || out->llvm)
		out->compiler = TAKE_PTR(chosen);
	free(chosen);
	_cleanup_free_ char *built = known ? compiler_describe(k.clang, k.major) : NULL;
	debug("Kernel %s was built with %s%s%s%s: make gets %s%s%s%s.", t->release,
	      k.name ? k.name : "an unnamed compiler", built ? " (" : "", built ? built : "", built ? ")" : "",
	      out->cc ? "CC=" : "kbuild's own compiler", out->cc ? out->cc : "", out->llvm ? " LLVM=" : "",
	      out->llvm ? out->llvm : "");
	cc_info_free(&k);
}

void compiler_choice_free(struct compiler_choice *c)
{
	free(c->compiler);
	free(c->cc);
	free(c->llvm);
	free(c->note);
	free(c->warning);
	*c = (struct compiler_choice){0};
}

/* 'text' quoted for bash. */
static void append_quoted(struct strbuf *sb, const char *text)
{
	strbuf_append(sb, "'");
	for (const char *p = text; *p; p++)
		strbuf_append(sb, *p == '\'' ? "'\\''" : (char[]){*p, '\0'});
	strbuf_append(sb, "'");
}

char *compiler_make_vars(const struct compiler_choice *c)
{
	struct strbuf sb = {0};
	strbuf_append(&sb, "");
	if (c->cc) {
		strbuf_append(&sb, " CC=");
		append_quoted(&sb, c->cc);
	}
	if (c->llvm) {
		strbuf_append(&sb, " LLVM=");
		append_quoted(&sb, c->llvm);
	}
	return strbuf_steal(&sb);
}

char *compiler_warning(const struct kernel_target *t)
{
	struct compiler_choice c;
	compiler_choose(t, NULL, NULL, &c);
	char *w = TAKE_PTR(c.warning);
	compiler_choice_free(&c);
	return w;
}

/* ---- compiler_launcher ---------------------------------------------- */

static const char *const launcher_names[] = {
	[LAUNCHER_NONE] = "", [LAUNCHER_CCACHE] = "ccache", [LAUNCHER_SCCACHE] = "sccache",
	[LAUNCHER_DISTCC] = "distcc", [LAUNCHER_ICECC] = "icecc",
};

const char *launcher_name(enum launcher_kind kind)
{
	return launcher_names[kind];
}

int launcher_kind_of(const char *value, enum launcher_kind *kind)
{
	*kind = LAUNCHER_NONE;
	if (str_empty(value))
		return 0;
	const char *slash = strrchr(value, '/');
	const char *base = slash ? slash + 1 : value;
	for (size_t i = LAUNCHER_CCACHE; i < ARRAY_SIZE(launcher_names); i++)
		if (streq(base, launcher_names[i]))
			return *kind = (enum launcher_kind)i, 0;
	return -EINVAL;
}

int launcher_resolve(const char *value, struct launcher *l, char **why)
{
	*l = (struct launcher){0};
	*why = NULL;
	if (launcher_kind_of(value, &l->kind) < 0) {
		*why = xasprintf("compiler_launcher=\"%s\" is none of ccache, sccache, distcc or icecc (a name or a path)",
				 value);
		return -EINVAL;
	}
	if (l->kind == LAUNCHER_NONE)
		return 0;
	if (value[0] != '/' && strchr(value, '/')) {
		*why = xasprintf("compiler_launcher=\"%s\" is a relative path: give a name or an absolute path", value);
		return -EINVAL;
	}
	l->path = program_in_path(value);
	if (!l->path) {
		*why = xasprintf("compiler_launcher=\"%s\": %s is not installed (package %s)", value, value,
				 launcher_name(l->kind));
		return -ENOENT;
	}
	return 0;
}

/* The launcher's cache: the environment's, else a directory of dkms's own
 * that the sandbox's user may write (dkms makes it and gives it). */
static char *launcher_cache_dir(const char *var, const char *name)
{
	const char *set = getenv(var);
	struct stat st;
	if (!str_empty(set)) {
		mkdir_p(set, 0755);
		if (geteuid() == 0 && stat(set, &st) == 0 && st.st_uid != SANDBOX_UID && !(st.st_mode & S_IWOTH))
			warn("%s=%s is not writable by the user nobody: sandboxed builds cannot use %s's cache there.",
			     var, set, name);
		return xstrdup(set);
	}
	char *dir = xasprintf("/var/cache/dkms/%s", name);
	int r = mkdir_p(dir, 0755);
	if (r == 0 && geteuid() == 0 && lchown(dir, SANDBOX_UID, SANDBOX_GID) < 0)
		r = -errno;
	if (r < 0)
		warn("Could not make %s for %s: %s; the builds may not use the cache.", dir, name, strerror(-r));
	return dir;
}

/* The log file the environment names for the launcher, made if missing
 * (the sandbox's user's then) so that a sandboxed build may write it. */
static void launcher_log(struct launcher *l, const char *var)
{
	const char *path = getenv(var);
	if (str_empty(path) || path[0] != '/')
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (geteuid() == 0 && fchown(fd, SANDBOX_UID, SANDBOX_GID) < 0)
			warn("Could not give %s (%s) to the sandbox's user: %s.", path, var, strerror(errno));
		close(fd);
	}
	if (is_file(path))
		strv_pushdup(&l->log_files, path);
}

/* The files of ICECC_VERSION: "[platform:]path[=target]", comma-separated. */
static void icecc_environments(struct launcher *l)
{
	const char *v = getenv("ICECC_VERSION");
	_cleanup_free_ char *copy = xstrdup(v ? v : "");
	for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *path = strrchr(item, ':') ? strrchr(item, ':') + 1 : item;
		path[strcspn(path, "=")] = '\0';
		if (path[0] == '/')
			strv_pushdup(&l->visible, path);
	}
}

/* The environment names a remote storage for sccache (S3, Redis,
 * memcached, GCS, Azure, WebDAV, GitHub Actions). */
static bool sccache_remote(void)
{
	static const char *const vars[] = {
		"SCCACHE_BUCKET", "SCCACHE_ENDPOINT", "SCCACHE_REDIS", "SCCACHE_MEMCACHED", "SCCACHE_GCS_BUCKET",
		"SCCACHE_AZURE_CONNECTION_STRING", "SCCACHE_WEBDAV_ENDPOINT", "SCCACHE_GHA_ENABLED",
	};
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		if (!str_empty(getenv(vars[i])))
			return true;
	return false;
}

void launcher_prepare(struct launcher *l, char ***env)
{
	const char *const logs[] = {
		[LAUNCHER_CCACHE] = "CCACHE_LOGFILE", [LAUNCHER_SCCACHE] = "SCCACHE_ERROR_LOG",
		[LAUNCHER_DISTCC] = "DISTCC_LOG", [LAUNCHER_ICECC] = "ICECC_LOGFILE",
	};
	if (l->kind != LAUNCHER_NONE)
		launcher_log(l, logs[l->kind]);
	const char *remote = getenv("CCACHE_REMOTE_STORAGE");
	const char *secondary = getenv("CCACHE_SECONDARY_STORAGE");
	switch (l->kind) {
	case LAUNCHER_CCACHE:
		l->cache_dir = launcher_cache_dir("CCACHE_DIR", "ccache");
		env_set(env, "CCACHE_DIR", l->cache_dir);
		l->network = !str_empty(remote) || !str_empty(secondary);
		break;
	case LAUNCHER_SCCACHE:
		l->cache_dir = launcher_cache_dir("SCCACHE_DIR", "sccache");
		env_set(env, "SCCACHE_DIR", l->cache_dir);
		/* its local server listens on loopback: the sandbox's own */
		l->network = sccache_remote();
		break;
	case LAUNCHER_ICECC:
		icecc_environments(l);
		l->network = true;
		break;
	case LAUNCHER_DISTCC:
		l->network = true;
		break;
	case LAUNCHER_NONE:
		break;
	}
}

void launcher_free(struct launcher *l)
{
	free(l->path);
	free(l->cache_dir);
	strv_free(l->log_files);
	strv_free(l->visible);
	*l = (struct launcher){0};
}
