#include "framework.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sandbox.h"
#include "shellvars.h"

const char *const framework_vars[] = {
	"source_tree", "dkms_tree", "install_tree", "tmp_location", "verbose",
	"symlink_modules", "autoinstall_all_kernels", "modprobe_on_install",
	"sign_file", "mok_signing_key", "mok_certificate",
	/* settings of newer dkms releases, accepted with the same meaning */
	"parallel_jobs", "post_transaction", "compress_gzip_opts", "compress_xz_opts",
	"compress_zstd_opts", "build_environment", "try_sign_modules",
	/* ours */
	"sign_strict",
	"artifact_cache", "artifact_cache_size",
	"build_sandbox",  /* confining builds (sandbox.h) */
	"boot_guard",     /* the boot guard (bootguard.h) */
	"compiler_launcher", /* ccache, sccache, distcc, icecc (compiler.h) */
	NULL,
};

static void set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* A value of a framework file: in a root's files, the paths are that
 * root's (tmp_location excepted: scratch space is the host's). */
static void set_path(const struct settings *s, const char *name, char **field, const char *value)
{
	static const char *const paths[] = {
		"source_tree", "dkms_tree", "install_tree", "sign_file", "mok_signing_key", "mok_certificate",
		"artifact_cache",
	};
	bool is_path = false;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		is_path |= streq(name, paths[i]);
	if (is_path && settings_in_root(s) && value[0] == '/') {
		free(*field);
		*field = settings_root_path(s, value);
	} else {
		set(field, value);
	}
}

/* The value of KEY= in os-release text, unquoted; NULL if absent. */
static char *os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t vlen = len - klen - 1;
			if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
				v++;
				vlen -= 2;
			}
			return xstrndup(v, vlen);
		}
		line = nl ? nl + 1 : NULL;
	}
	return NULL;
}

bool settings_debian_like(const struct settings *s)
{
	const char *dist = s->running_distribution ? s->running_distribution : "";
	return startswith(dist, "debian") || startswith(dist, "ubuntu");
}

char *distro_from_os_release(const char *text)
{
	_cleanup_free_ char *id = os_release_value(text, "ID");
	_cleanup_free_ char *like = os_release_value(text, "ID_LIKE");
	if (id && streq(id, "ubuntu"))
		return TAKE_PTR(id);
	if (!str_empty(like)) {
		/* ${ID_LIKE[0]} of an unquoted-assigned string: its first word
		 * only when bash would split it, i.e. never; keep it whole. */
		return TAKE_PTR(like);
	}
	return id ? TAKE_PTR(id) : xstrdup("unknown");
}

bool settings_in_root(const struct settings *s)
{
	return s->root && !streq(s->root, "/");
}

char *settings_root_path(const struct settings *s, const char *path)
{
	if (!settings_in_root(s))
		return xstrdup(path);
	size_t n = strlen(s->root);
	if (strncmp(path, s->root, n) == 0 && (path[n] == '/' || path[n] == '\0'))
		path += n; /* a host path inside the root already */
	return path_in_root(s->root, path);
}

/* path as the root sees it: a path inside the root loses the root's
 * prefix; others are left as they are. */
