/* dkms check: the facts behind each kernel's verdict (check.h), gathered
 * from the dkms tree, the install tree, the failure records (failure.h),
 * the devices in sysfs and the module files (hardware.h), Secure Boot
 * (secureboot.h) and the initramfs; checkreport.c judges and writes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "check.h"
#include "compiler.h"
#include "failure.h"
#include "hardware.h"
#include "initramfs.h"
#include "kernel.h"
#include "log.h"
#include "sign.h"
#include "tree.h"
#include "uninstall.h"
#include "util/spawn.h"

/* What one kernel's check works with. */
struct check_ctx {
	struct dkms *d;
	const struct kernel_target *t;
	const struct hw_devices *devs;
	const struct secure_boot *sb;
	int enforce;             /* the kernel enforces module signatures: 1, 0, -1 unknown */
	char *initramfs;         /* the listing of its initramfs, once read */
	bool initramfs_tried;
};

/* The reference's +([0-9]).* for kernel names. */
static bool looks_like_kernel(const char *name)
{
	const char *p = name;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > name && *p == '.';
}

/* The kernels installed: a directory of the install tree that holds a
 * kernel's modules (kernel/, modules.order or modules.dep) or whose image
 * is in the boot directory; not one that holds only headers or what dkms
 * left there. */
static char **installed_kernels(const struct settings *s)
{
	char **out = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **names = dir_list(s->install_tree);
	for (size_t i = 0; names && names[i]; i++) {
		if (!looks_like_kernel(names[i]))
			continue;
		_cleanup_free_ char *dir = path_join(s->install_tree, names[i]);
		_cleanup_free_ char *kernel = path_join(dir, "kernel");
		_cleanup_free_ char *order = path_join(dir, "modules.order");
		_cleanup_free_ char *dep = path_join(dir, "modules.dep");
		_cleanup_free_ char *image = xasprintf("%s/vmlinuz-%s", s->boot_dir, names[i]);
		if (is_dir(dir) && (is_dir(kernel) || path_exists(order) || path_exists(dep) || path_exists(image)))
			strv_pushdup(&out, names[i]);
	}
	return out;
}

/* The package to install for a kernel's headers, as each family names it. */
static char *headers_package(const struct settings *s, const char *k)
{
	const char *dist = s->running_distribution ? s->running_distribution : "";
	if (settings_debian_like(s))
		return xasprintf("linux-headers-%s", k);
	_cleanup_free_ char *pkgbase_file = xasprintf("%s/%s/pkgbase", s->install_tree, k);
	_cleanup_free_ char *pkgbase = NULL;
	if (read_file(pkgbase_file, &pkgbase, NULL) == 0) {
		/* Arch: the kernel package's name, and its headers' */
		pkgbase[strcspn(pkgbase, "\n")] = '\0';
		if (name_is_plain(pkgbase))
			return xasprintf("%s-headers", pkgbase);
	}
	if (startswith(dist, "arch"))
		return xstrdup("linux-headers");
	const char *flavour = strrchr(k, '-');
	if ((startswith(dist, "opensuse") || startswith(dist, "sles") || startswith(dist, "suse")) && flavour)
		return xasprintf("kernel%s-devel", flavour);
	return xasprintf("kernel-devel-%s", k);
}

/* Whether the kernel checks module signatures: its configuration says
 * always (MODULE_SIG_FORCE) or never (no MODULE_SIG); else when Secure
 * Boot is on, as the distributions' kernels lock down then. */
static int signatures_enforced(const struct settings *s, const struct kernel_target *t, const struct secure_boot *sb)
{
	_cleanup_free_ char *boot_config_path = xasprintf("%s/config-%s", s->boot_dir, t->release);
	_cleanup_free_ char *boot_config = NULL;
	const char *config = t->config;
	if (!config && read_file(boot_config_path, &boot_config, NULL) == 0)
		config = boot_config;
	if (config && !kconfig_enabled(config, "CONFIG_MODULE_SIG"))
		return 0;
	if (config && kconfig_enabled(config, "CONFIG_MODULE_SIG_FORCE"))
		return 1;
	return sb->state == SB_ENABLED ? 1 : sb->state == SB_DISABLED ? 0 : -1;
}

