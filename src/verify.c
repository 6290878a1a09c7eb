/* verify: finds what is wrong with the state tree (verify.h), and with
 * --repair fixes what needs no rebuild, under the tree's lock.  The walk
 * goes module by module: leftovers in each directory of the module, its
 * kernel links, and for each link, each module of the installed version
 * against its built copy; then each kernel's module directory, the pending
 * work, and the tops of the dkms and source trees. */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actions.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "txn.h"
#include "uninstall.h"
#include "util/spawn.h"
#include "util/staged.h"

/* What a problem belongs to; any field may be NULL. */
struct where {
	const char *m, *v, *k, *a;
};

struct verify {
	struct dkms *d;
	struct verify_problem *p;
	size_t n;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Records a problem (taking what and repair), unless the same kind at the
 * same path is known already: one directory can be reached twice, e.g.
 * the destination of two modules. */
static struct verify_problem *report(struct verify *vf, const struct where *w, const char *kind, const char *path,
				     enum verify_fix fix, char *what, char *repair)
{
	for (size_t i = 0; i < vf->n; i++) {
		if (streq(vf->p[i].kind, kind) && streq(vf->p[i].path, path)) {
			free(what);
			free(repair);
			return NULL;
		}
	}
	vf->p = xrealloc(vf->p, (vf->n + 1) * sizeof(*vf->p));
	struct verify_problem *p = &vf->p[vf->n++];
	*p = (struct verify_problem){
		.kind = kind, .m = dup_or_null(w->m), .v = dup_or_null(w->v), .k = dup_or_null(w->k),
		.a = dup_or_null(w->a), .path = xstrdup(path), .what = what, .repair = repair, .fix = fix,
	};
	return p;
}

/* -k and -a filter what is checked, paired as the command line pairs
 * them (one -a applies to every -k).  a NULL: any arch. */
static bool wanted(const struct verify *vf, const char *k, const char *a)
{
	char **ks = vf->d->cli->kernelver, **as = vf->d->cli->arch;
	size_t nk = strv_len(ks), na = strv_len(as);
	if (!nk)
		return !na || !a || strv_contains(as, a);
	for (size_t i = 0; i < nk; i++) {
		const char *want_a = na == 0 ? NULL : na == 1 ? as[0] : i < na ? as[i] : NULL;
		if (streq(ks[i], k) && (!a || !want_a || streq(want_a, a)))
			return true;
	}
	return false;
}

/* The reference's kernel directory names: +([0-9]).* */
static bool looks_like_kernel(const char *name)
{
	const char *p = name;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > name && *p == '.';
}

/* What killed runs of this program (".dkms-stage.*") and of its older
 * versions ("*.dkms-tmp*" files, ".<arch>.dkms-staging" build
 * directories) left in dir.  Under the lock no run is making them. */
static void scan_leftovers(struct verify *vf, const struct where *w, const char *dir)
{
	_cleanup_strv_ char **names = dir_list(dir);
	for (size_t i = 0; names && names[i]; i++) {
		const char *n = names[i];
		_cleanup_free_ char *p = path_join(dir, n);
		if (startswith(n, STAGED_PREFIX))
			report(vf, w, "stale-staging", p, VERIFY_FIX_REMOVE,
			       xstrdup("a private staging directory left by a killed dkms run"), xstrdup("remove it"));
		else if (strstr(n, ".dkms-tmp"))
			report(vf, w, "old-leftover", p, VERIFY_FIX_REMOVE,
			       xstrdup("a temporary file left by a killed run of an older dkms-c"), xstrdup("remove it"));
		else if (n[0] == '.' && endswith(n, ".dkms-staging"))
			report(vf, w, "old-leftover", p, VERIFY_FIX_REMOVE,
			       xstrdup("a build staging directory left by a killed run of an older dkms-c"),
			       xstrdup("remove it"));
	}
}

/* How to rebuild m/v for kernel k: the advice of problems --repair
 * cannot fix. */
static char *rebuild_advice(const struct where *w)
{
	return xasprintf("none: rebuild and reinstall it (dkms install --force %s/%s -k %s/%s)", w->m, w->v, w->k,
			 w->a);
}

/* The built module's vermagic names kernel k.  Unreadable, it is a
 * problem for an uncompressed .ko (every module has a vermagic; a file
 * without one is no module), not for a compressed one, which a libkmod
 * built without that compression cannot read.  True when it may be
 * installed. */
static bool check_vermagic(struct verify *vf, const struct where *w, const char *built)
{
	_cleanup_free_ char *rel = module_vermagic_release(built);
	if (rel && streq(rel, w->k))
		return true;
	if (rel) {
		report(vf, w, "vermagic-mismatch", built, VERIFY_FIX_NONE,
		       xasprintf("the built module is for kernel %s, not %s", rel, w->k), rebuild_advice(w));
		return false;
	}
	if (endswith(built, ".ko")) {
		report(vf, w, "module-unreadable", built, VERIFY_FIX_NONE,
		       xstrdup("the built module's vermagic cannot be read: it is not a kernel module"),
		       rebuild_advice(w));
		return false;
	}
	debug("The vermagic of %s cannot be read here; not checked.", built);
	return true;
}

/* Module i of an installed version: built, for this kernel, and in place
 * with the same bytes. */
static void check_installed_module(struct verify *vf, const struct where *w, const struct kernel_target *t,
				   const struct module_conf *mc, size_t i)
{
	struct dkms *d = vf->d;
	const struct conf_module *cm = &mc->mods[i];
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, w->m, w->v, w->k, w->a);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	_cleanup_free_ char *dest = xasprintf("%s%s", t->modules_dir, cm->dest_location);
	scan_leftovers(vf, w, dest);
	_cleanup_free_ char *built = find_module_file(moddir, cm->dest_name, t->module_suffix);
	if (!built) {
		_cleanup_free_ char *want = xasprintf("%s/%s.ko%s", moddir, cm->dest_name, t->module_suffix);
		report(vf, w, "built-module-missing", want, VERIFY_FIX_NONE,
		       xstrdup("the version is marked installed but its built module is missing"), rebuild_advice(w));
		return;
	}
	bool good = check_vermagic(vf, w, built);
	_cleanup_free_ char *inst = installed_module_path(d, mc, i, w->m, t);
	_cleanup_free_ char *expected = path_join(dest, strrchr(built, '/') + 1);
	const char *kind = "installed-module-differs", *at = inst ? inst : expected;
	if (inst && files_same(built, inst))
		return;
	if (!inst && !path_exists(expected) && !is_symlink(expected))
		kind = "installed-module-missing";
	struct verify_problem *p =
		report(vf, w, kind, at, good ? VERIFY_FIX_REINSTALL : VERIFY_FIX_NONE,
		       xstrdup(streq(kind, "installed-module-missing") ? "the installed module is missing"
									: "the installed module differs from the built one"),
		       good ? xasprintf("reinstall it from %s", built)
			    : xstrdup("none: the built module must be rebuilt first"));
	if (p) {
		p->src = xstrdup(built);
		p->remake_initrd = mc->remake_initrd;
	}
}

