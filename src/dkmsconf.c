#include "dkmsconf.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evalcache.h"
#include "kernel.h"
#include "log.h"
#include "sandbox.h"

const char *const dkms_conf_vars[] = {
	"CLEAN", "PACKAGE_NAME", "PACKAGE_VERSION", "POST_ADD", "POST_BUILD",
	"POST_INSTALL", "POST_REMOVE", "PRE_BUILD", "PRE_INSTALL", "BUILD_DEPENDS",
	"BUILD_EXCLUSIVE_KERNEL", "BUILD_EXCLUSIVE_ARCH", "BUILD_EXCLUSIVE_CONFIG",
	"build_exclude", "OBSOLETE_BY", "MAKE", "MAKE_MATCH", "PATCH", "PATCH_MATCH",
	"patch_array", "BUILT_MODULE_NAME", "built_module_name", "BUILT_MODULE_LOCATION",
	"built_module_location", "DEST_MODULE_NAME", "dest_module_name",
	"DEST_MODULE_LOCATION", "dest_module_location", "STRIP", "strip", "AUTOINSTALL",
	"NO_WEAK_MODULES", "SIGN_FILE", "MOK_SIGNING_KEY", "MOK_CERTIFICATE",
	"REMAKE_INITRD", "MODULES_CONF", "MODULES_CONF_OBSOLETES",
	"MODULES_CONF_ALIAS_TYPE", "MODULES_CONF_OBSOLETE_ONLY",
	/* directives of newer dkms releases */
	"BUILD_EXCLUSIVE_KERNEL_MIN", "BUILD_EXCLUSIVE_KERNEL_MAX", "BUILD_DEPENDS_REBUILD",
	NULL,
};

/* REMAKE_INITRD is deprecated in dkms 3.0.10 but acted upon here (the
 * initramfs is regenerated), so it draws no warning. */
static const char *const deprecated_vars[] = {
	"MODULES_CONF", "MODULES_CONF_OBSOLETES",
	"MODULES_CONF_ALIAS_TYPE", "MODULES_CONF_OBSOLETE_ONLY", NULL,
};

/* The expressions compiled so far, kept: status matches one module's
 * BUILD_EXCLUSIVE_KERNEL against every kernel. */
struct compiled_re {
	char *re;
	regex_t rx;
	bool ok;
};

int bash_regex_match(const char *s, const char *re)
{
	static struct compiled_re kept[16];
	static size_t next;
	struct compiled_re *c = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kept) && !c; i++)
		if (kept[i].re && streq(kept[i].re, re))
			c = &kept[i];
	if (!c) {
		c = &kept[next];
		next = (next + 1) % ARRAY_SIZE(kept);
		if (c->re && c->ok)
			regfree(&c->rx);
		free(c->re);
		c->re = xstrdup(re);
		c->ok = regcomp(&c->rx, re, REG_EXTENDED | REG_NOSUB) == 0;
	}
	if (!c->ok)
		return -1;
	return regexec(&c->rx, s, 0, NULL, 0) == 0;
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* The distribution's choice of where modules go (the reference's
 * override_dest_module_location). */
static char *override_dest_location(const struct settings *s, const char *orig)
{
	if (!str_empty(s->addon_modules_dir))
		return xasprintf("/%s", s->addon_modules_dir);
	const char *d = s->running_distribution ? s->running_distribution : "";
	if (startswith(d, "fedora") || startswith(d, "rhel") || startswith(d, "ovm"))
		return xstrdup("/extra");
	if (startswith(d, "sles") || startswith(d, "suse") || startswith(d, "opensuse"))
		return xstrdup("/updates");
	if (startswith(d, "debian") || startswith(d, "ubuntu") || startswith(d, "arch"))
		return xstrdup("/updates/dkms");
	return dup_or_empty(orig);
}

static void exclude(struct module_conf *mc, char *why)
{
	mc->build_exclude = true;
	if (!mc->exclude_reason)
		mc->exclude_reason = why;
	else
		free(why);
}