static char *root_view(const struct settings *s, const char *path)
{
	size_t n = strlen(s->root);
	if (!settings_in_root(s) || strncmp(path, s->root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return xstrdup(path);
	return xstrdup(path[n] ? path + n : "/");
}

/* The built-in defaults and what the environment sets. */
static void settings_defaults(struct settings *s, const char *root)
{
	struct utsname u;
	uname(&u);
	*s = (struct settings){0};
	s->root = xstrdup(root ? root : "/");
	s->conf_dir = settings_root_path(s, "/etc/dkms");
	s->dkms_tree = settings_root_path(s, "/var/lib/dkms");
	s->source_tree = settings_root_path(s, "/usr/src");
	s->install_tree = settings_root_path(s, "/lib/modules");
	s->kernel_dir_base = settings_root_path(s, "/lib/modules");
	const char *boot = getenv("DKMS_BOOT_DIR");
	s->boot_dir = str_empty(boot) ? settings_root_path(s, "/boot") : xstrdup(boot);
	const char *tmp = getenv("TMPDIR");
	s->tmp_location = xstrdup(str_empty(tmp) ? "/tmp" : tmp);
	s->verbose = xstrdup("");
	s->symlink_modules = xstrdup("");
	s->autoinstall_all_kernels = xstrdup("");
	s->modprobe_on_install = xstrdup("");
	s->current_kernel = xstrdup(u.release);
	s->current_os = xstrdup(u.sysname);
	s->machine = xstrdup(u.machine);

	/* Settings that the reference (or newer releases) take from the
	 * environment when framework.conf does not set them. */
	const char *envs[][2] = {
		{"parallel_jobs", NULL}, {"sign_file", NULL}, {"mok_signing_key", NULL},
		{"mok_certificate", NULL}, {"post_transaction", NULL}, {"sign_strict", NULL},
		{"artifact_cache", NULL}, {"artifact_cache_size", NULL}, {"build_sandbox", NULL},
		{"try_sign_modules", NULL},
		{"boot_guard", NULL},
		{"compiler_launcher", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		envs[i][1] = getenv(envs[i][0]);
	s->parallel_jobs = envs[0][1] ? xstrdup(envs[0][1]) : NULL;
	s->sign_file = envs[1][1] ? xstrdup(envs[1][1]) : NULL;
	s->mok_signing_key = envs[2][1] ? xstrdup(envs[2][1]) : NULL;
	s->mok_certificate = envs[3][1] ? xstrdup(envs[3][1]) : NULL;
	s->post_transaction = envs[4][1] ? xstrdup(envs[4][1]) : NULL;
	s->sign_strict = envs[5][1] ? xstrdup(envs[5][1]) : NULL;
	s->artifact_cache = xstrdup(envs[6][1] ? envs[6][1] : "");
	s->artifact_cache_size = xstrdup(envs[7][1] ? envs[7][1] : "2G");
	s->build_sandbox = xstrdup(envs[8][1] ? envs[8][1] : "");
	s->try_sign_modules = envs[9][1] ? xstrdup(envs[9][1]) : NULL;
	s->boot_guard = xstrdup(envs[10][1] ? envs[10][1] : "");
	s->compiler_launcher = xstrdup(envs[11][1] ? envs[11][1] : "");

	const char *addon = getenv("ADDON_MODULES_DIR");
	if (!str_empty(addon)) {
		s->addon_modules_dir = xstrdup(addon);
	} else {
		_cleanup_free_ char *osr = settings_root_path(s, "/etc/os-release");
		_cleanup_free_ char *text = NULL;
		if (read_file(osr, &text, NULL) == 0)
			s->running_distribution = distro_from_os_release(text);
		else
			s->running_distribution = xstrdup("unknown");
	}
	const char *wm = getenv("WEAK_MODULES_BIN");
	if (!str_empty(wm))
		s->weak_modules = xstrdup(wm);
}

/* framework.conf, then framework.conf.d/ *.conf in glob order. */
static char **framework_files(const struct settings *s)
{
	char **files = NULL;
	strv_push(&files, path_join(s->conf_dir, "framework.conf"));
	_cleanup_free_ char *dropins = path_join(s->conf_dir, "framework.conf.d");
	_cleanup_strv_ char **names = dir_list(dropins);
	for (size_t i = 0; names && names[i]; i++)
		if (endswith(names[i], ".conf"))
			strv_push(&files, path_join(dropins, names[i]));
	return files;
}

/* The trees as shell variables, set before the files are sourced; a
 * root's files see them as that root does. */
static char **framework_assign(const struct settings *s)
{
	char **assign = NULL;
	_cleanup_free_ char *dt = root_view(s, s->dkms_tree);
	_cleanup_free_ char *st = root_view(s, s->source_tree);
	_cleanup_free_ char *it = root_view(s, s->install_tree);
	strv_push(&assign, xasprintf("dkms_tree=%s", dt));
	strv_push(&assign, xasprintf("source_tree=%s", st));
	strv_push(&assign, xasprintf("install_tree=%s", it));
	strv_push(&assign, xasprintf("tmp_location=%s", s->tmp_location));
	return assign;
}

int settings_load(struct settings *s, const char *root)
{
	settings_defaults(s, root);
	_cleanup_strv_ char **files = framework_files(s);
	bool any = false;
	for (size_t i = 0; files[i]; i++) {
		any |= path_exists(files[i]);
		_cleanup_free_ char *text = NULL;
		if (read_file(files[i], &text, NULL) == 0 && strstr(text, "kernelver"))
			s->per_kernel = true;
	}
	if (!any)
		return 0;

	_cleanup_strv_ char **assign = framework_assign(s);
	/* Confined as dkms.conf is, when a sandbox can be made; whether one
	 * is wanted is known only from the environment yet, and a missing
	 * sandbox is said when a build or dkms.conf needs it. */
	struct sandbox sb;
	sandbox_init(&sb, s);
	sb.quiet = true;
	struct shell_eval e = {
		.files = files, .names = (char *const *)framework_vars, .assign = assign, .sandbox = &sb,
	};
	struct shvars vars = {0};
	int r = shell_eval(&e, &vars);
	sandbox_free(&sb);
	if (r < 0)
		return r;
	struct {
		const char *name;
		char **field;
	} map[] = {
		{"source_tree", &s->source_tree}, {"dkms_tree", &s->dkms_tree},
		{"install_tree", &s->install_tree}, {"tmp_location", &s->tmp_location},
		{"verbose", &s->verbose}, {"symlink_modules", &s->symlink_modules},
		{"autoinstall_all_kernels", &s->autoinstall_all_kernels},
		{"modprobe_on_install", &s->modprobe_on_install},
		{"sign_file", &s->sign_file}, {"mok_signing_key", &s->mok_signing_key},
		{"mok_certificate", &s->mok_certificate}, {"parallel_jobs", &s->parallel_jobs},
		{"post_transaction", &s->post_transaction}, {"sign_strict", &s->sign_strict},
		{"artifact_cache", &s->artifact_cache}, {"artifact_cache_size", &s->artifact_cache_size},
		{"build_sandbox", &s->build_sandbox}, {"try_sign_modules", &s->try_sign_modules}, {"boot_guard", &s->boot_guard}, {"compiler_launcher", &s->compiler_launcher},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const char *v = shvars_scalar(&vars, map[i].name);
		if (v)
			set_path(s, map[i].name, map[i].field, v);
	}
	shvars_free(&vars);
	return 0;
}

static char *dup_or_null(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

int settings_for_kernel(const struct settings *s, const char *k, const char *a, struct kernel_settings *ks)
{
	*ks = (struct kernel_settings){
		dup_or_null(s->sign_file), dup_or_null(s->mok_signing_key), dup_or_null(s->mok_certificate),
		dup_or_null(s->post_transaction),
	};
	if (!s->per_kernel)
		return 0;
	_cleanup_strv_ char **files = framework_files(s);
	_cleanup_strv_ char **assign = framework_assign(s);
	strv_push(&assign, xasprintf("kernelver=%s", k));
	strv_push(&assign, xasprintf("arch=%s", a));
	char *names[] = {"sign_file", "mok_signing_key", "mok_certificate", "post_transaction", NULL};
	struct sandbox sb;
	sandbox_init(&sb, s);
	sb.quiet = true;
	struct shell_eval e = {.files = files, .names = names, .assign = assign, .sandbox = &sb};
	struct shvars vars = {0};
	int r = shell_eval(&e, &vars);
	sandbox_free(&sb);
	if (r < 0)
		return r;
	char **fields[] = {&ks->sign_file, &ks->mok_signing_key, &ks->mok_certificate, &ks->post_transaction};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *v = shvars_scalar(&vars, names[i]);
		if (v)
			set_path(s, names[i], fields[i], v);
	}
	shvars_free(&vars);
	return 0;
}

void kernel_settings_free(struct kernel_settings *ks)
{
	free(ks->sign_file);
	free(ks->mok_signing_key);
	free(ks->mok_certificate);
	free(ks->post_transaction);
	*ks = (struct kernel_settings){0};
}

void settings_free(struct settings *s)
{
	char **fields[] = {
		&s->root, &s->conf_dir, &s->dkms_tree, &s->source_tree, &s->install_tree,
		&s->kernel_dir_base, &s->boot_dir, &s->tmp_location, &s->verbose,
		&s->symlink_modules, &s->autoinstall_all_kernels, &s->modprobe_on_install,
		&s->sign_file, &s->mok_signing_key, &s->mok_certificate, &s->parallel_jobs,
		&s->post_transaction, &s->sign_strict, &s->artifact_cache, &s->artifact_cache_size, &s->build_sandbox,
		&s->try_sign_modules,
		&s->compiler_launcher,
		&s->running_distribution, &s->addon_modules_dir,
		&s->boot_guard,
		&s->weak_modules, &s->current_kernel, &s->current_os, &s->machine,
		&s->kernel_source_dir, &s->kernel_config,
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
}