/* The version a kernel link marks installed, module by module. */
static void check_installed(struct verify *vf, const struct where *w)
{
	struct dkms *d = vf->d;
	_cleanup_free_ char *src = tree_source_dir(&d->s, w->m, w->v);
	if (!is_dir(src))
		return; /* reported with the version: dkms.conf cannot be read */
	const struct kernel_target *t = dkms_target(d, w->k, w->a);
	if (!is_dir(t->modules_dir)) {
		report(vf, w, "kernel-missing", t->modules_dir, VERIFY_FIX_NONE,
		       xstrdup("the version is marked installed for a kernel whose module directory is gone"),
		       xasprintf("none: dkms remove %s/%s -k %s/%s, once the kernel is gone for good", w->m, w->v,
				 w->k, w->a));
		return;
	}
	const struct module_conf *mc;
	if (dkms_read_conf(d, w->m, w->v, t, NULL, &mc)) {
		_cleanup_free_ char *conf = path_join(src, "dkms.conf");
		report(vf, w, "conf-unreadable", conf, VERIFY_FIX_NONE,
		       xstrdup("dkms.conf cannot be read: the installed modules cannot be checked"),
		       xstrdup("none: fix or reinstall the module's source"));
		return;
	}
	for (size_t i = 0; i < mc->n_mods; i++)
		check_installed_module(vf, w, t, mc, i);
}

