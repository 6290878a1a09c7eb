/* Module signing as the reference does it at build time: find the
 * kernel's sign-file, the MOK key and certificate (created in-process with
 * libcrypto when both are missing), the hash the kernel's configuration
 * names.
 *
 * Unlike the reference, signing that is asked for but cannot be done is
 * an error: when sign-file exists but the key or certificate is missing
 * and cannot be generated, is unreadable, is not a key/certificate, or the
 * two do not belong together, or sign-file itself fails, the build fails
 * (exit status 1) instead of quietly producing unsigned modules that
 * Secure Boot would refuse to load.  When there is no sign-file at all the
 * reference's behaviour stays: "modules won't be signed", and the build
 * goes on. */
#pragma once

#include "framework.h"
#include "target.h"

struct sign_plan {
	bool enabled;   /* sign the built modules with the fields below */
	char *failed;   /* signing was asked for but cannot be done: why */
	char *sign_file, *key, *cert, *hash;
};

/* Prints the reference's "Sign command:"/"Signing key:" lines and fills
 * sp.  sp->failed is set (after an error message) when the build must
 * fail; neither enabled nor failed means "no sign-file, don't sign". */
void sign_prepare(const struct settings *s, const struct kernel_target *t, struct sign_plan *sp);
/* Signs ko in place with sign-file.  0, or non-zero after an error. */
int sign_module(const struct sign_plan *sp, const char *ko);
void sign_plan_free(struct sign_plan *sp);

/* The key and certificate paths for kernel t: mok_signing_key and
 * mok_certificate (framework.conf read for that kernel, or environment,
 * $kernelver expanded), else <dkms_tree>/mok.key and <dkms_tree>/mok.pub. */
void mok_paths(const struct settings *s, const struct kernel_target *t, char **key, char **cert);
/* Creates a self-signed MOK pair with libcrypto: RSA 2048, X.509 with CN
 * "DKMS module signing key" valid 100 years, the key as PEM created 0600
 * with O_EXCL, the certificate as DER.  Neither file may exist (-EEXIST,
 * without a message: another run may be making the pair).
 * Prints an error naming the file on failure; returns 0 or -errno. */
int mok_generate(const char *key, const char *cert);
/* Checks that key (PEM) and cert (DER or PEM) can be read, parse, and
 * belong together.  Returns NULL, or a message naming the file. */
char *mok_check(const char *key, const char *cert);

