#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dkms.h"
#include "actions.h"
#include "log.h"
#include "util/spawn.h"
#include "util/staged.h"

#define MOK_SUBJECT_CN "DKMS module signing key"
#define MOK_BITS 2048
#define MOK_DAYS 36500

void mok_paths(const struct settings *s, const struct kernel_target *t, char **key, char **cert)
{
	const char *k = t->release;
	*key = !str_empty(t->mok_signing_key) ? expand_kernelver(t->mok_signing_key, k)
					      : path_join(s->dkms_tree, "mok.key");
	*cert = !str_empty(t->mok_certificate) ? expand_kernelver(t->mok_certificate, k)
					       : path_join(s->dkms_tree, "mok.pub");
}

/* The first error in OpenSSL's queue, for messages. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown OpenSSL error";
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A self-signed certificate as `openssl req -new -x509` makes it with
 * Debian's openssl.cnf (the reference's command): v3, random serial,
 * basicConstraints CA, subject and authority key identifiers. */
static X509 *mok_make_cert(EVP_PKEY *pkey)
{
	X509 *x = X509_new();
	if (!x)
		return NULL;
	unsigned char rnd[20];
	BIGNUM *bn = NULL;
	bool ok = X509_set_version(x, 2) && RAND_bytes(rnd, sizeof(rnd)) == 1;
	if (ok) {
		rnd[0] &= 0x7f; /* a positive serial */
		bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
		ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	}
	BN_free(bn);
	X509_NAME *name = X509_get_subject_name(x);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), MOK_DAYS, 0, NULL) && X509_set_pubkey(x, pkey) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)MOK_SUBJECT_CN, -1, -1, 0) &&
	     X509_set_issuer_name(x, name) && add_ext(x, NID_subject_key_identifier, "hash") == 0 &&
	     add_ext(x, NID_authority_key_identifier, "keyid:always") == 0 &&
	     add_ext(x, NID_basic_constraints, "critical,CA:TRUE") == 0 && X509_sign(x, pkey, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes data to a new file that must not exist, mode 0600 from its
 * creation on, put in place only when complete. */
static int write_new_private(const char *path, const char *data, size_t len)
{
	struct staged st;
	int r = staged_open_file(&st, path, 0600);
	if (r < 0)
		return r;
	if ((r = write_all(st.fd, data, len)) < 0) {
		staged_rollback(&st);
		return r;
	}
	return staged_commit(&st, STAGED_NOREPLACE);
}

/* A new RSA key of the given size; NULL on error (ssl_reason says why). */
static EVP_PKEY *rsa_generate(unsigned int bits)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) > 0 &&
	    EVP_PKEY_generate(ctx, &pkey) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int mok_generate(const char *key, const char *cert, struct mok_state *ms)
{
	if (path_exists(key) || path_exists(cert))
		return -EEXIST;
	int r = -EIO;
	EVP_PKEY *pkey = rsa_generate(MOK_BITS);
	X509 *x = pkey ? mok_make_cert(pkey) : NULL;
	BIO *kb = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	int der_len = x ? i2d_X509(x, &der) : -1;
	char *kdata = NULL;
	long klen = 0;
	if (!pkey || !x || !kb || der_len <= 0 || !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) ||
	    (klen = BIO_get_mem_data(kb, &kdata)) <= 0) {
		ms->why = xasprintf("Could not create a signing key and certificate: %s", ssl_reason());
		ms->no_key = ms->no_cert = true;
		goto out;
	}
	r = write_new_private(key, kdata, (size_t)klen);
	if (r == -EEXIST)
		goto out; /* another run made it first: the caller waits for it */
	if (r < 0) {
		ms->why = xasprintf("Could not create the signing key %s: %s", key, strerror(-r));
		ms->no_key = true;
		goto out;
	}
	r = write_file_atomic(cert, (const char *)der, (size_t)der_len, 0644);
	if (r < 0) {
		/* no key without its certificate: the next run makes a pair */
		ms->why = xasprintf("Could not create the certificate %s: %s", cert, strerror(-r));
		ms->no_cert = true;
		unlink(key);
		goto out;
	}
	r = 0;