/* Splits a kernel link's target "<v>/<k>/<a>" into its three names. */
static bool split_link_target(const char *target, char **v, char **k, char **a)
{
	const char *s1 = strchr(target, '/');
	const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	if (!s2 || strchr(s2 + 1, '/'))
		return false;
	*v = xstrndup(target, (size_t)(s1 - target));
	*k = xstrndup(s1 + 1, (size_t)(s2 - s1 - 1));
	*a = xstrdup(s2 + 1);
	if (name_is_safe(*v) && name_is_safe(*k) && name_is_safe(*a))
		return true;
	free(*v);
	free(*k);
	free(*a);
	*v = *k = *a = NULL;
	return false;
}

/* The kernel-<k>-<a> links of module m: each points at a build, and the
 * version it marks installed is in place. */
static void check_kernel_links(struct verify *vf, const char *m, const char *vfilter)
{
	struct dkms *d = vf->d;
	_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, m);
	_cleanup_strv_ char **names = dir_list(mdir);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *link = path_join(mdir, names[i]);
		char target[4096];
		ssize_t len = startswith(names[i], "kernel-") && is_symlink(link)
				      ? readlink(link, target, sizeof(target) - 1) : -1;
		if (len < 0)
			continue;
		target[len] = '\0';
		_cleanup_free_ char *v = NULL, *k = NULL, *a = NULL;
		bool parsed = split_link_target(target, &v, &k, &a);
		struct where w = {m, v, k, a};
		if ((parsed && !wanted(vf, k, a)) || (!parsed && strv_len(d->cli->kernelver)) ||
		    (!str_empty(vfilter) && (!parsed || !streq(v, vfilter))))
			continue;
		if (!is_dir(link)) {
			report(vf, &w, "dangling-kernel-link", link, VERIFY_FIX_UNLINK,
			       xasprintf("the link marks a version installed but points to a missing directory (%s)",
					 target),
			       xstrdup("remove the link (modules it had installed, if any, stay in the kernel's tree)"));
			continue;
		}
		_cleanup_free_ char *want = parsed ? xasprintf("kernel-%s-%s", k, a) : NULL;
		if (parsed && streq(names[i], want))
			check_installed(vf, &w);
	}
}

/* A kernel directory holds a build when it has an arch directory (one
 * not hidden: those are staging). */
static bool kernel_dir_has_build(const char *kdir)
{
	_cleanup_strv_ char **arches = dir_list(kdir);
	for (size_t i = 0; arches && arches[i]; i++) {
		_cleanup_free_ char *p = path_join(kdir, arches[i]);
		if (arches[i][0] != '.' && is_dir(p))
			return true;
	}
	return false;
}