/* A yes/no directive of newer releases, as they read it: "yes" in any
 * case is set, anything else is not (conf_yes_no_bad says what is
 * refused). */
static bool yes_value(const char *val)
{
	return val && strcasecmp(val, "yes") == 0;
}

static int conf_yes_no_bad(const struct module_conf *mc, const char *name)
{
	const char *val = shvars_scalar(&mc->vars, name);
	if (str_empty(val) || strcasecmp(val, "yes") == 0 || strcasecmp(val, "no") == 0)
		return 0;
	fprintf(stderr, "dkms.conf: Error! Unsupported %s value '%s'\n", name, val);
	return 1;
}

/* A record naming the same module as an earlier one: by its built name
 * and location, or by its destination name. */
static int conf_duplicates(const struct module_conf *mc, const char *directive, bool built)
{
	int bad = 0;
	for (size_t i = 0; i < mc->n_mods; i++) {
		const struct conf_module *a = &mc->mods[i];
		for (size_t j = 0; j < i; j++) {
			const struct conf_module *b = &mc->mods[j];
			bool same = built ? streq(a->built_name, b->built_name) && streq(a->built_location, b->built_location)
					  : streq(a->dest_name, b->dest_name);
			if (!same)
				continue;
			fprintf(stderr, "dkms.conf: Error! Duplicate module '%s%s' in '%s[%zu]'.\n",
				built ? a->built_location : "", built ? a->built_name : a->dest_name, directive, i);
			bad = 1;
			break;
		}
	}
	return bad;
}

int module_conf_check_names(const struct module_conf *mc)
{
	int bad = conf_duplicates(mc, "BUILT_MODULE_NAME", true);
	bad |= conf_duplicates(mc, "DEST_MODULE_NAME", false);
	return bad ? -EINVAL : 0;
}

/* The scripts, flags and BUILD_DEPENDS. */
static void conf_scalars(struct module_conf *mc)
{
	struct shvars *v = &mc->vars;
	mc->package_name = dup_or_empty(shvars_scalar(v, "PACKAGE_NAME"));
	mc->package_version = dup_or_empty(shvars_scalar(v, "PACKAGE_VERSION"));
	mc->clean = dup_or_empty(shvars_scalar(v, "CLEAN"));
	mc->pre_build = dup_or_empty(shvars_scalar(v, "PRE_BUILD"));
	mc->post_build = dup_or_empty(shvars_scalar(v, "POST_BUILD"));
	mc->pre_install = dup_or_empty(shvars_scalar(v, "PRE_INSTALL"));
	mc->post_install = dup_or_empty(shvars_scalar(v, "POST_INSTALL"));
	mc->post_add = dup_or_empty(shvars_scalar(v, "POST_ADD"));
	mc->post_remove = dup_or_empty(shvars_scalar(v, "POST_REMOVE"));
	mc->obsolete_by = dup_or_empty(shvars_scalar(v, "OBSOLETE_BY"));
	mc->autoinstall = !str_empty(shvars_scalar(v, "AUTOINSTALL"));
	mc->no_weak_modules = !str_empty(shvars_scalar(v, "NO_WEAK_MODULES"));
	mc->remake_initrd = shvars_count(v, "REMAKE_INITRD") > 0 &&
			    (shvars_scalar(v, "REMAKE_INITRD")[0] == 'y' ||
			     shvars_scalar(v, "REMAKE_INITRD")[0] == 'Y');
	mc->build_depends_rebuild = yes_value(shvars_scalar(v, "BUILD_DEPENDS_REBUILD"));
	mc->build_depends = xcalloc(1, sizeof(char *));
	const struct shvar *bd = shvars_get(v, "BUILD_DEPENDS");
	for (size_t i = 0; bd && i < bd->n; i++) {
		/* "${BUILD_DEPENDS[@]}" word-split, as the reference uses it */
		if (!bd->vals[i])
			continue;
		_cleanup_free_ char *copy = xstrdup(bd->vals[i]);
		for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
			strv_pushdup(&mc->build_depends, w);
	}
}

