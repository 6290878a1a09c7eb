/* libarchive, libcrypto, libkmod and the compression libraries, loaded on
 * first use.  Linked the ordinary way, the dynamic loader would map and
 * relocate them (and libxml2, ICU, libstdc++... behind libarchive) at every
 * start, some milliseconds that status and the other actions that never
 * call them would pay.  So the program is not linked with them: each
 * library function it calls is defined here, with the library's own
 * prototype (its header is included, the compiler checks that they agree),
 * as a call through a pointer that the first call looks up, loading the
 * library with dlopen.  The sonames come from the libraries found at build
 * time (config.h).  The callers include the libraries' headers and call
 * them as usual; macros of those headers expand to what is listed here
 * (OPENSSL_free is CRYPTO_free, BIO_get_mem_data is BIO_ctrl, deflateInit2
 * is deflateInit2_).  Variadic functions cannot be forwarded: none is
 * listed, and none may be called. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <archive.h>
#include <archive_entry.h>
#include <libkmod.h>
#include <lzma.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>
#include <zstd.h>

#include "config.h"
#include "exitcode.h"
#include "log.h"

struct lazylib {
	const char *soname;
	const char *used_for;
	void *handle;
};

static struct lazylib lib_archive = {.soname = ARCHIVE_SONAME, .used_for = "source tarballs"};
static struct lazylib lib_crypto = {.soname = CRYPTO_SONAME, .used_for = "signing keys and certificates"};
static struct lazylib lib_kmod = {.soname = KMOD_SONAME, .used_for = "reading module information"};
static struct lazylib lib_lzma = {.soname = LZMA_SONAME, .used_for = "xz module compression"};
static struct lazylib lib_zstd = {.soname = ZSTD_SONAME, .used_for = "zstd module compression"};
static struct lazylib lib_z = {.soname = Z_SONAME, .used_for = "gzip module compression"};

/* The package depends on these libraries: one missing or broken is an
 * installation that must be repaired, not an error to go on from. */
__attribute__((noreturn)) static void lazylib_fail(const struct lazylib *lib, const char *name)
{
	const char *why = dlerror();
	if (name)
		error("%s has no function %s (needed for %s): %s", lib->soname, name, lib->used_for,
		      why ? why : "not found");
	else
		error("Cannot load %s, needed for %s: %s", lib->soname, lib->used_for, why ? why : "unknown error");
	exit(EX_FAILED);
}

static void *lazylib_sym(struct lazylib *lib, const char *name)
{
	void *handle = __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE);
	if (!handle) {
		handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!handle)
			lazylib_fail(lib, NULL);
		__atomic_store_n(&lib->handle, handle, __ATOMIC_RELEASE);
	}
	dlerror();
	void *sym = dlsym(handle, name);
	if (!sym)
		lazylib_fail(lib, name);
	return sym;
}