/* <m>/<v>/<k>: leftovers in it and its builds, or no build at all. */
static void check_kernel_dir(struct verify *vf, const char *m, const char *v, const char *k)
{
	_cleanup_free_ char *kdir = xasprintf("%s/%s/%s/%s", vf->d->s.dkms_tree, m, v, k);
	struct where w = {m, v, k, NULL};
	scan_leftovers(vf, &w, kdir);
	if (!kernel_dir_has_build(kdir)) {
		report(vf, &w, "empty-kernel-dir", kdir, VERIFY_FIX_REMOVE,
		       xstrdup("a kernel directory of the version that holds no build"), xstrdup("remove it"));
		return;
	}
	_cleanup_strv_ char **arches = dir_list(kdir);
	for (size_t i = 0; arches && arches[i]; i++) {
		_cleanup_free_ char *ka = path_join(kdir, arches[i]);
		if (arches[i][0] == '.' || !is_dir(ka) || !wanted(vf, k, arches[i]))
			continue;
		struct where wa = {m, v, k, arches[i]};
		_cleanup_free_ char *moddir = path_join(ka, "module");
		scan_leftovers(vf, &wa, ka);
		scan_leftovers(vf, &wa, moddir);
	}
}

/* <m>/<v>: leftovers, its source link, its kernel directories. */
static void check_version(struct verify *vf, const char *m, const char *v)
{
	_cleanup_free_ char *mv = tree_mv_dir(&vf->d->s, m, v);
	struct where w = {m, v, NULL, NULL};
	scan_leftovers(vf, &w, mv);
	_cleanup_free_ char *src = path_join(mv, "source");
	_cleanup_free_ char *real_src = tree_source_dir(&vf->d->s, m, v);
	if (is_symlink(src) && !is_dir(real_src)) {
		char target[4096];
		ssize_t len = readlink(src, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		/* not removed: without it the version is no longer added, and
		 * neither status nor remove would see it and its installs */
		report(vf, &w, "dangling-source-link", src, VERIFY_FIX_NONE,
		       xasprintf("the version's source link points to a missing directory (%s)", target),
		       xasprintf("none: put the source back in %s, or dkms remove %s/%s --all", target, m, v));
	}
	_cleanup_strv_ char **names = dir_list(mv);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = path_join(mv, names[i]);
		if (looks_like_kernel(names[i]) && is_dir(p) && !is_symlink(p) && wanted(vf, names[i], NULL))
			check_kernel_dir(vf, m, v, names[i]);
	}
}

/* Every module of the tree (or the one named), version by version. */
static void check_modules(struct verify *vf)
{
	struct dkms *d = vf->d;
	const char *fv = d->cli->module_version;
	_cleanup_strv_ char **mods = tree_modules(&d->s, d->cli->module);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_free_ char *mdir = path_join(d->s.dkms_tree, mods[i]);
		struct where w = {mods[i], NULL, NULL, NULL};
		scan_leftovers(vf, &w, mdir);
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], fv);
		for (size_t j = 0; vers[j]; j++)
			check_version(vf, mods[i], vers[j]);
		check_kernel_links(vf, mods[i], fv);
	}
}

/* What belongs to no module: staging in each kernel's module directory,
 * pending depmod and initramfs work, and (without -k) the tops of the
 * dkms and source trees. */
static void check_shared(struct verify *vf)
{
	const struct settings *s = &vf->d->s;
	_cleanup_strv_ char **kernels = dir_list(s->install_tree);
	for (size_t i = 0; kernels && kernels[i]; i++) {
		_cleanup_free_ char *kd = path_join(s->install_tree, kernels[i]);
		struct where w = {.k = kernels[i]};
		if (wanted(vf, kernels[i], NULL))
			scan_leftovers(vf, &w, kd);
	}
	_cleanup_free_ char *pending = path_join(s->dkms_tree, ".pending");
	_cleanup_strv_ char **marks = dir_list(pending);
	for (size_t i = 0; marks && marks[i]; i++) {
		bool dm = startswith(marks[i], "depmod-"), ir = startswith(marks[i], "initramfs-");
		const char *k = dm ? marks[i] + strlen("depmod-") : ir ? marks[i] + strlen("initramfs-") : NULL;
		if (!k || !wanted(vf, k, NULL))
			continue;
		_cleanup_free_ char *p = path_join(pending, marks[i]);
		struct where w = {.k = k};
		report(vf, &w, "pending-work", p, VERIFY_FIX_PENDING,
		       xstrdup(dm ? "depmod has not run since the kernel's modules changed"
				  : "the initramfs has not been regenerated since the kernel's modules changed"),
		       xasprintf(dm ? "run depmod for kernel %s" : "regenerate the initramfs of kernel %s", k));
	}
	if (strv_len(vf->d->cli->kernelver) || strv_len(vf->d->cli->arch))
		return;
	struct where none = {0};
	scan_leftovers(vf, &none, s->dkms_tree);
	scan_leftovers(vf, &none, s->source_tree);
}

