#include "dkms.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "sandbox.h"
#include "tree.h"
#include "util/spawn.h"
#include "util/staged.h"

static void replace(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* The kernels installed in the tree: directories of install_tree that
 * hold a kernel's modules or its build link, not only ours. */
static bool is_kernel_dir(const char *dir)
{
	static const char *const marks[] = {"modules.order", "modules.dep", "kernel", "build"};
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		_cleanup_free_ char *p = path_join(dir, marks[i]);
		if (path_exists(p) || is_symlink(p))
			return true;
	}
	return false;
}

char **dkms_installed_kernels(const struct settings *s)
{
	char **out = xcalloc(1, sizeof(char *));
	_cleanup_strv_ char **names = dir_list(s->install_tree);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *dir = path_join(s->install_tree, names[i]);
		if (name_is_plain(names[i]) && is_dir(dir) && is_kernel_dir(dir))
			strv_pushdup(&out, names[i]);
	}
	return out;
}

/* --root: the system worked on does not run, so its "running kernel" is
 * its newest installed one ("" when it has none: -k is then needed). */
static char *root_default_kernel(const struct settings *s)
{
	_cleanup_strv_ char **ks = dkms_installed_kernels(s);
	const char *best = NULL;
	for (size_t i = 0; ks[i]; i++)
		if (!best || kernel_version_cmp(ks[i], best) > 0)
			best = ks[i];
	return xstrdup(best ? best : "");
}

/* --root DIR, as a canonical directory; NULL (said) when unusable. */
static char *root_dir(const char *arg)
{
	if (str_empty(arg))
		return xstrdup("/");
	char *real = realpath(arg, NULL);
	if (!real || !is_dir(real)) {
		error("--root %s: %s.", arg, real ? "not a directory" : strerror(errno));
		free(real);
		return NULL;
	}
	return real;
}

int dkms_init(struct dkms *d, struct cli *c)
{
	*d = (struct dkms){.cli = c};
	_cleanup_free_ char *root = root_dir(c->root);
	if (!root)
		return EX_FAILED;
	int r = settings_load(&d->s, root);
	if (r < 0) {
		error("Could not read the framework configuration: %s", strerror(-r));
		return EX_FAILED;
	}
	struct settings *s = &d->s;
	if (c->dkms_tree)
		replace(&s->dkms_tree, c->dkms_tree);
	if (c->source_tree)
		replace(&s->source_tree, c->source_tree);
	if (c->install_tree)
		replace(&s->install_tree, c->install_tree);
	if (!str_empty(c->kernel_source_dir))
		replace(&s->kernel_source_dir, c->kernel_source_dir);
	if (!str_empty(c->kernel_config))
		replace(&s->kernel_config, c->kernel_config);
	if (c->modprobe_on_install)
		replace(&s->modprobe_on_install, "true");
	if (c->symlink_modules)
		replace(&s->symlink_modules, "true");
	if (c->verbose || !str_empty(s->verbose))
		log_set_verbose(true);
	if (settings_in_root(s)) {
		free(s->current_kernel);
		s->current_kernel = root_default_kernel(s);
		debug("Working on the system in %s: dkms tree %s, source tree %s, install tree %s, default kernel %s.",
		      s->root, s->dkms_tree, s->source_tree, s->install_tree,
		      *s->current_kernel ? s->current_kernel : "(none)");
	}
	d->opt = (struct run_opts){
		.force = c->force, .force_version_override = c->force_version_override,
		.no_depmod = c->no_depmod, .no_initrd = c->no_initrd,
		.binaries_only = c->binaries_only, .source_only = c->source_only, .json = c->json,
		.conf = !str_empty(c->conf) ? c->conf : NULL, .directives = c->directives,
	};
	/* -j: the command line, else parallel_jobs, else the number of CPUs;
	 * 0 means no limit. */
	const char *jobs = c->jobs ? c->jobs : s->parallel_jobs;
	if (str_empty(jobs)) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		d->opt.jobs = xasprintf("%ld", n > 0 ? n : 1);
	} else {
		d->opt.jobs = xstrdup(streq(jobs, "0") ? "" : jobs);
	}
	return 0;
}

