#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkmsconf.h"
#include "log.h"
#include "util/spawn.h"

static char *expand_kernelver(const char *tmpl, const char *k)
{
	/* framework.conf documents $kernelver in these paths */
	struct strbuf sb = {0};
	const char *p = tmpl;
	for (;;) {
		const char *q = strstr(p, "$kernelver");
		const char *q2 = strstr(p, "${kernelver}");
		if (q2 && (!q || q2 < q)) {
			strbuf_appendn(&sb, p, (size_t)(q2 - p));
			strbuf_append(&sb, k);
			p = q2 + strlen("${kernelver}");
		} else if (q) {
			strbuf_appendn(&sb, p, (size_t)(q - p));
			strbuf_append(&sb, k);
			p = q + strlen("$kernelver");
		} else {
			strbuf_append(&sb, p);
			break;
		}
	}
	return strbuf_steal(&sb);
}

int mok_generate(const char *key, const char *cert)
{
	char *argv[] = {
		"openssl", "req", "-new", "-x509", "-nodes", "-days", "36500",
		"-subj", "/CN=DKMS module signing key", "-newkey", "rsa:2048",
		"-keyout", (char *)key, "-outform", "DER", "-out", (char *)cert, NULL,
	};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	mode_t old = umask(077);
	struct spawn_opts o = {.out_fd = devnull, .err_fd = devnull, .null_stdin = true};
	int r = spawn_run(argv, &o);
	umask(old);
	if (devnull >= 0)
		close(devnull);
	if (r != 0)
		return r < 0 ? r : -EIO;
	chmod(key, 0600);
	return 0;
}

void sign_prepare(struct dkms *d, const char *k, struct sign_plan *sp)
{
	const struct settings *s = &d->s;
	*sp = (struct sign_plan){0};
	char *sf = NULL;
	if (!str_empty(s->sign_file)) {
		sf = expand_kernelver(s->sign_file, k);
	} else {
		const char *dist = s->running_distribution ? s->running_distribution : "";
		if (startswith(dist, "debian")) {
			/* ${kernelver%.*}: the kernel version without its last dotted part */
			_cleanup_free_ char *kv = xstrdup(k);
			char *dot = strrchr(kv, '.');
			if (dot)
				*dot = '\0';
			sf = xasprintf("/usr/lib/linux-kbuild-%s/scripts/sign-file", kv);
		}
		if (!sf || !is_file(sf)) {
			free(sf);
			_cleanup_free_ char *ksrc = kernel_source_dir_for(s, NULL, k);
			sf = path_join(ksrc, "scripts/sign-file");
		}
	}
	info("Sign command: %s", sf);
	if (!is_file(sf) || access(sf, X_OK) != 0) {
		info("Binary %s not found, modules won't be signed", sf);
		free(sf);
		return;
	}
	sp->sign_file = sf;
	sp->key = !str_empty(s->mok_signing_key) ? expand_kernelver(s->mok_signing_key, k)
						 : path_join(s->dkms_tree, "mok.key");
	sp->cert = !str_empty(s->mok_certificate) ? expand_kernelver(s->mok_certificate, k)
						  : path_join(s->dkms_tree, "mok.pub");
	info("Signing key: %s", sp->key);
	info("Public certificate (MOK): %s", sp->cert);
	if (!startswith(sp->key, "pkcs11:") && (!is_file(sp->key) || !is_file(sp->cert))) {
		info("Certificate or key are missing, generating self signed certificate for MOK...");
		mkdir_p(s->dkms_tree, 0755);
		if (mok_generate(sp->key, sp->cert) < 0 || !is_file(sp->key)) {
			info("Key file %s not found and can't be generated, modules won't be signed", sp->key);
			return;
		}
	}
	if (!startswith(sp->key, "pkcs11:") && access(sp->key, R_OK) != 0) {
		error("Signing key %s cannot be read: %s. Modules won't be signed.", sp->key, strerror(errno));
		return;
	}
	if (!is_file(sp->cert)) {
		info("Certificate file %s not found and can't be generated, modules won't be signed", sp->cert);
		return;
	}
	_cleanup_free_ char *ksrc = kernel_source_dir_for(s, d->cli->kernel_source_dir, k);
	_cleanup_free_ char *cfg = d->cli->kernel_config ? xstrdup(d->cli->kernel_config) : path_join(ksrc, ".config");
	_cleanup_free_ char *text = NULL;
	sp->hash = xstrdup("sha512");
	if (read_file(cfg, &text, NULL) == 0) {
		const char *p = strstr(text, "\nCONFIG_MODULE_SIG_HASH=\"");
		if (p) {
			p += strlen("\nCONFIG_MODULE_SIG_HASH=\"");
			size_t n = strcspn(p, "\"\n");
			if (n) {
				free(sp->hash);
				sp->hash = xstrndup(p, n);
			}
		}
	}
	sp->enabled = true;
}

int sign_module(const struct sign_plan *sp, const char *ko)
{
	char *argv[] = {sp->sign_file, sp->hash, sp->key, sp->cert, (char *)ko, NULL};
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
	int r = spawn_run(argv, &o);
	if (r != 0)
		warn("Signing %s with %s failed.", ko, sp->sign_file);
	return r;
}

void sign_plan_free(struct sign_plan *sp)
{
	free(sp->sign_file);
	free(sp->key);
	free(sp->cert);
	free(sp->hash);
	*sp = (struct sign_plan){0};
}
