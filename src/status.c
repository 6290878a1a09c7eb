/* status: what the state tree says, in rows (status.h). */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "status.h"

#include "actions.h"
#include "failure.h"
#include "kernel.h"
#include "log.h"
#include "samecache.h"
#include "tree.h"
#include "uninstall.h"


/* The built file of each module of m/v for t, in dkms.conf's order, with
 * what stat says of it: true when all are there (m/v is built for t). */
static bool find_built(struct dkms *d, const struct module_conf *mc, const char *m, const char *v,
		       const struct kernel_target *t, char **files, struct stat *sts)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (mc->n_mods == 0)
		return is_dir(moddir);
	for (size_t i = 0; i < mc->n_mods; i++)
		if (!(files[i] = find_module_file_stat(moddir, mc->mods[i].dest_name, t->module_suffix, &sts[i])))
			return false;
	return true;
}

/* (may_have_orig: false when the listing of m's directory had no
 * original_module in it) */
static char *status_extra(struct dkms *d, const struct module_conf *mc, const char *m, const struct kernel_target *t,
			  bool installed, char *const *built, const struct stat *built_st, bool may_have_orig)
{
	const char *k = t->release, *a = t->arch;
	struct strbuf sb = {0};
	_cleanup_free_ char *orig = tree_original_dir(&d->s, m, k, a);
	if (may_have_orig && is_dir(orig))
		strbuf_append(&sb, " (original_module exists)");
	bool unmarked = false;
	for (size_t i = 0; i < mc->n_mods; i++) {
		_cleanup_free_ char *dir = str_concat(t->modules_dir, mc->mods[i].dest_location, NULL);
		struct stat placed_st;
		_cleanup_free_ char *placed = find_module_file_stat(dir, mc->mods[i].dest_name, t->module_suffix, &placed_st);
		bool same = placed && same_files_cached(d->s.dkms_tree, built[i], &built_st[i], placed, &placed_st);
		if (!installed) {
			/* an install killed between placing the modules and
			 * marking them installed: they are in place all the same */
			unmarked |= same;
		} else if (same) {
			/* the module where dkms.conf puts it is the one built
			 * (so installed_module_path would find it there) */
		} else {
			_cleanup_free_ char *inst = installed_module_path(d, mc, i, m, t);
			/* an uninstall killed half-way: say so, not "Diff" */
			if (!inst)
				strbuf_append(&sb, " (WARNING! Installed module missing!)");
			else if (!files_same(built[i], inst))
				strbuf_append(&sb, " (WARNING! Diff between built and installed module!)");
		}
	}
	if (unmarked)
		strbuf_append(&sb, " (WARNING! Modules in place but not marked installed!)");
	return strbuf_steal(&sb);
}

/* status --json: a row "failed" for each kernel whose last build of m/v
 * failed and that has no build now. */
static void failed_rows(struct dkms *d, const char *m, const char *v, const char *fk, const char *fa,
			struct status_row **rows, size_t *n)
{
	_cleanup_strv_ char **kas = failure_kernel_arches(&d->s, m, v, fk, fa);
	for (size_t i = 0; kas[i]; i++) {
		char *slash = strrchr(kas[i], '/');
		*slash = '\0';
		const char *k = kas[i], *a = slash + 1;
		struct build_failure f;
		_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, k, a);
		if (is_dir(ka) || failure_load(&d->s, m, v, k, a, &f) < 0)
			continue;
		*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
		(*rows)[(*n)++] = (struct status_row){
			.m = TAKE_PTR(f.m), .v = TAKE_PTR(f.v), .k = TAKE_PTR(f.k), .a = TAKE_PTR(f.a),
			.state = xstrdup("failed"), .exit_code = f.exit_code, .reason = TAKE_PTR(f.reason),
			.first_error = TAKE_PTR(f.first_error), .log = TAKE_PTR(f.log), .time = failure_time_text(f.time),
		};
		failure_free(&f);
	}
}

static void push_row(struct status_row **rows, size_t *n, struct status_row row)
{
	*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
	(*rows)[(*n)++] = row;
}

/* status --json: why m/v is broken, as newer releases call it (its source
 * link points to nothing, or the link is gone while the source is still
 * in the source tree: nothing in the tree can be trusted), or NULL. */