void dkms_free(struct dkms *d)
{
	dkms_forget_conf(d);
	for (size_t i = 0; i < d->n_targets; i++) {
		kernel_target_free(d->targets[i]);
		free(d->targets[i]);
	}
	free(d->targets);
	free(d->opt.jobs);
	if (d->lock_fd > 0)
		close(d->lock_fd);
	settings_free(&d->s);
	*d = (struct dkms){0};
}

const struct kernel_target *dkms_target(struct dkms *d, const char *k, const char *a)
{
	for (size_t i = 0; i < d->n_targets; i++)
		if (streq(d->targets[i]->release, k) && streq(d->targets[i]->arch, a))
			return d->targets[i];
	struct kernel_target *t = xcalloc(1, sizeof(*t));
	kernel_target_resolve(t, &d->s, k, a);
	d->targets = xrealloc(d->targets, (d->n_targets + 1) * sizeof(*d->targets));
	d->targets[d->n_targets++] = t;
	return t;
}

const struct kernel_target *dkms_first_target(struct dkms *d)
{
	struct cli *c = d->cli;
	return dkms_target(d, c->kernelver && c->kernelver[0] ? c->kernelver[0] : d->s.current_kernel,
			   c->arch && c->arch[0] ? c->arch[0] : d->s.machine);
}

int dkms_read_conf(struct dkms *d, const char *m, const char *v, const struct kernel_target *t, const char *file,
		   const struct module_conf **out)
{
	_cleanup_free_ char *srcdir = tree_source_dir(&d->s, m, v);
	_cleanup_free_ char *deffile = path_join(srcdir, "dkms.conf");
	if (!file)
		file = d->opt.conf ? d->opt.conf : deffile;
	_cleanup_free_ char *key = xasprintf("%s\n%s\n%s\n%s\n%s", m, v, t->release, t->arch, file);
	if (d->conf_key && streq(d->conf_key, key)) {
		*out = &d->conf;
		return 0;
	}
	dkms_forget_conf(d);
	/* what bash makes of a registered version's dkms.conf is kept in its
	 * directory, and goes with it */
	_cleanup_free_ char *mv = !str_empty(m) && !str_empty(v) ? xasprintf("%s/%s/%s", d->s.dkms_tree, m, v) : NULL;
	/* a run that only reads (status, check) reads one version for every
	 * kernel in turn: its directory was there for the last kernel */
	static char *seen_mv;
	bool mv_there = mv && ((d->conf_from_cache && streq(seen_mv, mv)) || is_dir(mv));
	if (mv_there && !streq(seen_mv, mv)) {
		free(seen_mv);
		seen_mv = xstrdup(mv);
	}
	struct conf_request rq = {
		.s = &d->s, .module = m, .module_version = v, .t = t, .file = file, .directives = d->opt.directives,
		.cache_tree = mv_there ? mv : NULL, .cache_read = d->conf_from_cache,
	};
	int r = module_conf_load(&rq, &d->conf);
	if (r == -ENOENT) {
		module_conf_free(&d->conf);
		return EX_NO_CONF;
	}
	if (r < 0) {
		module_conf_free(&d->conf);
		error("Bad conf file.\nFile: %s does not represent a valid dkms.conf file.", file);
		return EX_BAD_CONF;
	}
	d->conf_key = TAKE_PTR(key);
	*out = &d->conf;
	return 0;
}

int dkms_conf_strict(const struct module_conf *mc)
{
	if (module_conf_check_names(mc) == 0)
		return 0;
	error("Bad conf file.\nFile: %s does not represent a valid dkms.conf file.", mc->file);
	return EX_BAD_CONF;
}

void dkms_forget_conf(struct dkms *d)
{
	if (d->conf_key)
		module_conf_free(&d->conf);
	free(d->conf_key);
	d->conf_key = NULL;
}

