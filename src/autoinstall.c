/* autoinstall: build and install, for one kernel, the newest version of
 * every module whose dkms.conf says AUTOINSTALL, in BUILD_DEPENDS order.
 * One failure never stops the others; a summary says what happened to
 * each module. */
#include <stdio.h>
#include <string.h>

#include "dkms.h"
#include "kernel.h"
#include "log.h"
#include "tree.h"


struct job {
	char *m, *v;
	char **deps;
	int result;   /* -1 pending, else the exit code of install */
	bool done;
};

int action_autoinstall(struct dkms *d)
{
	struct cli *c = d->cli;
	const char *k = c->kernelver[0], *a = c->arch[0];
	struct job *jobs = NULL;
	size_t nj = 0;
	_cleanup_strv_ char **installed = xcalloc(1, sizeof(char *));

	_cleanup_strv_ char **mods = tree_modules(&d->s, NULL);
	for (size_t i = 0; mods[i]; i++) {
		_cleanup_strv_ char **vers = tree_versions(&d->s, mods[i], NULL);
		char *best = NULL;
		char **best_deps = NULL;
		bool is_installed = false;
		for (size_t j = 0; vers[j]; j++) {
			const char *m = mods[i], *v = vers[j];
			if (!tree_is_added(&d->s, m, v))
				continue;
			if (tree_link_is_installed(&d->s, m, v, k, a)) {
				is_installed = true;
				continue;
			}
			const struct module_conf *mc;
			if (dkms_read_conf(d, m, v, k, a, NULL, &mc) != 0)
				continue;
			if (!mc->autoinstall)
				continue;
			if (!best || ver_cmp(v, best) > 0) {
				free(best);
				strv_free(best_deps);
				best = xstrdup(v);
				best_deps = xcalloc(1, sizeof(char *));
				for (size_t l = 0; mc->build_depends[l]; l++)
					strv_pushdup(&best_deps, mc->build_depends[l]);
			}
		}
		if (is_installed)
			strv_pushdup(&installed, mods[i]);
		if (best) {
			jobs = xrealloc(jobs, (nj + 1) * sizeof(*jobs));
			jobs[nj++] = (struct job){.m = xstrdup(mods[i]), .v = best, .deps = best_deps, .result = -1};
		} else {
			strv_free(best_deps);
		}
	}
	if (nj == 0) {
		free(jobs);
		return 0;
	}

	/* Rounds: install every job whose dependencies are installed, until
	 * a round installs nothing. */
	for (;;) {
		size_t count = 0;
		for (size_t i = 0; i < nj; i++) {
			struct job *j = &jobs[i];
			if (j->done)
				continue;
			bool ready = true;
			for (size_t l = 0; j->deps[l]; l++)
				if (!strv_contains(installed, j->deps[l]))
					ready = false;
			if (!ready)
				continue;
			j->done = true;
			dkms_forget_conf(d);
			j->result = do_install(d, j->m, j->v, k, a);
			dkms_flush_depmod(d);
			if (j->result == 0) {
				strv_pushdup(&installed, j->m);
				count++;
			}
		}
		if (count == 0)
			break;
	}

	int failed = 0;
	info_blank();
	info("Autoinstall on kernel %s (%s):", k, a);
	for (size_t i = 0; i < nj; i++) {
		struct job *j = &jobs[i];
		if (!j->done) {
			struct strbuf sb = {0};
			for (size_t l = 0; j->deps[l]; l++)
				strbuf_appendf(&sb, "%s%s", l ? " " : "", j->deps[l]);
			_cleanup_free_ char *deps = strbuf_steal(&sb);
			info("  %s/%s: failed, missing dependencies: %s", j->m, j->v, deps);
			failed++;
		} else if (j->result == 0) {
			info("  %s/%s: installed", j->m, j->v);
		} else if (j->result == 77) {
			info("  %s/%s: skipped (BUILD_EXCLUSIVE does not match this kernel)", j->m, j->v);
		} else {
			_cleanup_free_ char *log = xasprintf("%s/%s/%s/build/make.log", d->s.dkms_tree, j->m, j->v);
			_cleanup_free_ char *first = path_exists(log) ? first_error_line(log) : NULL;
			info("  %s/%s: failed (exit %d)%s%s%s%s", j->m, j->v, j->result, first ? ": " : "",
			     first ? first : "", path_exists(log) ? ", log: " : "", path_exists(log) ? log : "");
			failed++;
		}
	}
	for (size_t i = 0; i < nj; i++) {
		free(jobs[i].m);
		free(jobs[i].v);
		strv_free(jobs[i].deps);
	}
	free(jobs);
	if (failed) {
		error("One or more modules failed to install during autoinstall.\nRefer to previous errors for more information.");
		return 11;
	}
	return 0;
}
