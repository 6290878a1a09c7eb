/* Module signing as the reference does it at build time: find the
 * kernel's sign-file, the MOK key and certificate (created in-process with
 * libcrypto when both are missing), the hash the kernel's configuration
 * names.
 *
 * As in the reference, signing that cannot be set up (no sign-file; a key
 * or certificate that is missing and cannot be generated, unreadable, not
 * a key or certificate, or the two do not belong together) or a sign-file
 * that fails leaves the modules unsigned, with a message, and the build
 * goes on.  With sign_strict="yes" in framework.conf, every case but "no
 * sign-file" fails the build (exit status 1) instead, so that no module
 * that Secure Boot would refuse to load is installed. */
#pragma once

#include <openssl/x509.h>

#include "framework.h"
#include "target.h"

struct sign_plan {
	bool enabled;   /* sign the built modules with the fields below */
	bool strict;    /* sign_strict: a failure to sign fails the build */
	char *failed;   /* strict, and signing cannot be set up: why */
	char *sign_file, *key, *cert, *hash;
};

/* Prints the reference's "Sign command:"/"Signing key:" lines and fills
 * sp.  sp->failed is set (after an error message) when the build must
 * fail; neither enabled nor failed means "don't sign" (after the
 * reference's "modules won't be signed" message). */
void sign_prepare(const struct settings *s, const struct kernel_target *t, struct sign_plan *sp);
/* Signs ko in place with sign-file.  0, or non-zero after an error
 * (strict) or a warning. */
int sign_module(const struct sign_plan *sp, const char *ko);
void sign_plan_free(struct sign_plan *sp);

/* The key and certificate paths for kernel t: mok_signing_key and
 * mok_certificate (framework.conf read for that kernel, or environment,
 * $kernelver expanded), else <dkms_tree>/mok.key and <dkms_tree>/mok.pub. */
void mok_paths(const struct settings *s, const struct kernel_target *t, char **key, char **cert);
/* What became of a key pair asked for. */
struct mok_state {
	bool created;          /* generated just now */
	bool no_key, no_cert;  /* missing, and could not be generated */
	char *why;             /* the problem, naming the file; the caller frees it */
};
/* Creates a self-signed MOK pair with libcrypto: RSA 2048, X.509 with CN
 * "DKMS module signing key" valid 100 years, the key as PEM created 0600
 * with O_EXCL, the certificate as DER.  Neither file may exist (-EEXIST,
 * without a message: another run may be making the pair).  Returns 0 or
 * -errno with ms->why naming the file and ms->no_key/no_cert saying which
 * could not be made (no key is left without its certificate). */
int mok_generate(const char *key, const char *cert, struct mok_state *ms);
/* Checks that key (PEM) and cert (DER or PEM) can be read, parse, and
 * belong together.  Returns NULL, or a message naming the file. */
char *mok_check(const char *key, const char *cert);
/* A certificate, DER or PEM, as sign-file reads it; NULL when unreadable. */
X509 *mok_read_x509(const char *path);