/* ---- which version should be there ------------------------------------ */

/* The version a kernel-<k>-<a> link of m, called name, points at; NULL
 * when name is no such link, or is `except` (this kernel's own). */
static char *linked_version(const struct settings *s, const char *m, const char *name, const char *except)
{
	_cleanup_free_ char *link = xasprintf("%s/%s/%s", s->dkms_tree, m, name);
	char target[4096];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || !startswith(name, "kernel-") || streq(name, except))
		return NULL;
	target[n] = '\0';
	char *slash = strchr(target, '/');
	return slash ? xstrndup(target, (size_t)(slash - target)) : NULL;
}

/* The version of m kernel t should have: the one installed there; else
 * the newest AUTOINSTALL one (what autoinstall would install); else the
 * newest installed for another kernel.  NULL when none should be there. */
static char *expected_version(struct dkms *d, const char *m, const struct kernel_target *t, bool *installed)
{
	_cleanup_strv_ char **vers = tree_versions(&d->s, m, NULL);
	_cleanup_free_ char *auto_v = NULL, *other_v = NULL;
	*installed = false;
	for (size_t j = 0; vers[j]; j++) {
		const struct module_conf *mc;
		if (!tree_is_added(&d->s, m, vers[j]))
			continue;
		if (tree_link_is_installed(&d->s, m, vers[j], t->release, t->arch)) {
			*installed = true;
			return xstrdup(vers[j]);
		}
		if (dkms_read_conf(d, m, vers[j], t, NULL, &mc) == 0 && mc->autoinstall &&
		    (!auto_v || ver_cmp(vers[j], auto_v) > 0)) {
			free(auto_v);
			auto_v = xstrdup(vers[j]);
		}
	}
	_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, m);
	_cleanup_free_ char *own = xasprintf("kernel-%s-%s", t->release, t->arch);
	_cleanup_strv_ char **names = dir_list(mdir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *v = linked_version(&d->s, m, names[i], own);
		if (v && tree_is_added(&d->s, m, v) && (!other_v || ver_cmp(v, other_v) > 0)) {
			free(other_v);
			other_v = TAKE_PTR(v);
		}
	}
	return auto_v ? TAKE_PTR(auto_v) : TAKE_PTR(other_v);
}

/* ---- module files, devices -------------------------------------------- */

/* <dir>/<name>.ko, compressed or not, or NULL. */
static char *module_file_at(const char *dir, const char *name)
{
	static const char *const suffixes[] = {".xz", ".zst", ".gz"};
	char *found = NULL;
	for (size_t x = 0; x < ARRAY_SIZE(suffixes) && !found; x++)
		found = find_module_file(dir, name, suffixes[x]);
	return found;
}

/* A file of module `name` in m/v's build for "<kernel>/<arch>" ka, or NULL. */
static char *module_file_in(const struct settings *s, const char *m, const char *v, const char *ka, const char *name)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s/%s/%s/module", s->dkms_tree, m, v, ka);
	return module_file_at(dir, name);
}

/* A file of module `name` of m, to read its aliases from: m/v's build for
 * this kernel, else for another kernel, else another version's build,
 * else the copy installed (at dest, below the kernel's directory) for
 * another kernel.  NULL when there is none. */
static char *any_module_file(struct check_ctx *cx, const char *m, const char *v, const char *name, const char *dest)
{
	const struct settings *s = &cx->d->s;
	_cleanup_free_ char *own = xasprintf("%s/%s", cx->t->release, cx->t->arch);
	char *found = module_file_in(s, m, v, own, name);
	_cleanup_strv_ char **vers = tree_versions(s, m, NULL);
	/* v's builds in the first pass, the other versions' in the second */
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (size_t i = 0; vers[i] && !found; i++) {
			if (streq(vers[i], v) != (pass == 0))
				continue;
			_cleanup_strv_ char **kas = tree_kernel_arches(s, m, vers[i], NULL, NULL);
			for (size_t j = 0; kas[j] && !found; j++)
				found = module_file_in(s, m, vers[i], kas[j], name);
		}
	}
	_cleanup_strv_ char **kernels = found ? NULL : dir_list(s->install_tree);
	for (size_t i = 0; kernels && kernels[i] && !found; i++) {
		_cleanup_free_ char *dir = xasprintf("%s/%s%s", s->install_tree, kernels[i], dest);
		if (!streq(kernels[i], cx->t->release))
			found = module_file_at(dir, name);
	}
	return found;
}