static char *broken_reason(const struct settings *s, const char *m, const char *v)
{
	_cleanup_free_ char *mv = tree_mv_dir(s, m, v);
	_cleanup_free_ char *link = path_join(mv, "source");
	_cleanup_free_ char *src = xasprintf("%s/%s-%s", s->source_tree, m, v);
	if (!is_dir(mv))
		return NULL;
	if (is_symlink(link) && !is_dir(link))
		return xasprintf("the module source directory is missing: %s points to nothing", link);
	if (!is_symlink(link) && !is_dir(link) && is_dir(src))
		return xasprintf("the symbolic link %s to the module source %s is missing", link, src);
	return NULL;
}

/* status --json: a row "incomplete" when k/a has a module/ directory
 * that lacks some of the modules dkms.conf names (the text lines, as the
 * reference's, show no row for it).  True when there is one. */
static bool incomplete_row(struct dkms *d, const struct module_conf *mc, const char *m, const char *v,
			   const struct kernel_target *t, struct status_row **rows, size_t *n)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (!is_dir(moddir))
		return false;
	struct strbuf missing = {0};
	for (size_t i = 0; i < mc->n_mods; i++) {
		_cleanup_free_ char *f = find_module_file(moddir, mc->mods[i].dest_name, t->module_suffix);
		if (!f)
			strbuf_appendf(&missing, " %s.ko%s", mc->mods[i].dest_name, t->module_suffix);
	}
	if (!missing.len)
		return false;
	push_row(rows, n, (struct status_row){
		.m = xstrdup(m), .v = xstrdup(v), .k = xstrdup(t->release), .a = xstrdup(t->arch),
		.state = xstrdup("incomplete"), .reason = xasprintf("built modules missing in %s:%s", moddir, missing.buf),
		.marked_installed = tree_link_is_installed(&d->s, m, v, t->release, t->arch),
	});
	strbuf_release(&missing);
	return true;
}

/* The rows for one filter (module, version, kernel, arch; each may be
 * NULL for any). */
static void collect(struct dkms *d, const char *fm, const char *fv, const char *fk, const char *fa,
		    struct status_row **rows, size_t *n)
{
	_cleanup_strv_ char **mods = tree_modules(&d->s, fm);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_version_entries(&d->s, mods[i], fv);
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
			char *broken = d->opt.json ? broken_reason(&d->s, m, v) : NULL;
			if (broken) {
				push_row(rows, n, (struct status_row){.m = xstrdup(m), .v = xstrdup(v),
								      .state = xstrdup("broken"), .reason = broken});
				continue;
			}
			if (!tree_is_added(&d->s, m, v))
				continue;
			bool any = false;
			_cleanup_strv_ char **kas = tree_kernel_arches(&d->s, m, v, fk, fa);
			for (size_t l = 0; kas[l]; l++) {
				_cleanup_free_ char *k = xstrdup(kas[l]);
				char *a = strchr(k, '/');
				*a++ = '\0';
				const struct kernel_target *t = dkms_target(d, k, a);
				const struct module_conf *mc;
				if (dkms_read_conf(d, m, v, t, NULL, &mc))
					continue;
				char **built = xcalloc(mc->n_mods + 1, sizeof(*built));
				struct stat *built_st = xcalloc(mc->n_mods + 1, sizeof(*built_st));
				if (!find_built(d, mc, m, v, t, built, built_st)) {
					any |= d->opt.json && incomplete_row(d, mc, m, v, t, rows, n);
				} else {
					any = true;
					bool installed = tree_link_is_installed_at(&d->s, m, v, k, a, true);
					push_row(rows, n, (struct status_row){
						.m = xstrdup(m), .v = xstrdup(v), .k = xstrdup(k), .a = xstrdup(a),
						.state = xstrdup(installed ? "installed" : "built"),
						.extra = status_extra(d, mc, m, t, installed, built, built_st,
								      fv || strv_contains(vers, "original_module")),
					});
				}
				strv_free(built);
				free(built_st);
			}
			if (d->opt.json)
				failed_rows(d, m, v, fk, fa, rows, n);
			if (!any) {
				*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
				(*rows)[(*n)++] = (struct status_row){.m = xstrdup(m), .v = xstrdup(v), .state = xstrdup("added")};
			}
		}
	}
}

