/* Secure Boot as the kernel will see it, and the keys it trusts for
 * modules: the firmware's SecureBoot variable (with the kernel's own
 * exceptions: setup mode, and shim's validation turned off with
 * MokSBState), and the Machine Owner Keys shim passes on (MokListRT, an
 * EFI signature list of X.509 certificates), so that `dkms check` can
 * tell whether a module will load.
 *
 * The EFI variables are files of efivarfs: 4 bytes of attributes, then
 * the value. */
#pragma once

#include <stddef.h>

#include "util/util.h"

enum sb_state { SB_UNKNOWN, SB_DISABLED, SB_ENABLED };

struct der_list {
	unsigned char **der;
	size_t *len;
	size_t n;
};

struct secure_boot {
	enum sb_state state;
	bool mok_known;           /* the enrolled keys could be read (the list may be empty) */
	struct der_list enrolled; /* MokListRT's certificates */
	struct der_list pending;  /* MokNew's: asked for with mokutil --import, confirmed at the next boot */
	char **key_ids;           /* the serial and key id of each trusted certificate, as libkmod writes a sig_key */
	/* our signing certificate (mok_paths) */
	char *cert;               /* its path */
	bool cert_exists;
	int key_enrolled;         /* 1, 0, or -1 when that cannot be told */
	bool key_pending;         /* its enrolment waits for the next boot */
};

/* Reads what sysfs (normally "/sys") says: <sysfs>/firmware/efi/efivars
 * and <sysfs>/firmware/efi/mok-variables, and the kernel's key list
 * (/proc/keys, where an enrolled key shows as "<subject>: <key id>"), and
 * where the certificate at cert (DER or PEM; NULL: none) stands.  The
 * test-only environment variables DKMS_EFIVARS_DIR and DKMS_PROC_KEYS put
 * the efivars directory and the key list elsewhere (tests/cli/check.sh). */
void sb_probe(const char *sysfs, const char *cert, struct secure_boot *sb);
void sb_free(struct secure_boot *sb);
const char *sb_state_name(enum sb_state s);

/* Whether a module signed with key id sig_key (NULL: not signed) loads on
 * a kernel that enforces signatures (enforce: 1 yes, 0 no, -1 unknown):
 * 1, 0 or -1 (cannot tell).  *why says why not, or why unknown. */
int sb_module_loads(const struct secure_boot *sb, int enforce, const char *sig_key, char **why);

/* The pure parts, unit-tested. */
/* The X.509 certificates of a sequence of EFI_SIGNATURE_LISTs, appended
 * to out; other kinds of entries (hashes) are skipped.  0, or -EINVAL
 * when the data is malformed (what came before stays in out). */
int efi_siglist_certs(const unsigned char *data, size_t len, struct der_list *out);
/* The serial number and subject key id of a DER certificate, "AB:CD:..."
 * (upper case, colons), as libkmod writes a module's sig_key. */
char **x509_key_ids(const unsigned char *der, size_t len);
/* "AB:CD:.." from bytes. */
char *hex_colon(const unsigned char *p, size_t n);
void der_list_free(struct der_list *l);