out:
	/* the key's bytes lived in the BIO: wipe them before freeing */
	if (kdata && klen > 0)
		OPENSSL_cleanse(kdata, (size_t)klen);
	BIO_free(kb);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return r;
}

/* sign-file takes the key's passphrase from KBUILD_SIGN_PIN; never ask on
 * the terminal. */
static int pin_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pin = getenv("KBUILD_SIGN_PIN");
	(void)rwflag;
	(void)u;
	if (!pin)
		return 0;
	int n = (int)strlen(pin);
	if (n > size)
		n = size;
	memcpy(buf, pin, (size_t)n);
	return n;
}

X509 *mok_read_x509(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b)
		return NULL;
	/* sign-file accepts DER and PEM */
	X509 *x = d2i_X509_bio(b, NULL);
	if (!x) {
		(void)BIO_reset(b);
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	}
	BIO_free(b);
	return x;
}

static X509 *read_cert(const char *path, char **why)
{
	if (access(path, R_OK) != 0) {
		*why = xasprintf("The certificate %s cannot be read: %s", path, strerror(errno ? errno : EIO));
		return NULL;
	}
	X509 *x = mok_read_x509(path);
	if (!x)
		*why = xasprintf("The certificate %s is not an X.509 certificate (DER or PEM)", path);
	return x;
}

char *mok_check(const char *key, const char *cert)
{
	char *why = NULL;
	bool pkcs11 = startswith(key, "pkcs11:");
	if (!pkcs11 && !path_exists(key))
		return xasprintf("The signing key %s does not exist", key);
	if (!path_exists(cert))
		return xasprintf("The certificate %s does not exist", cert);
	EVP_PKEY *pkey = NULL;
	if (!pkcs11) {
		errno = 0;
		FILE *f = fopen(key, "re");
		if (!f)
			return xasprintf("The signing key %s cannot be read: %s", key, strerror(errno));
		pkey = PEM_read_PrivateKey(f, NULL, pin_cb, NULL);
		fclose(f);
		if (!pkey)
			return xasprintf("The signing key %s is not a PEM private key%s", key,
					 getenv("KBUILD_SIGN_PIN") ? "" : " (or needs a passphrase in KBUILD_SIGN_PIN)");
	}
	errno = 0;
	X509 *x = read_cert(cert, &why);
	if (x && pkey && X509_check_private_key(x, pkey) != 1)
		why = xasprintf("The signing key %s does not belong to the certificate %s", key, cert);
	X509_free(x);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return why;
}

/* Written in the last few seconds: half a pair that may be in the making. */
static bool just_made(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && time(NULL) - st.st_mtime < 10;
}

/* Both files there: check them.  Neither: create them.  One of them: an
 * error, because a new pair would replace a key or a certificate that may
 * be enrolled in the firmware.  Returns 0, or -1 with ms->why set. */
