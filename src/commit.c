#include "commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkms.h"
#include "initramfs.h"
#include "log.h"
#include "util/spawn.h"
#include "util/fault.h"

static char *pending_dir(const struct settings *s)
{
	return path_join(s->dkms_tree, ".pending");
}

static void note(struct dkms *d, const char *what, const char *k)
{
	if (!name_is_safe(k)) {
		warn("Not running %s for kernel '%s': not a usable kernel name.", what, k);
		return;
	}
	_cleanup_free_ char *dir = pending_dir(&d->s);
	_cleanup_free_ char *mark = xasprintf("%s/%s-%s", dir, what, k);
	int r = mkdir_p(dir, 0755);
	int fd = r < 0 ? r : open(mark, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		warn("Could not record that kernel %s needs %s (%s): %s", k, what, mark, strerror(r < 0 ? -r : errno));
		return;
	}
	close(fd);
}

void changes_note_depmod(struct dkms *d, const char *k)
{
	d->changes.changed = true;
	if (!d->opt.no_depmod)
		note(d, "depmod", k);
}

void changes_note_initramfs(struct dkms *d, const char *k)
{
	if (!d->opt.no_initrd)
		note(d, "initramfs", k);
}

/* depmod works on <base>/lib/modules/<kernel>: the base comes from the
 * install tree when it ends in lib/modules (a throwaway root or an image
 * being prepared), as depmod -b expects.  NULL: not a module tree. */
static char **depmod_argv(const struct settings *s, const char *k)
{
	_cleanup_free_ char *it = xstrdup(s->install_tree);
	size_t len = strlen(it);
	while (len > 1 && it[len - 1] == '/')
		it[--len] = '\0';
	bool system = streq(it, "/lib/modules") || streq(it, "/usr/lib/modules");
	if (!system && !endswith(it, "/lib/modules"))
		return NULL;
	char **argv = NULL;
	strv_pushdup(&argv, "depmod");
	strv_pushdup(&argv, "-a");
	if (!system) {
		strv_pushdup(&argv, "-b");
		strv_push(&argv, xstrndup(it, len - strlen("/lib/modules")));
	}
	/* --root: the root's depmod configuration, not the host's */
	static const char *const conf_dirs[] = {"/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/lib/depmod.d"};
	for (size_t i = 0; settings_in_root(s) && i < ARRAY_SIZE(conf_dirs); i++) {
		_cleanup_free_ char *dir = settings_root_path(s, conf_dirs[i]);
		if (is_dir(dir)) {
			strv_pushdup(&argv, "-C");
			strv_pushdup(&argv, dir);
		}
	}
	_cleanup_free_ char *sysmap = xasprintf("%s/System.map-%s", s->boot_dir, k);
	if (is_file(sysmap)) {
		strv_pushdup(&argv, "-F");
		strv_pushdup(&argv, sysmap);
	}
	strv_pushdup(&argv, k);
	return argv;
}

int depmod_run(struct dkms *d, const char *k)
{
	if (d->opt.no_depmod)
		return 0;
	_cleanup_strv_ char **argv = depmod_argv(&d->s, k);
	if (!argv) {
		warn("depmod skipped for kernel %s: install tree %s does not end in lib/modules.", k, d->s.install_tree);
		return 0;
	}
	if (log_verbose()) {
		_cleanup_free_ char *line = strv_join(argv, " ");
		debug("Running %s", line);
	}
	/* depmod's own chatter is discarded, as the reference does; its
	 * "depmod..." line stays, which scripts and people read */
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct spawn_opts o = {.out_fd = devnull, .err_fd = devnull, .null_stdin = true};
	progress_start("depmod");
	int r = spawn_run(argv, &o);
	progress_end(r);
	if (devnull >= 0)
		close(devnull);
	if (r != 0) {
		error("depmod failed for kernel %s (%s).", k, r < 0 ? strerror(-r) : "non-zero exit status");
		return EX_INSTALL;
	}
	return 0;
}

/* Runs `what` for every kernel marked for it, once each; the mark goes
 * after the attempt: a failure is reported and becomes this command's exit
 * code, not every later command's.  Returns the first failure's code. */
