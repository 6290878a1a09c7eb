/* Module signing as the reference does it at build time: find the
 * kernel's sign-file, the MOK key and certificate (created when missing),
 * the hash the kernel's configuration names. */
#pragma once

#include "dkms.h"

struct sign_plan {
	bool enabled;
	char *sign_file, *key, *cert, *hash;
};

void sign_prepare(struct dkms *d, const char *kernelver, struct sign_plan *sp);
int sign_module(const struct sign_plan *sp, const char *ko);
void sign_plan_free(struct sign_plan *sp);
/* Creates a self-signed MOK key pair when key or cert is missing.
 * Returns 0 or -errno. */
int mok_generate(const char *key, const char *cert);
