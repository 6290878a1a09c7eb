#include "secureboot.h"
#include "sign.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The vendors of the variables: the UEFI specification's own, and shim's. */
#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define SHIM_LOCK_GUID "605dab50-e046-4300-abb6-3dd810dd8b23"

/* EFI_CERT_X509_GUID, a5c059a1-94e4-4aa7-87b5-ab155c2bf072, as it is laid
 * out in memory (the first three fields little-endian). */
static const unsigned char cert_x509_guid[16] = {
	0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
};

const char *sb_state_name(enum sb_state s)
{
	return s == SB_ENABLED ? "enabled" : s == SB_DISABLED ? "disabled" : "unknown";
}

char *hex_colon(const unsigned char *p, size_t n)
{
	char *out = xcalloc(n ? 3 * n : 1, 1);
	for (size_t i = 0; i < n; i++)
		snprintf(out + 3 * i, 4, i + 1 < n ? "%02X:" : "%02X", p[i]);
	return out;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void der_list_add(struct der_list *l, const unsigned char *der, size_t len)
{
	l->der = xrealloc(l->der, (l->n + 1) * sizeof(*l->der));
	l->len = xrealloc(l->len, (l->n + 1) * sizeof(*l->len));
	l->der[l->n] = xcalloc(len ? len : 1, 1);
	memcpy(l->der[l->n], der, len);
	l->len[l->n++] = len;
}

void der_list_free(struct der_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->der[i]);
	free(l->der);
	free(l->len);
	*l = (struct der_list){0};
}

/* Each list: the type (16 bytes), the list's size, the header's size and
 * each signature's size (32 bits each), the header, then the signatures,
 * each an owner (16 bytes) and its data. */
int efi_siglist_certs(const unsigned char *data, size_t len, struct der_list *out)
{
	size_t off = 0;
	while (off < len) {
		if (len - off < 28)
			return -EINVAL;
		const unsigned char *l = data + off;
		size_t list_size = le32(l + 16), header = le32(l + 20), sig_size = le32(l + 24);
		if (list_size < 28 || list_size > len - off || header > list_size - 28 || sig_size < 16)
			return -EINVAL;
		size_t body = list_size - 28 - header;
		if (body % sig_size)
			return -EINVAL;
		bool x509 = memcmp(l, cert_x509_guid, 16) == 0;
		for (size_t s = 0; x509 && s < body / sig_size; s++)
			der_list_add(out, l + 28 + header + s * sig_size + 16, sig_size - 16);
		off += list_size;
	}
	return 0;
}

char **x509_key_ids(const unsigned char *der, size_t len)
{
	char **ids = xcalloc(1, sizeof(char *));
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		return ids;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	int n = bn ? BN_num_bytes(bn) : 0;
	if (n > 0) {
		unsigned char *buf = xcalloc((size_t)n, 1);
		BN_bn2bin(bn, buf);
		strv_push(&ids, hex_colon(buf, (size_t)n));
		free(buf);
	}
	BN_free(bn);
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
	if (skid)
		strv_push(&ids, hex_colon(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid)));
	X509_free(x);
	return ids;
}

/* An EFI variable's value (after its 4 bytes of attributes).  0, or
 * -errno (-EINVAL: too short to be one). */
static int efivar_read(const char *dir, const char *name, unsigned char **value, size_t *len)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *text = NULL;
	size_t n = 0;
	int r = read_file(path, &text, &n);
	if (r < 0)
		return r;
	if (n < 4) {
		free(text);
		return -EINVAL;
	}
	memmove(text, text + 4, n - 4);
	*value = (unsigned char *)text;
	*len = n - 4;
	return 0;
}

/* A one-byte variable is 1. */
static int efivar_is_one(const char *dir, const char *name)
{
	unsigned char *v = NULL;
	size_t n = 0;
	int r = efivar_read(dir, name, &v, &n);
	if (r < 0)
		return r;
	r = n >= 1 && v[0] == 1;
	free(v);
	return r;
}

/* The kernel's own rule: Secure Boot is on when the firmware says so, is
 * not in setup mode, and shim's validation is not turned off. */
static enum sb_state read_state(const char *efi_dir, const char *efivars)
{
	int sb = efivar_is_one(efivars, "SecureBoot-" EFI_GLOBAL_GUID);
	if (sb == -ENOENT)
		/* a firmware without the variable, or no UEFI at all; but a
		 * UEFI system whose efivarfs is not mounted cannot be told */
		return is_dir(efivars) || !is_dir(efi_dir) ? SB_DISABLED : SB_UNKNOWN;
	if (sb < 0)
		return SB_UNKNOWN;
	if (!sb || efivar_is_one(efivars, "SetupMode-" EFI_GLOBAL_GUID) == 1 ||
	    efivar_is_one(efivars, "MokSBStateRT-" SHIM_LOCK_GUID) == 1)
		return SB_DISABLED;
	return SB_ENABLED;
}

/* The MOK list: as shim's configuration table gives it whole, else the
 * efivars MokListRT, MokListRT1, ... (shim splits a long one).  Returns
 * true when it could be read (not being there means none enrolled). */
static bool read_mok_list(const char *efi_dir, const char *efivars, const char *name, struct der_list *out)
{
	_cleanup_free_ char *table = xasprintf("%s/mok-variables/%s", efi_dir, name);
	char *text = NULL;
	size_t n = 0;
	if (read_file(table, &text, &n) == 0) {
		efi_siglist_certs((unsigned char *)text, n, out);
		free(text);
		return true;
	}
	for (int i = 0;; i++) {
		_cleanup_free_ char *var = i ? xasprintf("%s%d-" SHIM_LOCK_GUID, name, i)
					     : xasprintf("%s-" SHIM_LOCK_GUID, name);
		unsigned char *v = NULL;
		int r = efivar_read(efivars, var, &v, &n);
		if (r < 0)
			return r == -ENOENT && (i > 0 || is_dir(efivars));
		efi_siglist_certs(v, n, out);
		free(v);
	}
}