static int mok_ensure(const struct settings *s, const char *key, const char *cert, struct mok_state *ms)
{
	*ms = (struct mok_state){0};
	bool pkcs11 = startswith(key, "pkcs11:");
	bool have_key = pkcs11 || path_exists(key), have_cert = path_exists(cert);
	if (have_key != have_cert && (just_made(have_key ? key : cert))) {
		/* another dkms is writing the pair right now */
		for (int i = 0; i < 50 && !(path_exists(key) && path_exists(cert)); i++)
			usleep(100 * 1000);
		have_key = pkcs11 || path_exists(key);
		have_cert = path_exists(cert);
	}
	ms->no_key = !have_key;
	ms->no_cert = !have_cert;
	if (have_key && have_cert)
		return (ms->why = mok_check(key, cert)) ? -1 : 0;
	if (have_key || have_cert) {
		ms->why = have_key ? xasprintf("The certificate %s is missing but the signing key %s exists; restore the "
					       "certificate, or remove the key to have a new pair generated",
					       cert, key)
				   : xasprintf("The signing key %s is missing but the certificate %s exists; restore the "
					       "key, or remove the certificate to have a new pair generated",
					       key, cert);
		return -1;
	}
	info("Certificate or key are missing, generating self signed certificate for MOK...");
	/* the default place is the dkms tree; a configured one must exist */
	_cleanup_free_ char *dflt = path_join(s->dkms_tree, "mok.key");
	if (streq(key, dflt))
		mkdir_p(s->dkms_tree, 0755);
	*ms = (struct mok_state){0};
	int r = mok_generate(key, cert, ms);
	if (r == -EEXIST) {
		/* another dkms made them just now: use theirs once complete */
		for (int i = 0; i < 50 && !(is_file(key) && is_file(cert)); i++)
			usleep(100 * 1000);
		return (ms->why = mok_check(key, cert)) ? -1 : 0;
	}
	if (r < 0)
		return -1;
	ms->created = true;
	return 0;
}

/* framework.conf's sign_strict: "yes" (or "true", "1") turns it on. */
static bool sign_strict(const struct settings *s)
{
	const char *v = s->sign_strict ? s->sign_strict : "";
	return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || streq(v, "1");
}

/* Signing asked for (there is a sign-file) cannot be set up.  By default
 * as the reference: its message, and the build goes on unsigned; with
 * sign_strict="yes" in framework.conf the build fails instead. */
static void sign_not_possible(const struct settings *s, const struct kernel_target *t, struct sign_plan *sp,
			      struct mok_state *ms)
{
	if (sign_strict(s)) {
		error("%s.\nModules cannot be signed, so the build will fail (sign_strict).", ms->why);
		sp->failed = TAKE_PTR(ms->why);
		return;
	}
	if (ms->no_key)
		info("Key file %s not found and can't be generated, modules won't be signed", sp->key);
	else if (ms->no_cert)
		info("Certificate file %s not found and can't be generated, modules won't be signed", sp->cert);
	else
		warn("%s; modules won't be signed.", ms->why);
	debug("Not signing for kernel %s: %s.", t->release, ms->why);
}

/* What makes Secure Boot load the modules signed with a new key: its
 * certificate enrolled as a Machine Owner Key, which takes a reboot. */
static void mok_print_enrolment(const char *cert)
{
	info("For Secure Boot to load modules signed with this key, enrol its certificate:");
	info("  1. mokutil --import %s", cert);
	info("     (it asks for a one-time password: choose one and remember it until the reboot)");
	info("  2. Reboot: the MOK manager starts before the system does.");
	info("  3. Choose \"Enroll MOK\", then \"Continue\" and \"Yes\", type the password you chose, and reboot.");
	info("\"dkms check\" tells whether it is enrolled.");
}

/* Whether this process runs in a chroot: its root is not init's (that
 * takes root to see), or fakechroot is at work, as newer releases check. */
static bool running_in_chroot(void)
{
	const char *fc = getenv("FAKECHROOT"), *pre = getenv("LD_PRELOAD");
	if (fc && streq(fc, "true") && getenv("FAKECHROOT_BASE") && pre && strstr(pre, "libfakechroot.so"))
		return true;
	struct stat init_root, ours;
	if (stat("/proc/1/root", &init_root) < 0 || stat("/", &ours) < 0)
		return false;
	return init_root.st_dev != ours.st_dev || init_root.st_ino != ours.st_ino;
}

/* try_sign_modules, newer releases' policy: "false" never signs,
 * "not_in_chroot" does not sign in a chroot (their default); anything
 * else, and unset (this program's default, the reference's behaviour),
 * signs.  False, after the reason, when signing is off. */