/* The library's function name, looked up at its first call. */
#define REAL(lib, name)                                                                  \
	(*({                                                                             \
		static typeof(&name) real_;                                              \
		typeof(&name) f_ = __atomic_load_n(&real_, __ATOMIC_ACQUIRE);            \
		if (!f_) {                                                               \
			f_ = (typeof(&name))lazylib_sym(&lib_##lib, #name);              \
			__atomic_store_n(&real_, f_, __ATOMIC_RELEASE);                  \
		}                                                                        \
		f_;                                                                      \
	}))

/* The parameter list "T1 a1, T2 a2..." and the argument list "a1, a2..."
 * of the parameter types T1, T2... */
#define NARGS(...) NARGS_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define CAT(a, b) CAT_(a, b)
#define CAT_(a, b) a##b
#define PARAMS(...) CAT(PARAMS_, NARGS(__VA_ARGS__))(__VA_ARGS__)
#define ARGS(...) CAT(ARGS_, NARGS(__VA_ARGS__))
#define PARAMS_1(a) a a1
#define PARAMS_2(a, b) PARAMS_1(a), b a2
#define PARAMS_3(a, b, c) PARAMS_2(a, b), c a3
#define PARAMS_4(a, b, c, d) PARAMS_3(a, b, c), d a4
#define PARAMS_5(a, b, c, d, e) PARAMS_4(a, b, c, d), e a5
#define PARAMS_6(a, b, c, d, e, f) PARAMS_5(a, b, c, d, e), f a6
#define PARAMS_7(a, b, c, d, e, f, g) PARAMS_6(a, b, c, d, e, f), g a7
#define PARAMS_8(a, b, c, d, e, f, g, h) PARAMS_7(a, b, c, d, e, f, g), h a8
#define ARGS_1 a1
#define ARGS_2 ARGS_1, a2
#define ARGS_3 ARGS_2, a3
#define ARGS_4 ARGS_3, a4
#define ARGS_5 ARGS_4, a5
#define ARGS_6 ARGS_5, a6
#define ARGS_7 ARGS_6, a7
#define ARGS_8 ARGS_7, a8

/* A function of lib returning ret, of the parameter types given (FUNC0:
 * none); PROC, PROC0: returning nothing. */
#define FUNC(lib, ret, name, ...) \
	ret name(PARAMS(__VA_ARGS__)) { return REAL(lib, name)(ARGS(__VA_ARGS__)); }
#define FUNC0(lib, ret, name) \
	ret name(void) { return REAL(lib, name)(); }
#define PROC(lib, name, ...) \
	void name(PARAMS(__VA_ARGS__)) { REAL(lib, name)(ARGS(__VA_ARGS__)); }
#define PROC0(lib, name) \
	void name(void) { REAL(lib, name)(); }

/* libarchive: tarball.c, unpack.c */
PROC(archive, archive_entry_copy_gname, struct archive_entry *, const char *)
PROC(archive, archive_entry_copy_hardlink, struct archive_entry *, const char *)
PROC(archive, archive_entry_copy_pathname, struct archive_entry *, const char *)
PROC(archive, archive_entry_copy_sourcepath, struct archive_entry *, const char *)
PROC(archive, archive_entry_copy_uname, struct archive_entry *, const char *)
FUNC(archive, mode_t, archive_entry_filetype, struct archive_entry *)
PROC(archive, archive_entry_free, struct archive_entry *)
FUNC(archive, const char *, archive_entry_hardlink, struct archive_entry *)
FUNC0(archive, struct archive_entry *, archive_entry_new)
FUNC(archive, const char *, archive_entry_pathname, struct archive_entry *)
FUNC(archive, mode_t, archive_entry_perm, struct archive_entry *)
PROC(archive, archive_entry_set_filetype, struct archive_entry *, unsigned int)
PROC(archive, archive_entry_set_gid, struct archive_entry *, la_int64_t)
PROC(archive, archive_entry_set_mtime, struct archive_entry *, time_t, long)
PROC(archive, archive_entry_set_perm, struct archive_entry *, mode_t)
PROC(archive, archive_entry_set_size, struct archive_entry *, la_int64_t)
PROC(archive, archive_entry_set_uid, struct archive_entry *, la_int64_t)
FUNC(archive, la_int64_t, archive_entry_size, struct archive_entry *)
FUNC(archive, const char *, archive_entry_symlink, struct archive_entry *)
FUNC(archive, int, archive_errno, struct archive *)
FUNC(archive, const char *, archive_error_string, struct archive *)
FUNC(archive, int, archive_read_data_block, struct archive *, const void **, size_t *, la_int64_t *)
FUNC(archive, int, archive_read_disk_entry_from_file, struct archive *, struct archive_entry *, int,
     const struct stat *)
FUNC(archive, const char *, archive_read_disk_gname, struct archive *, la_int64_t)
FUNC0(archive, struct archive *, archive_read_disk_new)
FUNC(archive, int, archive_read_disk_set_behavior, struct archive *, int)
FUNC(archive, int, archive_read_disk_set_standard_lookup, struct archive *)
FUNC(archive, const char *, archive_read_disk_uname, struct archive *, la_int64_t)
FUNC(archive, int, archive_read_free, struct archive *)
FUNC0(archive, struct archive *, archive_read_new)
FUNC(archive, int, archive_read_next_header, struct archive *, struct archive_entry **)
FUNC(archive, int, archive_read_open_fd, struct archive *, int, size_t)
FUNC(archive, int, archive_read_support_filter_bzip2, struct archive *)
FUNC(archive, int, archive_read_support_filter_compress, struct archive *)
FUNC(archive, int, archive_read_support_filter_gzip, struct archive *)
FUNC(archive, int, archive_read_support_filter_lzip, struct archive *)
FUNC(archive, int, archive_read_support_filter_lzma, struct archive *)
FUNC(archive, int, archive_read_support_filter_xz, struct archive *)
FUNC(archive, int, archive_read_support_filter_zstd, struct archive *)
FUNC(archive, int, archive_read_support_format_tar, struct archive *)
FUNC(archive, int, archive_write_add_filter_by_name, struct archive *, const char *)
FUNC(archive, int, archive_write_close, struct archive *)
FUNC(archive, la_ssize_t, archive_write_data, struct archive *, const void *, size_t)
FUNC(archive, la_ssize_t, archive_write_data_block, struct archive *, const void *, size_t, la_int64_t)
FUNC0(archive, struct archive *, archive_write_disk_new)
FUNC(archive, int, archive_write_disk_set_options, struct archive *, int)
FUNC(archive, int, archive_write_finish_entry, struct archive *)
FUNC(archive, int, archive_write_free, struct archive *)
FUNC(archive, int, archive_write_header, struct archive *, struct archive_entry *)
FUNC0(archive, struct archive *, archive_write_new)
FUNC(archive, int, archive_write_open_fd, struct archive *, int)
FUNC(archive, int, archive_write_set_format_gnutar, struct archive *)

/* libkmod: kernel.c, hardware.c */
FUNC(kmod, struct kmod_list *, kmod_list_next, const struct kmod_list *, const struct kmod_list *)
FUNC(kmod, int, kmod_module_get_info, const struct kmod_module *, struct kmod_list **)
PROC(kmod, kmod_module_info_free_list, struct kmod_list *)
FUNC(kmod, const char *, kmod_module_info_get_key, const struct kmod_list *)
FUNC(kmod, const char *, kmod_module_info_get_value, const struct kmod_list *)
FUNC(kmod, int, kmod_module_new_from_path, struct kmod_ctx *, const char *, struct kmod_module **)
FUNC(kmod, struct kmod_module *, kmod_module_unref, struct kmod_module *)
FUNC(kmod, struct kmod_ctx *, kmod_new, const char *, const char *const *)
PROC(kmod, kmod_set_log_priority, struct kmod_ctx *, int)

/* libcrypto: sign.c, secureboot.c */
FUNC(crypto, BIGNUM *, ASN1_INTEGER_to_BN, const ASN1_INTEGER *, BIGNUM *)
FUNC(crypto, const unsigned char *, ASN1_STRING_get0_data, const ASN1_STRING *)
FUNC(crypto, int, ASN1_STRING_length, const ASN1_STRING *)
FUNC(crypto, long, BIO_ctrl, BIO *, int, long, void *)
FUNC(crypto, int, BIO_free, BIO *)
FUNC(crypto, BIO *, BIO_new, const BIO_METHOD *)
FUNC(crypto, BIO *, BIO_new_file, const char *, const char *)
FUNC0(crypto, const BIO_METHOD *, BIO_s_mem)
FUNC(crypto, BIGNUM *, BN_bin2bn, const unsigned char *, int, BIGNUM *)
FUNC(crypto, int, BN_bn2bin, const BIGNUM *, unsigned char *)
PROC(crypto, BN_free, BIGNUM *)
FUNC(crypto, int, BN_num_bits, const BIGNUM *)
FUNC(crypto, ASN1_INTEGER *, BN_to_ASN1_INTEGER, const BIGNUM *, ASN1_INTEGER *)
PROC(crypto, CRYPTO_free, void *, const char *, int)
PROC0(crypto, ERR_clear_error)
FUNC0(crypto, unsigned long, ERR_peek_last_error)
FUNC(crypto, const char *, ERR_reason_error_string, unsigned long)
PROC(crypto, EVP_PKEY_CTX_free, EVP_PKEY_CTX *)
FUNC(crypto, EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_name, OSSL_LIB_CTX *, const char *, const char *)
FUNC(crypto, int, EVP_PKEY_CTX_set_rsa_keygen_bits, EVP_PKEY_CTX *, int)
FUNC(crypto, int, EVP_PKEY_eq, const EVP_PKEY *, const EVP_PKEY *)
PROC(crypto, EVP_PKEY_free, EVP_PKEY *)
FUNC(crypto, int, EVP_PKEY_generate, EVP_PKEY_CTX *, EVP_PKEY **)
FUNC(crypto, int, EVP_PKEY_keygen_init, EVP_PKEY_CTX *)
FUNC0(crypto, const EVP_MD *, EVP_sha256)
PROC(crypto, OPENSSL_cleanse, void *, size_t)
FUNC(crypto, EVP_PKEY *, PEM_read_PrivateKey, FILE *, EVP_PKEY **, pem_password_cb *, void *)
FUNC(crypto, X509 *, PEM_read_bio_X509, BIO *, X509 **, pem_password_cb *, void *)
FUNC(crypto, int, PEM_write_bio_PrivateKey, BIO *, const EVP_PKEY *, const EVP_CIPHER *,
     const unsigned char *, int, pem_password_cb *, void *)
FUNC(crypto, int, RAND_bytes, unsigned char *, int)
FUNC(crypto, X509_EXTENSION *, X509V3_EXT_conf_nid, LHASH_OF(CONF_VALUE) *, X509V3_CTX *, int, const char *)
PROC(crypto, X509V3_set_ctx, X509V3_CTX *, X509 *, X509 *, X509_REQ *, X509_CRL *, int)
PROC(crypto, X509_EXTENSION_free, X509_EXTENSION *)
FUNC(crypto, int, X509_NAME_add_entry_by_txt, X509_NAME *, const char *, int, const unsigned char *, int, int,
     int)
FUNC(crypto, int, X509_NAME_get_text_by_NID, const X509_NAME *, int, char *, int)
FUNC(crypto, int, X509_add_ext, X509 *, X509_EXTENSION *, int)
FUNC(crypto, int, X509_check_private_key, const X509 *, const EVP_PKEY *)
PROC(crypto, X509_free, X509 *)
FUNC(crypto, EVP_PKEY *, X509_get0_pubkey, const X509 *)
FUNC(crypto, const ASN1_INTEGER *, X509_get0_serialNumber, const X509 *)
FUNC(crypto, const ASN1_OCTET_STRING *, X509_get0_subject_key_id, X509 *)
FUNC(crypto, ASN1_INTEGER *, X509_get_serialNumber, X509 *)
FUNC(crypto, X509_NAME *, X509_get_subject_name, const X509 *)
FUNC(crypto, ASN1_TIME *, X509_getm_notAfter, const X509 *)
FUNC(crypto, ASN1_TIME *, X509_getm_notBefore, const X509 *)
FUNC(crypto, ASN1_TIME *, X509_gmtime_adj, ASN1_TIME *, long)
FUNC0(crypto, X509 *, X509_new)
FUNC(crypto, int, X509_set_issuer_name, X509 *, const X509_NAME *)
FUNC(crypto, int, X509_set_pubkey, X509 *, EVP_PKEY *)
FUNC(crypto, int, X509_set_version, X509 *, long)
FUNC(crypto, int, X509_sign, X509 *, EVP_PKEY *, const EVP_MD *)
FUNC(crypto, ASN1_TIME *, X509_time_adj_ex, ASN1_TIME *, int, long, time_t *)
FUNC(crypto, X509 *, d2i_X509, X509 **, const unsigned char **, long)
FUNC(crypto, X509 *, d2i_X509_bio, BIO *, X509 **)
FUNC(crypto, int, i2d_X509, const X509 *, unsigned char **)

/* liblzma, libzstd, zlib: compress.c */
FUNC(lzma, lzma_ret, lzma_code, lzma_stream *, lzma_action)
PROC(lzma, lzma_end, lzma_stream *)
FUNC(lzma, lzma_bool, lzma_lzma_preset, lzma_options_lzma *, uint32_t)
FUNC(lzma, lzma_ret, lzma_stream_encoder, lzma_stream *, const lzma_filter *, lzma_check)
FUNC(zstd, size_t, ZSTD_CCtx_setParameter, ZSTD_CCtx *, ZSTD_cParameter, int)
FUNC(zstd, size_t, ZSTD_CCtx_setPledgedSrcSize, ZSTD_CCtx *, unsigned long long)
FUNC0(zstd, size_t, ZSTD_CStreamOutSize)
FUNC(zstd, size_t, ZSTD_compressStream2, ZSTD_CCtx *, ZSTD_outBuffer *, ZSTD_inBuffer *, ZSTD_EndDirective)
FUNC0(zstd, ZSTD_CCtx *, ZSTD_createCCtx)
FUNC(zstd, size_t, ZSTD_freeCCtx, ZSTD_CCtx *)
FUNC(zstd, unsigned, ZSTD_isError, size_t)
FUNC(z, int, deflate, z_streamp, int)
FUNC(z, int, deflateEnd, z_streamp)
FUNC(z, int, deflateInit2_, z_streamp, int, int, int, int, int, const char *, int)