/* STRIP[i]: "no" or "yes"; unset: the first record's, else yes. */
static bool conf_strip(const struct module_conf *mc, size_t i)
{
	const char *st = shvars_at(&mc->vars, "STRIP", i);
	if (st && (st[0] == 'n' || st[0] == 'N'))
		return false;
	if (str_empty(st) && i > 0)
		return mc->mods[0].strip;
	return true;
}

/* Record i's names and locations, defaulted and checked: 0 or 1 (bad,
 * with the reference's message printed). */
static int conf_module(const struct settings *s, struct module_conf *mc, size_t i, size_t n_dest)
{
	struct shvars *v = &mc->vars;
	struct conf_module *m = &mc->mods[i];
	int bad = 0;
	m->built_name = dup_or_empty(shvars_at(v, "BUILT_MODULE_NAME", i));
	m->built_location = dup_or_empty(shvars_at(v, "BUILT_MODULE_LOCATION", i));
	m->dest_name = dup_or_empty(shvars_at(v, "DEST_MODULE_NAME", i));
	m->dest_location_raw = dup_or_empty(shvars_at(v, "DEST_MODULE_LOCATION", i));
	m->strip = conf_strip(mc, i);
	if (str_empty(m->built_name) && n_dest == 1) {
		free(m->built_name);
		m->built_name = xstrdup(mc->package_name);
	}
	if (str_empty(m->dest_name)) {
		free(m->dest_name);
		m->dest_name = xstrdup(m->built_name);
	}
	if (!str_empty(m->built_location) && !endswith(m->built_location, "/")) {
		char *t = xasprintf("%s/", m->built_location);
		free(m->built_location);
		m->built_location = t;
	}
	if (str_empty(m->built_name)) {
		fprintf(stderr, "dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #%zu.\n", i);
		bad = 1;
	}
	if (endswith(m->built_name, ".o") || endswith(m->built_name, ".ko")) {
		fprintf(stderr, "dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #%zu.\n", i);
		bad = 1;
	}
	if (endswith(m->dest_name, ".o") || endswith(m->dest_name, ".ko")) {
		fprintf(stderr, "dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #%zu.\n", i);
		bad = 1;
	}
	/* Names become file names: no path tricks. */
	if ((!str_empty(m->built_name) && strchr(m->built_name, '/')) ||
	    (!str_empty(m->dest_name) && strchr(m->dest_name, '/'))) {
		fprintf(stderr, "dkms.conf: Error! Module names may not contain '/' in record #%zu.\n", i);
		bad = 1;
	}
	if (strstr(m->built_location, "..") || strstr(m->dest_location_raw, "..")) {
		fprintf(stderr, "dkms.conf: Error! Module locations may not contain '..' in record #%zu.\n", i);
		bad = 1;
	}
	m->dest_location = override_dest_location(s, m->dest_location_raw);
	if (str_empty(m->dest_location_raw)) {
		fprintf(stderr, "dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #%zu.\n", i);
		bad = 1;
	}
	const char *d = m->dest_location_raw;
	if (!startswith(d, "/kernel") && !startswith(d, "/updates") && !startswith(d, "/extra")) {
		fprintf(stderr, "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with\n"
				"'/kernel', '/updates', or '/extra' in record #%zu.\n", i);
		bad = 1;
	}
	return bad;
}

/* The make and clean commands: MAKE[0] unless MAKE_MATCH[0] is set; the
 * last MAKE[i] whose MAKE_MATCH[i] matches the kernel wins. */