void json_str(struct strbuf *out, const char *s)
{
	strbuf_append(out, "\"");
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_appendf(out, "\\%c", *p);
		else if (*p < 0x20)
			strbuf_appendf(out, "\\u%04x", *p);
		else
			strbuf_appendn(out, (const char *)p, 1);
	}
	strbuf_append(out, "\"");
}

void status_row_json(struct strbuf *out, const struct status_row *r)
{
	strbuf_append(out, "{\"module\": ");
	json_str(out, r->m);
	strbuf_append(out, ", \"version\": ");
	json_str(out, r->v);
	if (r->k) {
		strbuf_append(out, ", \"kernel\": ");
		json_str(out, r->k);
		strbuf_append(out, ", \"arch\": ");
		json_str(out, r->a);
	}
	strbuf_append(out, ", \"state\": ");
	json_str(out, r->state);
	if (r->extra && *r->extra) {
		strbuf_append(out, ", \"warnings\": ");
		json_str(out, r->extra + 1);
	}
	if (streq(r->state, "broken") || streq(r->state, "incomplete")) {
		strbuf_append(out, ", \"reason\": ");
		json_str(out, r->reason);
	}
	if (streq(r->state, "incomplete"))
		strbuf_appendf(out, ", \"marked_installed\": %s", r->marked_installed ? "true" : "false");
	if (streq(r->state, "failed")) {
		const char *keys[] = {"reason", "first_error", "log", "time"};
		const char *values[] = {r->reason, r->first_error, r->log, r->time};
		strbuf_appendf(out, ", \"exit_code\": %d", r->exit_code);
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			strbuf_appendf(out, ", \"%s\": ", keys[i]);
			if (values[i])
				json_str(out, values[i]);
			else
				strbuf_append(out, "null");
		}
	}
	strbuf_append(out, "}");
}

void status_row_text(struct strbuf *out, const struct status_row *r)
{
	if (streq(r->state, "added") || !r->k)
		strbuf_appendf(out, "%s/%s: added\n", r->m, r->v);
	else
		strbuf_appendf(out, "%s/%s, %s, %s: %s%s\n", r->m, r->v, r->k, r->a, r->state, r->extra ? r->extra : "");
}

void status_row_free(struct status_row *r)
{
	free(r->m);
	free(r->v);
	free(r->k);
	free(r->a);
	free(r->state);
	free(r->extra);
	free(r->reason);
	free(r->first_error);
	free(r->log);
	free(r->time);
	*r = (struct status_row){0};
}

int action_status(struct dkms *d)
{
	struct cli *c = d->cli;
	struct status_row *rows = NULL;
	size_t n = 0;
	size_t nk = strv_len(c->kernelver);
	/* what bash made of a dkms.conf before serves again: no bash here */
	d->conf_from_cache = true;
	/* the reference reads each dkms.conf here with stderr silenced */
	fflush(stderr);
	int saved_err = log_silence_stderr();
	tree_cache_listings(d->s.dkms_tree);
	if (nk == 0) {
		collect(d, c->module, c->module_version, NULL, c->arch ? c->arch[0] : NULL, &rows, &n);
	} else {
		for (size_t i = 0; i < nk; i++)
			collect(d, c->module, c->module_version, c->kernelver[i],
				c->arch && i < strv_len(c->arch) ? c->arch[i] : NULL, &rows, &n);
	}
	log_restore_stderr(saved_err);
	tree_cache_listings(NULL);
	samecache_flush();
	struct strbuf out = {0};
	strbuf_append(&out, c->json ? "[" : "");
	for (size_t i = 0; i < n; i++) {
		if (c->json) {
			strbuf_append(&out, i ? ",\n  " : "\n  ");
			status_row_json(&out, &rows[i]);
		} else {
			status_row_text(&out, &rows[i]);
		}
		status_row_free(&rows[i]);
	}
	if (c->json)
		strbuf_append(&out, n ? "\n]\n" : "]\n");
	fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	free(rows);
	return 0;
}