static bool signing_allowed(const struct settings *s)
{
	const char *p = s->try_sign_modules ? s->try_sign_modules : "";
	if (streq(p, "false")) {
		info("Module signing is disabled by policy, modules won't be signed");
		return false;
	}
	if (streq(p, "not_in_chroot") && running_in_chroot()) {
		info("Running in chroot, modules won't be signed");
		return false;
	}
	return true;
}

void sign_prepare(const struct settings *s, const struct kernel_target *t, struct sign_plan *sp)
{
	*sp = (struct sign_plan){.strict = sign_strict(s)};
	if (!signing_allowed(s)) {
		debug("Not signing for kernel %s: try_sign_modules=\"%s\".", t->release, s->try_sign_modules);
		return;
	}
	const char *sf = t->sign_file;
	info("Sign command: %s", sf);
	if (!is_file(sf) || access(sf, X_OK) != 0) {
		info("Binary %s not found, modules won't be signed", sf);
		debug("Not signing for kernel %s: %s is not an executable file.", t->release, sf);
		return;
	}
	sp->sign_file = xstrdup(sf);
	mok_paths(s, t, &sp->key, &sp->cert);
	info("Signing key: %s", sp->key);
	info("Public certificate (MOK): %s", sp->cert);
	struct mok_state ms;
	if (mok_ensure(s, sp->key, sp->cert, &ms) < 0) {
		sign_not_possible(s, t, sp, &ms);
		free(ms.why);
		return;
	}
	if (ms.created)
		mok_print_enrolment(sp->cert);
	sp->hash = xstrdup(t->sig_hash);
	sp->enabled = true;
	debug("Signing for kernel %s with %s, hash %s, key %s, certificate %s.", t->release, sf, sp->hash, sp->key,
	      sp->cert);
}

int sign_module(const struct sign_plan *sp, const char *ko)
{
	char *argv[] = {sp->sign_file, sp->hash, sp->key, sp->cert, (char *)ko, NULL};
	struct spawn_opts o = {.out_fd = -1, .err_fd = -1, .null_stdin = true};
	int r = spawn_run(argv, &o);
	if (r == 0)
		return 0;
	_cleanup_free_ char *why = r < 0 ? xasprintf("Could not run %s to sign %s: %s", sp->sign_file, ko, strerror(-r))
		: r > 128 ? xasprintf("%s was killed by signal %d while signing %s", sp->sign_file, r - 128, ko)
			  : xasprintf("%s exited with status %d while signing %s", sp->sign_file, r, ko);
	if (sp->strict)
		error("%s", why);
	else
		warn("%s; the module is left unsigned.", why);
	return r;
}

void sign_plan_free(struct sign_plan *sp)
{
	free(sp->failed);
	free(sp->sign_file);
	free(sp->key);
	free(sp->cert);
	free(sp->hash);
	*sp = (struct sign_plan){0};
}

/* dkms generate_mok: the key pair the builds sign with, created when
 * missing (newer dkms's action). */
int action_generate_mok(struct dkms *d)
{
	const struct settings *s = &d->s;
	_cleanup_free_ char *key = NULL, *cert = NULL;
	mok_paths(s, dkms_first_target(d), &key, &cert);
	info("Signing key: %s", key);
	info("Public certificate (MOK): %s", cert);
	if (startswith(key, "pkcs11:")) {
		info("The signing key is a PKCS#11 token; there is nothing to generate.");
		return 0;
	}
	bool had_both = path_exists(key) && path_exists(cert);
	struct mok_state ms;
	if (mok_ensure(s, key, cert, &ms) < 0) {
		error("%s.", ms.why);
		free(ms.why);
		return EX_FAILED;
	}
	if (had_both || !ms.created)
		info("The key pair already exists; keeping it.");
	else
		info("Created the key pair.");
	if (!had_both && ms.created)
		mok_print_enrolment(cert);
	return 0;
}