/* The aliases of the module file at path (NULL: a built one of m) added
 * to *aliases; false when no file says. */
static bool add_aliases(struct check_ctx *cx, const struct check_module *cm, const struct conf_module *mod,
			const char *path, char ***aliases)
{
	_cleanup_free_ char *found = path ? NULL
		: any_module_file(cx, cm->name, cm->version, mod->dest_name, mod->dest_location);
	struct modfile_info mi;
	if ((!path && !found) || modfile_read(path ? path : found, &mi) < 0)
		return false;
	for (size_t i = 0; mi.aliases[i]; i++)
		strv_pushdup(aliases, mi.aliases[i]);
	modfile_info_free(&mi);
	return true;
}

/* The present devices that the module's files claim. */
static void hardware_facts(struct check_ctx *cx, const struct module_conf *mc, struct check_module *cm)
{
	_cleanup_strv_ char **aliases = xcalloc(1, sizeof(char *));
	cm->aliases_known = mc != NULL;
	for (size_t i = 0; mc && i < mc->n_mods; i++) {
		_cleanup_free_ char *inst = cm->state == CHECK_INSTALLED
			? installed_module_path(cx->d, mc, i, cm->name, cx->t) : NULL;
		if (!add_aliases(cx, cm, &mc->mods[i], inst, &aliases) &&
		    (!inst || !add_aliases(cx, cm, &mc->mods[i], NULL, &aliases)))
			cm->aliases_known = false;
	}
	for (size_t i = 0; i < cx->devs->n; i++) {
		const struct hw_device *dev = &cx->devs->v[i];
		if (!hw_device_needs(dev, aliases))
			continue;
		_cleanup_free_ char *id = hw_modalias_short(dev->bus, dev->modalias);
		if (!strv_contains(cm->device_ids, id))
			strv_pushdup(&cm->device_ids, id);
		strv_push(&cm->devices, hw_device_describe(dev));
	}
}

/* ---- installed: verified, will load, in the initramfs ------------------- */

static void not_verified(struct check_module *cm, char *problem)
{
	cm->verified = TRI_NO;
	if (!cm->problem)
		cm->problem = problem;
	else
		free(problem);
}

/* The worse of the module's files decides: no, then unknown, then yes. */
static void load_verdict(struct check_module *cm, enum check_tri w, char *why)
{
	static const int rank[] = {[TRI_NO] = 0, [TRI_UNKNOWN] = 1, [TRI_YES] = 2, [TRI_NA] = 3};
	if (rank[w] < rank[cm->will_load]) {
		cm->will_load = w;
		free(cm->load_why);
		cm->load_why = why;
	} else {
		free(why);
	}
}

static bool same_content(const char *a, const char *b)
{
	_cleanup_free_ char *x = file_sha256(a);
	_cleanup_free_ char *y = file_sha256(b);
	return x && y && streq(x, y);
}

/* One file of an installed module: where install put it, built for this
 * kernel, the one dkms built, and whether it loads. */