bool module_is_built(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	_cleanup_free_ char *ka = tree_ka_dir(&d->s, m, v, t->release, t->arch);
	_cleanup_free_ char *moddir = path_join(ka, "module");
	if (!is_dir(moddir))
		return false;
	const struct module_conf *mc;
	if (dkms_read_conf(d, m, v, t, NULL, &mc))
		return false;
	return tree_is_built(&d->s, m, v, t, mc);
}

bool module_is_installed(struct dkms *d, const char *m, const char *v, const struct kernel_target *t)
{
	return module_is_built(d, m, v, t) && tree_link_is_installed(&d->s, m, v, t->release, t->arch);
}

bool skip_unless_force(struct dkms *d, const char *what)
{
	if (d->opt.force)
		return false;
	info("%s, skip. You may override by specifying --force.", what);
	return true;
}

int dkms_check_module_args(struct dkms *d, const char *action)
{
	if (!str_empty(d->cli->module) && !str_empty(d->cli->module_version)) {
		if (!name_is_plain(d->cli->module) || !name_is_plain(d->cli->module_version)) {
			error("Invalid module name or version '%s/%s': only " NAME_PLAIN_CHARS " are allowed, and not '.' or '..' alone.",
			      d->cli->module, d->cli->module_version);
			return EX_FAILED;
		}
		return 0;
	}
	error("Arguments <module> and <module-version> are not specified.\n"
	      "Usage: %s <module>/<module-version> or\n"
	      "       %s -m <module>/<module-version> or\n"
	      "       %s -m <module> -v <module-version>",
	      action, action, action);
	return EX_FAILED;
}

int dkms_run_shell_in(const struct sandbox *sb, const char *cmd, const char *cwd, int out_fd, char *const *env)
{
	char *cmdv[] = {"bash", "-c", (char *)cmd, NULL};
	debug("Running in %s: %s", cwd ? cwd : ".", cmd);
	_cleanup_strv_ char **argv = NULL;
	int r = sandbox_wrap(sb, cwd, cmdv, &argv);
	if (r < 0)
		return r;
	struct spawn_opts o = {.cwd = cwd, .env = env, .out_fd = out_fd, .err_fd = out_fd, .null_stdin = true};
	fflush(stdout);
	fflush(stderr);
	return spawn_run(argv, &o);
}

int dkms_run_shell(const char *cmd, const char *cwd, int out_fd, char *const *env)
{
	return dkms_run_shell_in(NULL, cmd, cwd, out_fd, env);
}

int run_module_script(struct dkms *d, const char *kind, const char *script, const char *m, const char *v,
		      const char *dir, char *const *env)
{
	return run_module_script_in(d, NULL, kind, script, m, v, dir, env);
}

int run_module_script_in(struct dkms *d, const struct sandbox *sb, const char *kind, const char *script,
			 const char *m, const char *v, const char *dir, char *const *env)
{
	if (str_empty(script))
		return 0;
	if (!sb && settings_in_root(&d->s)) {
		/* unconfined, as root, it would act on the host, not on the root */
		info_blank();
		warn("The %s script of %s/%s is not run with --root %s: it is meant to run on that system.", kind, m, v,
		     d->s.root);
		return 0;
	}
	_cleanup_free_ char *cwd = xasprintf("%s/%s/%s/%s", d->s.dkms_tree, m, v, dir);
	_cleanup_free_ char *run = path_join(cwd, script);
	_cleanup_free_ char *first = xstrndup(run, strcspn(run, " "));
	if (access(first, X_OK) != 0) {
		info_blank();
		warn("The %s script is not executable.", kind);
		return 0;
	}
	info_blank();
	info("Running the %s script:", kind);
	/* exec $run: split on blanks, no other expansion */
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *copy = xstrdup(run);
	for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		strv_pushdup(&argv, w);
	debug("Running %s in %s.", run, cwd);
	_cleanup_strv_ char **wrapped = NULL;
	int r = sandbox_wrap(sb, cwd, argv, &wrapped);
	if (r < 0)
		return r;
	struct spawn_opts o = {.cwd = cwd, .env = env, .out_fd = -1, .err_fd = -1};
	fflush(stdout);
	return spawn_run(wrapped, &o);
}