static void conf_make(const struct conf_request *rq, struct module_conf *mc)
{
	const struct shvars *v = &mc->vars;
	const char *k = rq->t->release, *ksrc = rq->t->headers_dir;
	const char *make = NULL;
	if (str_empty(shvars_at(v, "MAKE_MATCH", 0)))
		make = shvars_at(v, "MAKE", 0);
	size_t nmake = shvars_count(v, "MAKE");
	for (size_t i = 0; i < nmake; i++) {
		const char *mk = shvars_at(v, "MAKE", i), *mm = shvars_at(v, "MAKE_MATCH", i);
		if (!str_empty(mk) && !str_empty(mm) && bash_regex_match(k, mm) == 1)
			make = mk;
	}
	_cleanup_free_ char *build_dir = xasprintf("%s/%s/%s/build", rq->s->dkms_tree,
						   rq->module ? rq->module : "", rq->module_version ? rq->module_version : "");
	if (str_empty(make))
		mc->make_command = xasprintf("make -C %s M=%s", ksrc, build_dir);
	else
		mc->make_command = xstrdup(make);
	if (str_empty(mc->clean)) {
		free(mc->clean);
		mc->clean = xasprintf("make -C %s M=%s clean", ksrc, build_dir);
	}
	if (rq->t->cc_is_clang) {
		char *t = xasprintf("%s CC=clang", mc->make_command);
		free(mc->make_command);
		mc->make_command = t;
	}
	if (rq->t->ld_is_lld) {
		char *t = xasprintf("%s LD=ld.lld", mc->make_command);
		free(mc->make_command);
		mc->make_command = t;
	}
}

/* PATCH[i] whose PATCH_MATCH[i] is empty or matches the kernel. */
static void conf_patches(const struct conf_request *rq, struct module_conf *mc)
{
	const struct shvars *v = &mc->vars;
	mc->patches = xcalloc(1, sizeof(char *));
	size_t npatch = shvars_count(v, "PATCH");
	for (size_t i = 0; i < npatch; i++) {
		const char *p = shvars_at(v, "PATCH", i), *pm = shvars_at(v, "PATCH_MATCH", i);
		if (!str_empty(p) && (str_empty(pm) || bash_regex_match(rq->t->release, pm) == 1))
			strv_pushdup(&mc->patches, p);
	}
}

/* BUILD_EXCLUSIVE_*: whether this kernel is excluded, and why. */
static void conf_exclusive(const struct conf_request *rq, struct module_conf *mc)
{
	const struct shvars *v = &mc->vars;
	const char *k = rq->t->release, *a = rq->t->arch, *kc = rq->t->config;
	const char *bek = shvars_scalar(v, "BUILD_EXCLUSIVE_KERNEL");
	if (!str_empty(bek) && bash_regex_match(k, bek) == 0)
		exclude(mc, xasprintf("kernel %s does not match BUILD_EXCLUSIVE_KERNEL=\"%s\"", k, bek));
	const char *bea = shvars_scalar(v, "BUILD_EXCLUSIVE_ARCH");
	if (!str_empty(bea) && bash_regex_match(a, bea) == 0)
		exclude(mc, xasprintf("arch %s does not match BUILD_EXCLUSIVE_ARCH=\"%s\"", a, bea));
	const char *kmin = shvars_scalar(v, "BUILD_EXCLUSIVE_KERNEL_MIN");
	if (!str_empty(kmin) && kernel_version_cmp(k, kmin) < 0)
		exclude(mc, xasprintf("kernel %s is older than BUILD_EXCLUSIVE_KERNEL_MIN=\"%s\"", k, kmin));
	const char *kmax = shvars_scalar(v, "BUILD_EXCLUSIVE_KERNEL_MAX");
	if (!str_empty(kmax) && kernel_version_cmp(k, kmax) > 0)
		exclude(mc, xasprintf("kernel %s is newer than BUILD_EXCLUSIVE_KERNEL_MAX=\"%s\"", k, kmax));
	const char *bec = shvars_scalar(v, "BUILD_EXCLUSIVE_CONFIG");
	if (str_empty(bec) || !kc)
		return;
	_cleanup_free_ char *copy = xstrdup(bec);
	for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (w[0] == '!' && kconfig_enabled(kc, w + 1))
			exclude(mc, xasprintf("kernel %s has %s set (BUILD_EXCLUSIVE_CONFIG)", k, w + 1));
		else if (w[0] != '!' && !kconfig_enabled(kc, w))
			exclude(mc, xasprintf("kernel %s does not have %s set (BUILD_EXCLUSIVE_CONFIG)", k, w));
	}
}