/* p is a reinstall of the same version on the same kernel as f. */
static bool same_reinstall(const struct verify_problem *p, const struct verify_problem *f)
{
	return p->fix == VERIFY_FIX_REINSTALL && streq(p->m, f->m) && streq(p->v, f->v) && streq(p->k, f->k) &&
	       streq(p->a, f->a);
}

/* Puts the built copies back for every reinstall problem of the version
 * and kernel of problem `first`: one transaction, all or none. */
static void repair_reinstall(struct verify *vf, size_t first)
{
	struct dkms *d = vf->d;
	const struct verify_problem *f = &vf->p[first];
	const struct kernel_target *t = dkms_target(d, f->k, f->a);
	bool link_it = !str_empty(d->s.symlink_modules), remake = false;
	struct txn x;
	const char *failed = f->path;
	int r = txn_begin(&x, t->modules_dir);
	for (size_t i = first; i < vf->n; i++) {
		struct verify_problem *p = &vf->p[i];
		if (!same_reinstall(p, f))
			continue;
		p->tried = true; /* failed or not, once */
		remake |= p->remake_initrd;
		if (r < 0)
			continue;
		_cleanup_free_ char *dir = xstrndup(p->path, (size_t)(strrchr(p->path, '/') - p->path));
		failed = p->path;
		if ((r = mkdir_p(dir, 0755)) == 0)
			r = txn_stage_copy(&x, p->src, p->path, link_it);
	}
	if (r == 0)
		r = txn_commit(&x, &failed);
	txn_end(&x);
	if (r < 0) {
		warn("Could not reinstall %s/%s on kernel %s (%s): %s: %s.", f->m, f->v, f->k, f->a, failed, strerror(-r));
		return;
	}
	for (size_t i = first; i < vf->n; i++)
		if (same_reinstall(&vf->p[i], f))
			vf->p[i].repaired = true;
	changes_note_depmod(d, t->release);
	if (remake)
		changes_note_initramfs(d, t->release);
}

/* Fixes what needs no rebuild, then runs the commit point now, so that
 * the report can say whether the pending work got done.  A signal stops
 * it between two repairs; what is done stays.  Returns the commit's
 * result (0 or EX_INSTALL). */
static int repair(struct verify *vf)
{
	for (size_t i = 0; i < vf->n && !spawn_interrupted(); i++) {
		struct verify_problem *p = &vf->p[i];
		if (p->fix == VERIFY_FIX_REMOVE) {
			p->tried = true;
			int r = rm_rf(p->path);
			p->repaired = r == 0;
			if (r < 0)
				warn("Could not remove %s: %s", p->path, strerror(-r));
		} else if (p->fix == VERIFY_FIX_UNLINK) {
			p->tried = true;
			p->repaired = unlink(p->path) == 0 || errno == ENOENT;
			if (!p->repaired)
				warn("Could not remove %s: %s", p->path, strerror(errno));
		} else if (p->fix == VERIFY_FIX_REINSTALL && !p->tried) {
			repair_reinstall(vf, i);
		}
	}
	int cr = dkms_commit(vf->d);
	/* post_transaction has run if anything changed: not again at main's
	 * commit, which finds nothing left to do */
	vf->d->changes.changed = false;
	for (size_t i = 0; i < vf->n; i++) {
		struct verify_problem *p = &vf->p[i];
		if (p->fix == VERIFY_FIX_PENDING) {
			p->tried = true;
			p->repaired = cr == 0 && !path_exists(p->path);
		}
	}
	return cr;
}

