/* status: the reference's lines, which scripts split with IFS=",:/ ":
 *   name/version: added
 *   name/version, kernel, arch: built|installed[ (warnings)]
 * and, with --json, the same facts as JSON. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"
#include "uninstall.h"


struct status_row {
	char *m, *v, *k, *a, *state, *extra;
};

static bool files_differ(const char *a, const char *b)
{
	_cleanup_free_ char *x = NULL, *y = NULL;
	size_t lx = 0, ly = 0;
	if (!a || !b || read_file(a, &x, &lx) < 0 || read_file(b, &y, &ly) < 0)
		return true;
	return lx != ly || memcmp(x, y, lx) != 0;
}

static char *status_extra(struct dkms *d, const struct module_conf *mc, const char *m, const char *v,
			  const struct kernel_target *t)
{
	const char *k = t->release, *a = t->arch;
	struct strbuf sb = {0};
	_cleanup_free_ char *orig = tree_original_dir(&d->s, m, k, a);
	if (is_dir(orig))
		strbuf_append(&sb, " (original_module exists)");
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, k, a);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	const char *comp = t->module_suffix;
	for (size_t i = 0; i < mc->n_mods; i++) {
		_cleanup_free_ char *tree_mod = find_module_file(moddir, mc->mods[i].dest_name, comp);
		if (!tree_mod) {
			strbuf_append(&sb, " (WARNING! Missing some built modules!)");
		} else if (tree_link_is_installed(&d->s, m, v, k, a)) {
			_cleanup_free_ char *inst = installed_module_path(d, mc, i, m, t);
			if (files_differ(tree_mod, inst))
				strbuf_append(&sb, " (WARNING! Diff between built and installed module!)");
		}
	}
	return strbuf_steal(&sb);
}

/* The rows for one filter (module, version, kernel, arch; each may be
 * NULL for any). */
static void collect(struct dkms *d, const char *fm, const char *fv, const char *fk, const char *fa,
		    struct status_row **rows, size_t *n)
{
	_cleanup_strv_ char **mods = tree_modules(&d->s, fm);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], fv);
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
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
				if (!module_is_built(d, m, v, t) || dkms_read_conf(d, m, v, t, NULL, &mc))
					continue;
				any = true;
				*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
				(*rows)[(*n)++] = (struct status_row){
					.m = xstrdup(m), .v = xstrdup(v), .k = xstrdup(k), .a = xstrdup(a),
					.state = xstrdup(tree_link_is_installed(&d->s, m, v, k, a) ? "installed" : "built"),
					.extra = status_extra(d, mc, m, v, t),
				};
			}
			if (!any) {
				*rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
				(*rows)[(*n)++] = (struct status_row){.m = xstrdup(m), .v = xstrdup(v), .state = xstrdup("added")};
			}
		}
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int action_status(struct dkms *d)
{
	struct cli *c = d->cli;
	struct status_row *rows = NULL;
	size_t n = 0;
	size_t nk = strv_len(c->kernelver);
	/* the reference reads each dkms.conf here with stderr silenced */
	fflush(stderr);
	int saved_err = dup(2);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, 2);
	if (nk == 0) {
		collect(d, c->module, c->module_version, NULL, c->arch ? c->arch[0] : NULL, &rows, &n);
	} else {
		for (size_t i = 0; i < nk; i++)
			collect(d, c->module, c->module_version, c->kernelver[i],
				c->arch && i < strv_len(c->arch) ? c->arch[i] : NULL, &rows, &n);
	}
	if (devnull >= 0) {
		fflush(stderr);
		dup2(saved_err, 2);
		close(devnull);
	}
	if (saved_err >= 0)
		close(saved_err);
	if (c->json)
		printf("[");
	for (size_t i = 0; i < n; i++) {
		struct status_row *r = &rows[i];
		if (c->json) {
			printf("%s\n  {\"module\": ", i ? "," : "");
			json_str(r->m);
			printf(", \"version\": ");
			json_str(r->v);
			if (r->k) {
				printf(", \"kernel\": ");
				json_str(r->k);
				printf(", \"arch\": ");
				json_str(r->a);
			}
			printf(", \"state\": ");
			json_str(r->state);
			if (r->extra && *r->extra) {
				printf(", \"warnings\": ");
				json_str(r->extra + 1);
			}
			printf("}");
		} else if (streq(r->state, "added")) {
			printf("%s/%s: added\n", r->m, r->v);
		} else {
			printf("%s/%s, %s, %s: %s%s\n", r->m, r->v, r->k, r->a, r->state, r->extra);
		}
		free(r->m);
		free(r->v);
		free(r->k);
		free(r->a);
		free(r->state);
		free(r->extra);
	}
	if (c->json)
		printf("%s]\n", n ? "\n" : "");
	free(rows);
	return 0;
}