int module_conf_from_vars(const struct conf_request *rq, struct shvars *vars, struct module_conf *mc)
{
	int bad = 0;
	mc->vars = *vars;
	*vars = (struct shvars){0};
	struct shvars *v = &mc->vars;
	conf_scalars(mc);
	size_t n = 0;
	const char *arrays[] = {"BUILT_MODULE_NAME", "BUILT_MODULE_LOCATION", "DEST_MODULE_NAME", "DEST_MODULE_LOCATION"};
	for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
		size_t c = shvars_count(v, arrays[i]);
		if (c > n)
			n = c;
	}
	size_t n_dest = shvars_count(v, "DEST_MODULE_LOCATION");
	mc->mods = xcalloc(n ? n : 1, sizeof(*mc->mods));
	mc->n_mods = n;
	for (size_t i = 0; i < n; i++)
		bad |= conf_module(rq->s, mc, i, n_dest);
	conf_make(rq, mc);
	conf_patches(rq, mc);
	conf_exclusive(rq, mc);
	if (n == 0) {
		fprintf(stderr, "dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified.\n");
		bad = 1;
	}
	bad |= conf_yes_no_bad(mc, "BUILD_DEPENDS_REBUILD");
	if (str_empty(mc->package_name)) {
		fprintf(stderr, "dkms.conf: Error! No 'PACKAGE_NAME' directive specified.\n");
		bad = 1;
	}
	if (str_empty(mc->package_version)) {
		fprintf(stderr, "dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.\n");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* The entries of the configuration directory that may be read (a
 * missing file is as good as an empty one to bash): NULL when there is no
 * such directory, &unknown when it cannot be listed (each name is then
 * tried, and the reader says what is wrong).  The listing is kept while
 * the directory's mtime stays and is older than the listing by more than
 * the clock's grain, so that status reading dozens of dkms.conf files
 * lists it once instead of trying six names for each. */
static char *unknown[] = {NULL};
static char *const *conf_dir_names(const char *dir)
{
	static char *listed_dir;
	static char **names;
	static bool missing, trusted;
	static struct timespec listed_mtime;
	static time_t listed_at, checked_at;
	time_t now = time(NULL);
	/* asked again within the second of a check that could be trusted:
	 * the answer of that check (status reads dozens of dkms.conf files
	 * in a few milliseconds) */
	if (listed_dir && streq(listed_dir, dir) && trusted && checked_at == now)
		return missing ? NULL : names ? names : unknown;
	struct stat st;
	bool is_missing = stat(dir, &st) < 0;
	if (is_missing && errno != ENOENT && errno != ENOTDIR)
		return unknown;
	bool fresh = listed_dir && streq(listed_dir, dir) && !missing && !is_missing &&
		     st.st_mtim.tv_sec == listed_mtime.tv_sec && st.st_mtim.tv_nsec == listed_mtime.tv_nsec &&
		     st.st_mtim.tv_sec + 1 < listed_at;
	if (!fresh) {
		free(listed_dir);
		strv_free(names);
		listed_dir = xstrdup(dir);
		names = is_missing ? NULL : dir_list(dir);
		listed_mtime = is_missing ? (struct timespec){0} : st.st_mtim;
		listed_at = now;
	}
	missing = is_missing;
	trusted = missing || fresh;
	checked_at = now;
	return missing ? NULL : names ? names : unknown;
}

int module_conf_load(const struct conf_request *rq, struct module_conf *mc)
{
	const struct settings *s = rq->s;
	*mc = (struct module_conf){0};
	mc->file = xstrdup(rq->file);
	if (access(rq->file, R_OK) != 0) {
		error("Could not locate dkms.conf file.\nFile: %s does not exist.", rq->file);
		return -ENOENT;
	}
	const char *m = rq->module ? rq->module : "";
	const char *ver = rq->module_version ? rq->module_version : "";
	const char *k = rq->t->release, *a = rq->t->arch;
	_cleanup_strv_ char **files = NULL;
	strv_pushdup(&files, rq->file);
	char *const *listed = conf_dir_names(s->conf_dir);
	/* (most systems have no /etc/dkms, or nothing of this module in it) */
	bool any = listed == unknown;
	for (size_t i = 0; listed && listed[i] && !any; i++)
		any = startswith(listed[i], m);
	if (any) {
		char *own[] = {
			str_concat(m, ".conf", NULL),
			str_concat(m, "-", ver, ".conf", NULL),
			str_concat(m, "-", ver, "-", k, ".conf", NULL),
			str_concat(m, "-", ver, "-", k, "-", a, ".conf", NULL),
			/* newer releases also read <module>--<kernel>[-<arch>].conf */
			str_concat(m, "--", k, ".conf", NULL),
			str_concat(m, "--", k, "-", a, ".conf", NULL),
		};
		for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
			if (listed == unknown || strv_contains(listed, own[i]))
				strv_push(&files, path_join(s->conf_dir, own[i]));
			free(own[i]);
		}
	}

	_cleanup_free_ char *conf_dir = xstrdup(rq->file);
	char *slash = strrchr(conf_dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(conf_dir, ".");
	_cleanup_strv_ char **assign = NULL;
	const char *preset[][2] = {
		{"kernelver", k}, {"arch", a}, {"kernel_source_dir", rq->t->headers_dir},
		{"kernel_config", rq->t->config_path}, {"dkms_tree", s->dkms_tree}, {"source_tree", s->source_tree},
		{"install_tree", s->install_tree}, {"tmp_location", s->tmp_location}, {"module", m},
		{"module_version", ver}, {"dkms_conf_dir", conf_dir}, {"current_kernel", s->current_kernel},
		{"current_os", s->current_os}, {"running_distribution", s->running_distribution},
	};
	for (size_t i = 0; i < ARRAY_SIZE(preset); i++)
		strv_push(&assign, str_concat(preset[i][0], "=", preset[i][1] ? preset[i][1] : "", NULL));

	/* bash reads them confined (sandbox.h): read-only, no network */
	struct sandbox sb;
	sandbox_init(&sb, s);
	sandbox_show(&sb, rq->t->headers_dir);
	sandbox_show(&sb, rq->t->config_path);
	struct shell_eval e = {
		.files = files, .names = (char *const *)dkms_conf_vars, .assign = assign,
		.deprecated = (char *const *)deprecated_vars, .sandbox = &sb,
	};
	struct shvars vars = {0};
	int r = rq->cache_tree ? shell_eval_cached(&e, rq->cache_tree, rq->cache_read, &vars) : shell_eval(&e, &vars);
	sandbox_free(&sb);
	if (r < 0) {
		if (r != -EINVAL && r != -EFBIG)
			error("Could not read %s: %s", rq->file, strerror(-r));
		return -EINVAL;
	}
	for (size_t i = 0; rq->directives && rq->directives[i]; i++) {
		const char *d = rq->directives[i];
		const char *eq = strchr(d, '=');
		_cleanup_free_ char *name = eq ? xstrndup(d, (size_t)(eq - d)) : xstrdup(d);
		const char *val = eq ? eq + 1 : "";
		info("DIRECTIVE: %s=\"%s\"", name, val);
		shvars_set(&vars, name, 0, val);
	}
	r = module_conf_from_vars(rq, &vars, mc);
	shvars_free(&vars);
	return r;
}

void module_conf_free(struct module_conf *mc)
{
	for (size_t i = 0; i < mc->n_mods; i++) {
		struct conf_module *m = &mc->mods[i];
		free(m->built_name);
		free(m->built_location);
		free(m->dest_name);
		free(m->dest_location);
		free(m->dest_location_raw);
	}
	free(mc->mods);
	char **fields[] = {
		&mc->file, &mc->package_name, &mc->package_version, &mc->make_command, &mc->clean,
		&mc->pre_build, &mc->post_build, &mc->pre_install, &mc->post_install, &mc->post_add,
		&mc->post_remove, &mc->obsolete_by, &mc->exclude_reason,
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		free(*fields[i]);
	strv_free(mc->patches);
	strv_free(mc->build_depends);
	shvars_free(&mc->vars);
	*mc = (struct module_conf){0};
}