static void verify_file(struct check_ctx *cx, const struct module_conf *mc, size_t i, struct check_module *cm)
{
	const struct kernel_target *t = cx->t;
	const char *name = mc->mods[i].dest_name;
	_cleanup_free_ char *ka = tree_ka_dir(&cx->d->s, cm->name, cm->version, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	_cleanup_free_ char *built = find_module_file(moddir, name, t->module_suffix);
	_cleanup_free_ char *inst = installed_module_path(cx->d, mc, i, cm->name, t);
	struct modfile_info mi;
	if (!inst) {
		not_verified(cm, xasprintf("%s.ko is missing from %s", name, t->modules_dir));
		load_verdict(cm, TRI_NO, xasprintf("%s.ko is not in %s", name, t->modules_dir));
		return;
	}
	if (modfile_read(inst, &mi) < 0) {
		not_verified(cm, xasprintf("%s cannot be read as a module", inst));
		load_verdict(cm, TRI_NO, xasprintf("%s cannot be read as a module", inst));
		return;
	}
	if (!mi.vermagic || !streq(mi.vermagic, t->release)) {
		const char *for_k = mi.vermagic ? mi.vermagic : "(no vermagic)";
		not_verified(cm, xasprintf("%s was built for kernel %s", inst, for_k));
		load_verdict(cm, TRI_NO, xasprintf("%s.ko was built for kernel %s", name, for_k));
	}
	if (built && !same_content(built, inst))
		not_verified(cm, xasprintf("%s is not the module dkms built (%s)", inst, built));
	if (!cm->signed_by && mi.signer)
		cm->signed_by = xstrdup(mi.signer);
	char *why = NULL;
	int w = sb_module_loads(cx->sb, cx->enforce, mi.sig_key, &why);
	load_verdict(cm, w > 0 ? TRI_YES : w == 0 ? TRI_NO : TRI_UNKNOWN, why);
	modfile_info_free(&mi);
}

/* A line of an initramfs listing names module `name` (any compression). */
static bool listing_has_module(const char *listing, const char *name)
{
	_cleanup_free_ char *file = xasprintf("%s.ko", name);
	size_t n = strlen(file);
	for (const char *line = listing; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *base = line;
		for (const char *p = line; p < end; p++)
			if (*p == '/')
				base = p + 1;
		if ((size_t)(end - base) >= n && !strncmp(base, file, n) && (base + n == end || base[n] == '.'))
			return true;
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The listing of the kernel's initramfs, by the tool of its family
 * (lsinitramfs, lsinitrd, lsinitcpio); NULL when there is no image or
 * no tool to list it. */
static char *initramfs_listing(struct check_ctx *cx)
{
	static const char *const listers[] = {
		[INITRAMFS_UPDATE_INITRAMFS] = "lsinitramfs", [INITRAMFS_DRACUT] = "lsinitrd",
		[INITRAMFS_MKINITCPIO] = "lsinitcpio",
	};
	const char *tool = getenv("DKMS_INITRAMFS_TOOL");
	struct initramfs_plan p;
	if (initramfs_plan_for(&cx->d->s, str_empty(tool) ? NULL : tool, cx->d->s.boot_dir, cx->t->release, &p) < 0)
		return NULL;
	struct strbuf out = {0};
	int r = -1;
	if (is_file(p.image)) {
		char *argv[] = {(char *)listers[p.tool], p.image, NULL};
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		struct spawn_opts o = {.out_fd = -1, .err_fd = devnull, .null_stdin = true, .capture_child_fd = 1,
				       .capture = &out};
		r = spawn_run(argv, &o);
		if (devnull >= 0)
			close(devnull);
	}
	initramfs_plan_free(&p);
	if (r != 0) {
		strbuf_release(&out);
		return NULL;
	}
	strbuf_append(&out, "");
	return strbuf_steal(&out);
}

static enum check_tri in_initramfs(struct check_ctx *cx, const struct module_conf *mc)
{
	if (!cx->initramfs_tried) {
		cx->initramfs = initramfs_listing(cx);
		cx->initramfs_tried = true;
	}
	if (!cx->initramfs)
		return TRI_UNKNOWN;
	for (size_t i = 0; i < mc->n_mods; i++)
		if (!listing_has_module(cx->initramfs, mc->mods[i].dest_name))
			return TRI_NO;
	return TRI_YES;
}

static void installed_facts(struct check_ctx *cx, const struct module_conf *mc, struct check_module *cm)
{
	cm->state = CHECK_INSTALLED;
	if (!mc) {
		cm->verified = TRI_UNKNOWN;
		cm->will_load = TRI_UNKNOWN;
		cm->load_why = xstrdup("its dkms.conf cannot be read, so where its files are is unknown");
		return;
	}
	cm->verified = TRI_YES;
	cm->will_load = TRI_YES;
	for (size_t i = 0; i < mc->n_mods; i++)
		verify_file(cx, mc, i, cm);
	if (mc->remake_initrd)
		cm->initramfs = in_initramfs(cx, mc);
}

/* ---- not installed ---------------------------------------------------- */

/* The record of its last build's failure for this kernel, if any. */
static bool failed_facts(struct check_ctx *cx, struct check_module *cm)
{
	const struct settings *s = &cx->d->s;
	struct build_failure f;
	if (failure_load(s, cm->name, cm->version, cx->t->release, cx->t->arch, &f) < 0)
		return false;
	cm->state = CHECK_FAILED;
	cm->exit_code = f.exit_code;
	cm->reason = TAKE_PTR(f.reason);
	cm->first_error = TAKE_PTR(f.first_error);
	if (f.log && path_exists(f.log))
		cm->log = TAKE_PTR(f.log);
	cm->failed_at = failure_time_text(f.time);
	/* what it was built from then, against what is there now */
	_cleanup_free_ char *source = tree_source_dir(s, cm->name, cm->version);
	_cleanup_free_ char *conf = path_join(source, "dkms.conf");
	_cleanup_free_ char *conf_now = f.conf_sha256 ? file_sha256(conf) : NULL;
	_cleanup_free_ char *source_now = f.source_sha256 ? source_digest(source) : NULL;
	cm->stale = (conf_now && !streq(conf_now, f.conf_sha256)) || (source_now && !streq(source_now, f.source_sha256));
	failure_free(&f);
	return true;
}

/* The facts of m/v on the kernel. */
static void module_facts(struct check_ctx *cx, const char *m, const char *v, bool installed, struct check_module *cm)
{
	struct dkms *d = cx->d;
	const struct kernel_target *t = cx->t;
	const struct module_conf *mc = NULL;
	*cm = (struct check_module){.name = xstrdup(m), .version = xstrdup(v)};
	int r = dkms_read_conf(d, m, v, t, NULL, &mc);
	if (r) {
		mc = NULL;
		cm->note = xasprintf("its dkms.conf cannot be read (exit status %d)", r);
	}
	if (installed) {
		installed_facts(cx, mc, cm);
	} else if (mc && module_is_built(d, m, v, t)) {
		cm->state = CHECK_BUILT;
	} else if (mc && mc->build_exclude) {
		cm->state = CHECK_EXCLUDED;
		cm->exclude_reason = mc->exclude_reason ? xstrdup(mc->exclude_reason) : NULL;
	} else if (!failed_facts(cx, cm)) {
		bool headers = kernel_target_has_headers(t);
		cm->state = headers ? CHECK_NOT_BUILT : CHECK_MISSING_HEADERS;
		cm->headers_package = headers ? NULL : headers_package(&d->s, t->release);
	}
	hardware_facts(cx, mc, cm);
}

/* ---- the action ------------------------------------------------------- */

static void check_kernel(struct dkms *d, const char *k, const char *a, const char *only, const struct hw_devices *devs,
			 const struct secure_boot *sb, struct check_kernel *ck)
{
	const struct kernel_target *t = dkms_target(d, k, a);
	struct check_ctx cx = {.d = d, .t = t, .devs = devs, .sb = sb, .enforce = signatures_enforced(&d->s, t, sb)};
	*ck = (struct check_kernel){.kernel = xstrdup(k), .arch = xstrdup(a)};
	_cleanup_strv_ char **mods = tree_modules(&d->s, only);
	for (size_t i = 0; mods[i]; i++) {
		bool installed;
		_cleanup_free_ char *v = expected_version(d, mods[i], t, &installed);
		if (!v)
			continue;
		ck->mods = xrealloc(ck->mods, (ck->n + 1) * sizeof(*ck->mods));
		module_facts(&cx, mods[i], v, installed, &ck->mods[ck->n++]);
	}
	free(cx.initramfs);
	ck->compiler_warning = compiler_warning(t);
	check_kernel_judge(ck);
}

struct kernel_arch {
	char *k, *a;
};

static int kernel_arch_newest_first(const void *x, const void *y)
{
	const struct kernel_arch *a = x, *b = y;
	int c = kernel_version_cmp(b->k, a->k);
	return c ? c : strcmp(a->a, b->a);
}

/* The kernels to check, newest first: those given (-k), else every kernel
 * installed, on the arch given (-a), else this machine's. */
static struct kernel_arch *kernels_to_check(struct dkms *d, bool all_installed, size_t *n)
{
	struct cli *c = d->cli;
	_cleanup_strv_ char **installed = strv_len(c->kernelver) && !all_installed ? NULL : installed_kernels(&d->s);
	char *const *ks = installed ? installed : c->kernelver;
	*n = strv_len(ks);
	struct kernel_arch *out = xcalloc(*n + 1, sizeof(*out));
	for (size_t i = 0; i < *n; i++) {
		const char *a = all_installed ? NULL
			: c->arch && i < strv_len(c->arch) ? c->arch[i] : c->arch && c->arch[0] ? c->arch[0] : NULL;
		out[i] = (struct kernel_arch){.k = xstrdup(ks[i]), .a = xstrdup(str_empty(a) ? d->s.machine : a)};
	}
	qsort(out, *n, sizeof(*out), kernel_arch_newest_first);
	return out;
}

static int check_exit_code(const struct check_report *r)
{
	enum check_verdict worst = VERDICT_READY;
	for (size_t i = 0; i < r->n; i++)
		if (r->kernels[i].verdict > worst)
			worst = r->kernels[i].verdict;
	return worst == VERDICT_DEGRADED ? EX_CHECK_DEGRADED : worst == VERDICT_UNKNOWN ? EX_CHECK_UNKNOWN : EX_OK;
}

/* The facts of every kernel, with stderr silenced as status does: the
 * dkms.conf files are read for each kernel, and what is wrong with one
 * is said in the report. */
static void gather(struct dkms *d, struct check_report *r, const char *sysfs, bool all_installed)
{
	size_t nk = 0;
	struct kernel_arch *kas = kernels_to_check(d, all_installed, &nk);
	struct hw_devices devs;
	hw_devices_scan(sysfs, &devs);
	fflush(stderr);
	int saved_err = log_silence_stderr();
	r->kernels = xcalloc(nk + 1, sizeof(*r->kernels));
	for (size_t i = 0; i < nk && !spawn_interrupted(); i++) {
		check_kernel(d, kas[i].k, kas[i].a, all_installed ? NULL : d->cli->module, &devs, &r->sb, &r->kernels[i]);
		r->n++;
	}
	log_restore_stderr(saved_err);
	for (size_t i = 0; i < nk; i++) {
		free(kas[i].k);
		free(kas[i].a);
	}
	free(kas);
	hw_devices_free(&devs);
}

const char *check_sysfs_root(void)
{
	/* DKMS_SYSFS_ROOT is for the tests only: a fake sysfs with the
	 * devices (and firmware/efi) of an imaginary machine */
	const char *sysfs_env = getenv("DKMS_SYSFS_ROOT");
	return str_empty(sysfs_env) ? "/sys" : sysfs_env;
}

/* The report of the kernels given with -k (all_installed: of every
 * kernel installed, whatever -k says). */
static void check_collect(struct dkms *d, bool all_installed, struct check_report *r)
{
	const char *sysfs = check_sysfs_root();
	/* what bash made of a dkms.conf before serves again (evalcache.h) */
	d->conf_from_cache = true;
	_cleanup_free_ char *key = NULL, *cert = NULL;
	mok_paths(&d->s, dkms_target(d, d->s.current_kernel, d->s.machine), &key, &cert);
	*r = (struct check_report){0};
	sb_probe(sysfs, cert, &r->sb);
	gather(d, r, sysfs, all_installed);
}

void check_installed_kernels(struct dkms *d, struct check_report *r)
{
	bool from_cache = d->conf_from_cache;
	check_collect(d, true, r);
	d->conf_from_cache = from_cache;
}

int action_check(struct dkms *d)
{
	struct check_report r;
	check_collect(d, false, &r);
	struct strbuf out = {0};
	if (d->opt.json)
		check_report_json(&out, &r);
	else
		check_report_text(&out, &r, isatty(1) && str_empty(getenv("NO_COLOR")));
	fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	int rc = check_exit_code(&r);
	check_report_free(&r);
	return rc;
}