int dkms_check_kernel_args(struct dkms *d)
{
	struct cli *c = d->cli;
	for (size_t i = 0; c->kernelver && c->kernelver[i]; i++) {
		if (!name_is_plain(c->kernelver[i])) {
			error("Invalid kernel version '%s': only " NAME_PLAIN_CHARS " are allowed, and not '.' or '..' alone.",
			      c->kernelver[i]);
			return EX_FAILED;
		}
	}
	for (size_t i = 0; c->arch && c->arch[i]; i++) {
		if (!name_is_plain(c->arch[i])) {
			error("Invalid arch '%s': only " NAME_PLAIN_CHARS " are allowed, and not '.' or '..' alone.",
			      c->arch[i]);
			return EX_FAILED;
		}
	}
	return 0;
}

/* Private staging directories of killed runs, in the trees this run may
 * write (the dkms and source trees, every kernel's module directory), and
 * dead runs' scratch directories in tmp_location. */
static void sweep_dead_runs(const struct settings *s)
{
	staged_sweep(s->dkms_tree);
	staged_sweep(s->source_tree);
	staged_sweep_tmp(s->tmp_location);
	_cleanup_strv_ char **kernels = dir_list(s->install_tree);
	for (size_t i = 0; kernels && kernels[i]; i++) {
		_cleanup_free_ char *kd = path_join(s->install_tree, kernels[i]);
		staged_sweep(kd);
	}
}

/* A source link made inside the root by a dkms running there names the
 * source as that system sees it (/usr/src/m-v), which from the host would
 * be the host's: it becomes the relative link that names the same source
 * from both. */
static void root_relative_source_links(const struct settings *s)
{
	_cleanup_strv_ char **mods = dir_list(s->dkms_tree);
	for (size_t i = 0; mods && mods[i]; i++) {
		_cleanup_free_ char *mdir = path_join(s->dkms_tree, mods[i]);
		_cleanup_strv_ char **vers = is_symlink(mdir) ? NULL : dir_list(mdir);
		for (size_t j = 0; vers && vers[j]; j++) {
			_cleanup_free_ char *mv = path_join(mdir, vers[j]);
			_cleanup_free_ char *link = path_join(mv, "source");
			char target[PATH_MAX];
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0 || (target[n] = '\0', target[0] != '/'))
				continue;
			_cleanup_free_ char *inside = settings_root_path(s, target);
			_cleanup_free_ char *rel = path_relative(mv, inside);
			int r = symlink_atomic(rel, link);
			if (r < 0)
				warn("Could not make %s relative (-> %s): %s", link, rel, strerror(-r));
			else
				debug("%s -> %s, inside %s, is now -> %s.", link, target, s->root, rel);
		}
	}
}

int dkms_lock(struct dkms *d)
{
	if (d->lock_fd > 0)
		return 0;
	int r = mkdir_p(d->s.dkms_tree, 0755);
	if (r < 0)
		return r;
	int fd = open(d->s.dkms_tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			r = -errno;
			close(fd);
			return r;
		}
		info("Waiting for another dkms process to release %s ...", d->s.dkms_tree);
		/* polled, so that SIGINT or SIGTERM ends the wait */
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if ((errno != EWOULDBLOCK && errno != EINTR) || spawn_interrupted()) {
				r = errno == EWOULDBLOCK || errno == EINTR ? -EINTR : -errno;
				close(fd);
				return r;
			}
			usleep(50 * 1000);
		}
	}
	d->lock_fd = fd;
	sweep_dead_runs(&d->s);
	if (settings_in_root(&d->s))
		root_relative_source_links(&d->s);
	return 0;
}
