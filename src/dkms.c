#include "dkms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "initramfs.h"
#include "log.h"
#include "util/spawn.h"

int dkms_read_conf(struct dkms *d, const char *m, const char *v, const char *k, const char *a,
		   const char *file, const struct module_conf **out)
{
	_cleanup_free_ char *deffile = xasprintf("%s/%s/%s/source/dkms.conf", d->s.dkms_tree, m, v);
	if (!file)
		file = !str_empty(d->cli->conf) ? d->cli->conf : deffile;
	_cleanup_free_ char *key = xasprintf("%s\n%s\n%s\n%s\n%s", m, v, k, a, file);
	if (d->conf_key && streq(d->conf_key, key)) {
		*out = &d->conf;
		return 0;
	}
	dkms_forget_conf(d);
	struct conf_request rq = {
		.s = &d->s, .module = m, .module_version = v, .kernelver = k, .arch = a, .file = file,
		.kernel_source_dir = d->cli->kernel_source_dir, .kernel_config = d->cli->kernel_config,
		.directives = d->cli->directives,
	};
	int r = module_conf_load(&rq, &d->conf);
	if (r == -ENOENT) {
		module_conf_free(&d->conf);
		return 4;
	}
	if (r < 0) {
		module_conf_free(&d->conf);
		error("Bad conf file.\nFile: %s does not represent a valid dkms.conf file.", file);
		return 8;
	}
	d->conf_key = TAKE_PTR(key);
	*out = &d->conf;
	return 0;
}

void dkms_forget_conf(struct dkms *d)
{
	if (d->conf_key)
		module_conf_free(&d->conf);
	free(d->conf_key);
	d->conf_key = NULL;
}

int dkms_run_shell(const char *cmd, const char *cwd, int out_fd, char *const *env)
{
	char *argv[] = {"bash", "-c", (char *)cmd, NULL};
	struct spawn_opts o = {.cwd = cwd, .env = env, .out_fd = out_fd, .err_fd = out_fd, .null_stdin = true};
	fflush(stdout);
	fflush(stderr);
	return spawn_run(argv, &o);
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
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				r = -errno;
				close(fd);
				return r;
			}
		}
	}
	d->lock_fd = fd;
	return 0;
}

void dkms_note_depmod(struct dkms *d, const char *kernelver)
{
	d->changed = true;
	if (!strv_contains(d->depmod_kernels, kernelver))
		strv_pushdup(&d->depmod_kernels, kernelver);
}

int dkms_run_depmod(struct dkms *d, const char *k)
{
	if (d->cli->no_depmod)
		return 0;
	/* depmod works on <base>/lib/modules/<kernel>: derive the base from
	 * the install tree when it ends in lib/modules (a throwaway root or
	 * an image being prepared), as depmod -b expects. */
	char **argv = NULL;
	strv_pushdup(&argv, "depmod");
	strv_pushdup(&argv, "-a");
	_cleanup_free_ char *it = xstrdup(d->s.install_tree);
	size_t len = strlen(it);
	while (len > 1 && it[len - 1] == '/')
		it[--len] = '\0';
	int r;
	if (!streq(it, "/lib/modules") && !streq(it, "/usr/lib/modules")) {
		if (!endswith(it, "/lib/modules")) {
			strv_free(argv);
			warn("depmod skipped for kernel %s: install tree %s does not end in lib/modules.", k, it);
			return 0;
		}
		strv_pushdup(&argv, "-b");
		strv_push(&argv, xstrndup(it, len - strlen("/lib/modules")));
	}
	_cleanup_free_ char *sysmap = xasprintf("%s/System.map-%s", d->s.boot_dir, k);
	if (is_file(sysmap)) {
		strv_pushdup(&argv, "-F");
		strv_pushdup(&argv, sysmap);
	}
	strv_pushdup(&argv, k);
	/* depmod's own chatter is discarded, as the reference does */
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct spawn_opts o = {.out_fd = devnull, .err_fd = devnull, .null_stdin = true};
	r = spawn_run(argv, &o);
	if (devnull >= 0)
		close(devnull);
	strv_free(argv);
	if (r != 0) {
		error("depmod failed for kernel %s (%s).", k, r < 0 ? strerror(-r) : "non-zero exit status");
		return 6;
	}
	return 0;
}

int dkms_flush_depmod(struct dkms *d)
{
	int ret = 0;
	for (size_t i = 0; d->depmod_kernels && d->depmod_kernels[i]; i++) {
		int r = dkms_run_depmod(d, d->depmod_kernels[i]);
		if (r && !ret)
			ret = r;
	}
	strv_free(d->depmod_kernels);
	d->depmod_kernels = NULL;
	/* after depmod, which the initramfs tools read */
	initramfs_flush(d);
	return ret;
}