/* The same certificate, or one for the same key. */
static bool in_list(const struct der_list *l, X509 *x, const unsigned char *der, size_t len)
{
	EVP_PKEY *key = X509_get0_pubkey(x);
	for (size_t i = 0; i < l->n; i++) {
		if (l->len[i] == len && memcmp(l->der[i], der, len) == 0)
			return true;
		const unsigned char *p = l->der[i];
		X509 *y = d2i_X509(NULL, &p, (long)l->len[i]);
		bool same = y && key && EVP_PKEY_eq(key, X509_get0_pubkey(y)) == 1;
		X509_free(y);
		if (same)
			return true;
	}
	return false;
}

/* The description the kernel gives the certificate's key in its key
 * lists: "<subject's CN>: <key id in lower-case hex>". */
static char *kernel_key_description(X509 *x)
{
	char cn[256];
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(x);
	if (!skid || X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) <= 0)
		return NULL;
	struct strbuf sb = {0};
	strbuf_appendf(&sb, "%s: ", cn);
	const unsigned char *p = ASN1_STRING_get0_data(skid);
	for (int i = 0; i < ASN1_STRING_length(skid); i++)
		strbuf_appendf(&sb, "%02x", p[i]);
	return strbuf_steal(&sb);
}

/* Where our certificate stands: enrolled in MokListRT, or known to the
 * kernel's key list; its enrolment pending in MokNew. */
static void probe_cert(struct secure_boot *sb, const char *proc_keys_path)
{
	X509 *x = sb->cert ? mok_read_x509(sb->cert) : NULL;
	unsigned char *der = NULL;
	int len = x ? i2d_X509(x, &der) : -1;
	sb->cert_exists = len > 0;
	sb->key_enrolled = sb->mok_known ? 0 : -1;
	char *desc = len > 0 ? kernel_key_description(x) : NULL;
	_cleanup_free_ char *keys = NULL;
	bool in_kernel = desc && read_file(proc_keys_path, &keys, NULL) == 0 && strstr(keys, desc);
	if (len > 0 && (in_list(&sb->enrolled, x, der, (size_t)len) || in_kernel)) {
		sb->key_enrolled = 1;
		/* modules signed with it load, whatever else is in the list */
		_cleanup_strv_ char **ids = x509_key_ids(der, (size_t)len);
		for (size_t i = 0; ids[i]; i++)
			strv_pushdup(&sb->key_ids, ids[i]);
	}
	sb->key_pending = len > 0 && in_list(&sb->pending, x, der, (size_t)len);
	free(desc);
	OPENSSL_free(der);
	X509_free(x);
}

void sb_probe(const char *sysfs, const char *cert, struct secure_boot *sb)
{
	*sb = (struct secure_boot){.key_ids = xcalloc(1, sizeof(char *)), .cert = cert ? xstrdup(cert) : NULL};
	const char *env_efivars = getenv("DKMS_EFIVARS_DIR");
	const char *env_keys = getenv("DKMS_PROC_KEYS");
	_cleanup_free_ char *efivars = !str_empty(env_efivars) ? xstrdup(env_efivars)
							      : xasprintf("%s/firmware/efi/efivars", sysfs);
	_cleanup_free_ char *efi_dir = xstrdup(efivars);
	char *slash = strrchr(efi_dir, '/');
	if (slash && slash != efi_dir)
		*slash = '\0';
	sb->state = read_state(efi_dir, efivars);
	sb->mok_known = read_mok_list(efi_dir, efivars, "MokListRT", &sb->enrolled);
	if (!sb->mok_known && sb->state == SB_DISABLED && !is_dir(efi_dir))
		sb->mok_known = true; /* no UEFI: nothing can be enrolled */
	read_mok_list(efi_dir, efivars, "MokNew", &sb->pending);
	for (size_t i = 0; i < sb->enrolled.n; i++) {
		_cleanup_strv_ char **ids = x509_key_ids(sb->enrolled.der[i], sb->enrolled.len[i]);
		for (size_t j = 0; ids[j]; j++)
			strv_pushdup(&sb->key_ids, ids[j]);
	}
	probe_cert(sb, !str_empty(env_keys) ? env_keys : "/proc/keys");
}

void sb_free(struct secure_boot *sb)
{
	der_list_free(&sb->enrolled);
	der_list_free(&sb->pending);
	strv_free(sb->key_ids);
	free(sb->cert);
	*sb = (struct secure_boot){0};
}

int sb_module_loads(const struct secure_boot *sb, int enforce, const char *sig_key, char **why)
{
	*why = NULL;
	if (enforce == 0)
		return 1;
	if (sig_key && strv_contains(sb->key_ids, sig_key))
		return 1;
	if (!sig_key) {
		*why = xstrdup(enforce > 0 ? "it is not signed and Secure Boot is enabled"
					   : "it is not signed and whether Secure Boot is enabled is unknown");
		return enforce > 0 ? 0 : -1;
	}
	if (enforce > 0 && sb->mok_known) {
		*why = xasprintf("it is signed with key %s, which is not enrolled, and Secure Boot is enabled", sig_key);
		return 0;
	}
	*why = xasprintf(enforce > 0 ? "the enrolled keys cannot be read, so whether key %s is among them is unknown"
				     : "whether Secure Boot is enabled, and key %s enrolled, is unknown",
			 sig_key);
	return -1;
}