static int flush(struct dkms *d, const char *what, int (*run)(struct dkms *, const char *))
{
	_cleanup_free_ char *dir = pending_dir(&d->s);
	_cleanup_strv_ char **names = dir_list(dir);
	_cleanup_free_ char *prefix = xasprintf("%s-", what);
	int ret = 0;
	for (size_t i = 0; names && names[i]; i++) {
		if (!startswith(names[i], prefix))
			continue;
		const char *k = names[i] + strlen(prefix);
		_cleanup_free_ char *mark = path_join(dir, names[i]);
		int r = name_is_safe(k) ? run(d, k) : 0;
		if (r && !ret)
			ret = r;
		unlink(mark);
	}
	return ret;
}

static int run_initramfs(struct dkms *d, const char *k)
{
	return initramfs_regenerate(&d->s, k) ? EX_INSTALL : 0;
}

/* The last kernel the command named, else the running one. */
static const char *command_kernel(const struct dkms *d)
{
	size_t n = d->cli ? strv_len(d->cli->kernelver) : 0;
	return n ? d->cli->kernelver[n - 1] : d->s.current_kernel;
}

/* post_transaction as newer releases read it: from the framework files
 * again at the end, $kernelver being the last kernel the command named. */
static char *post_transaction_cmd(const struct dkms *d)
{
	const struct settings *s = &d->s;
	if (!s->per_kernel)
		return s->post_transaction ? xstrdup(s->post_transaction) : NULL;
	size_t n = d->cli ? strv_len(d->cli->kernelver) : 0;
	const char *k = command_kernel(d);
	const char *a = n && d->cli->arch && d->cli->arch[n - 1] ? d->cli->arch[n - 1] : s->machine;
	struct kernel_settings ks;
	settings_for_kernel(s, k, a, &ks);
	char *cmd = TAKE_PTR(ks.post_transaction);
	kernel_settings_free(&ks);
	return cmd;
}

/* Runs the post_transaction command with its output in
 * <dkms_tree>/post_transaction.log, made anew each time, as newer releases
 * do: the command, its output, its exit code and how long it took.  A
 * failure is reported; it changes nothing else. */
static void run_post_transaction(const struct dkms *d, const char *cmd)
{
	_cleanup_free_ char *log = path_join(d->s.dkms_tree, "post_transaction.log");
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		warn("Could not write %s (%s): the post_transaction command's output is not kept.", log, strerror(errno));
	time_t start = time(NULL);
	char when[64] = "";
	strftime(when, sizeof(when), "%a %d %b %Y %H:%M:%S %Z", localtime(&start));
	if (fd >= 0)
		dprintf(fd, "\n%s\n# command: %s\n", when, cmd);
	progress_start("Executing post-transaction command");
	/* newer releases evaluate it where $kernelver is set */
	_cleanup_strv_ char **env = env_copy();
	env_set(&env, "kernelver", command_kernel(d));
	int r = dkms_run_shell(cmd, NULL, fd >= 0 ? fd : -1, env);
	progress_end(r);
	if (fd >= 0) {
		long secs = (long)(time(NULL) - start);
		dprintf(fd, "\n# exit code: %d\n# elapsed time: %02ld:%02ld:%02ld\n%s\n", r, secs / 3600, secs / 60 % 60,
			secs % 60, "----------------------------------------------------------------");
		close(fd);
	}
	if (r != 0)
		warn("The post_transaction command \"%s\" exited with status %d; its output is in %s.", cmd, r, log);
}

int dkms_commit(struct dkms *d)
{
	/* Only a run holding the lock may act on marks: they may be another
	 * run's, still being made. */
	if (d->lock_fd <= 0)
		return 0;
	int ret = 0;
	fault_point("commit:before-depmod");
	if (!d->opt.no_depmod)
		ret = flush(d, "depmod", depmod_run);
	fault_point("commit:after-depmod");
	/* after depmod, whose tables the initramfs tools read */
	int r = d->opt.no_initrd ? 0 : flush(d, "initramfs", run_initramfs);
	if (r && !ret)
		ret = r;
	_cleanup_free_ char *dir = pending_dir(&d->s);
	rmdir(dir);
	/* post_transaction (framework.conf or environment, as in newer dkms):
	 * a command run once after any command that changed installed
	 * modules, autoinstall included. */
	_cleanup_free_ char *pt = d->changes.changed ? post_transaction_cmd(d) : NULL;
	if (!str_empty(pt) && settings_in_root(&d->s)) {
		/* the root's command, meant for that system: here it would act on the host */
		info("Not running the post_transaction command of %s (--root): %s", d->s.root, pt);
	} else if (!str_empty(pt)) {
		run_post_transaction(d, pt);
	}
	return ret;
}