/* The tree's lock, taken here and not with dkms_lock(), which would
 * first remove the staging directories this command is to report: shared
 * to look (waiting only while a run changes the tree, so that no staging
 * seen is a live run's), exclusive to repair, kept in d->lock_fd so that
 * the commit point runs.  0 or -errno. */
static int verify_lock(struct dkms *d, bool exclusive, int *fd_out)
{
	int fd = open(d->s.dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int op = exclusive ? LOCK_EX : LOCK_SH;
	if (flock(fd, op | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			int r = -errno;
			close(fd);
			return r;
		}
		info("Waiting for another dkms process to release %s ...", d->s.dkms_tree);
		while (flock(fd, op) < 0) {
			if (errno != EINTR) {
				int r = -errno;
				close(fd);
				return r;
			}
		}
	}
	if (exclusive)
		d->lock_fd = fd;
	*fd_out = fd;
	return 0;
}

/* s, with control characters (a newline in a planted name) shown as '?':
 * one problem, one line. */
static void append_line_safe(struct strbuf *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		strbuf_appendn(out, *c < 0x20 || *c == 0x7f ? "?" : (const char *)c, 1);
}

void verify_problem_text(struct strbuf *out, const struct verify_problem *p, bool repairing)
{
	struct strbuf sb = {0};
	strbuf_appendf(&sb, "%s: ", p->kind);
	if (p->m && p->v)
		strbuf_appendf(&sb, "%s/%s", p->m, p->v);
	else if (p->m)
		strbuf_append(&sb, p->m);
	if (p->k)
		strbuf_appendf(&sb, "%s%s", p->m ? ", " : "", p->k);
	if (p->a)
		strbuf_appendf(&sb, ", %s", p->a);
	strbuf_appendf(&sb, "%s%s: %s; repair: %s", p->m || p->k ? ": " : "", p->path, p->what, p->repair);
	if (repairing)
		strbuf_append(&sb, p->repaired ? " [repaired]" : " [not repaired]");
	append_line_safe(out, sb.buf);
	strbuf_append(out, "\n");
	strbuf_release(&sb);
}

/* s as a JSON string; null for NULL. */
static void json_str(struct strbuf *out, const char *s)
{
	if (!s) {
		strbuf_append(out, "null");
		return;
	}
	strbuf_append(out, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			strbuf_appendf(out, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			strbuf_appendf(out, "\\u%04x", *c);
		else
			strbuf_appendn(out, (const char *)c, 1);
	}
	strbuf_append(out, "\"");
}

void verify_problem_json(struct strbuf *out, const struct verify_problem *p)
{
	const char *keys[] = {"kind", "module", "version", "kernel", "arch", "path", "message", "repair"};
	const char *vals[] = {p->kind, p->m, p->v, p->k, p->a, p->path, p->what, p->repair};
	strbuf_append(out, "{");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		strbuf_appendf(out, "%s\"%s\": ", i ? ", " : "", keys[i]);
		json_str(out, vals[i]);
	}
	strbuf_appendf(out, ", \"repairable\": %s, \"repaired\": %s}", p->fix != VERIFY_FIX_NONE ? "true" : "false",
		       p->repaired ? "true" : "false");
}

void verify_problem_free(struct verify_problem *p)
{
	char **fields[] = {&p->m, &p->v, &p->k, &p->a, &p->path, &p->what, &p->repair, &p->src};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		free(*fields[i]);
	*p = (struct verify_problem){0};
}

/* The report on stdout: a line per problem and a count, or the JSON
 * document.  Returns the number of problems left unrepaired. */
static size_t print_report(const struct verify *vf, bool repairing, bool json)
{
	struct strbuf out = {0};
	size_t fixable = 0, repaired = 0;
	if (json)
		strbuf_appendf(&out, "{\"repair\": %s, \"problems\": [", repairing ? "true" : "false");
	for (size_t i = 0; i < vf->n; i++) {
		fixable += vf->p[i].fix != VERIFY_FIX_NONE;
		repaired += vf->p[i].repaired;
		if (json) {
			strbuf_append(&out, i ? ",\n  " : "\n  ");
			verify_problem_json(&out, &vf->p[i]);
		} else {
			verify_problem_text(&out, &vf->p[i], repairing);
		}
	}
	if (json)
		strbuf_append(&out, vf->n ? "\n]}\n" : "]}\n");
	else if (vf->n && repairing)
		strbuf_appendf(&out, "%zu problem%s found, %zu repaired.\n", vf->n, vf->n == 1 ? "" : "s", repaired);
	else if (vf->n)
		strbuf_appendf(&out, "%zu problem%s found; dkms verify --repair would fix %zu of them.\n", vf->n,
			       vf->n == 1 ? "" : "s", fixable);
	if (out.len)
		fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	return vf->n - repaired;
}

/* -m and -v name a module (and version) of the tree; --repair needs
 * root, as install does.  0 or an exit code after a message. */
static int check_args(struct dkms *d)
{
	const struct cli *c = d->cli;
	const char *m = c->module, *v = c->module_version;
	if ((!str_empty(m) && !name_is_plain(m)) || (!str_empty(v) && !name_is_plain(v))) {
		error("Invalid module name or version '%s/%s': only " NAME_PLAIN_CHARS " are allowed, and not '.' or '..' alone.",
		      m ? m : "", v ? v : "");
		return EX_FAILED;
	}
	if (str_empty(m) && !str_empty(v)) {
		error("A module version was given without its module: dkms verify -m <module>/<module-version>");
		return EX_FAILED;
	}
	if (c->repair && getuid() != 0) {
		error("You must be root to use this command.");
		return EX_FAILED;
	}
	if (str_empty(m))
		return 0;
	_cleanup_free_ char *dir = str_empty(v) ? path_join(d->s.dkms_tree, m) : tree_mv_dir(&d->s, m, v);
	if (is_dir(dir))
		return 0;
	if (str_empty(v))
		error("The module: %s is not located in the DKMS tree.", m);
	else
		error("The module/version combo: %s-%s is not located in the DKMS tree.", m, v);
	return EX_NOT_ADDED;
}

/* With --json stdout carries the document alone: what the checks and the
 * repair print meanwhile (waiting for the lock, --verbose, the commit
 * point) goes to stderr.  Returns the saved stdout, or -1. */
static int divert_stdout(void)
{
	fflush(stdout);
	int saved = dup(1);
	if (saved >= 0)
		dup2(2, 1);
	return saved;
}

static void restore_stdout(int saved)
{
	if (saved < 0)
		return;
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
}

int action_verify(struct dkms *d)
{
	const struct cli *c = d->cli;
	int r = check_args(d);
	if (r)
		return r;
	struct verify vf = {.d = d};
	int saved = d->opt.json ? divert_stdout() : -1;
	int fd = -1, cr = 0;
	/* no dkms tree: nothing was ever added, nothing to check */
	if (is_dir(d->s.dkms_tree) && (r = verify_lock(d, c->repair, &fd)) < 0) {
		restore_stdout(saved);
		error("Could not lock the DKMS tree at %s: %s", d->s.dkms_tree, strerror(-r));
		return EX_FAILED;
	}
	if (fd >= 0) {
		check_modules(&vf);
		if (str_empty(c->module))
			check_shared(&vf);
		if (c->repair && vf.n)
			cr = repair(&vf);
		if (!c->repair)
			close(fd);
	}
	restore_stdout(saved);
	size_t left = print_report(&vf, c->repair, d->opt.json);
	for (size_t i = 0; i < vf.n; i++)
		verify_problem_free(&vf.p[i]);
	free(vf.p);
	return left ? EX_VERIFY_PROBLEMS : cr;
}
