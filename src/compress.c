#include "compress.h"

#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "util/util.h"

/* An output buffer that grows as the encoder fills it. */
struct outbuf {
	char *buf;
	size_t len, cap;
};

static void outbuf_reserve(struct outbuf *o, size_t more)
{
	if (o->cap - o->len >= more)
		return;
	size_t cap = o->cap ? o->cap : 65536;
	while (cap - o->len < more)
		cap *= 2;
	o->buf = xrealloc(o->buf, cap);
	o->cap = cap;
}

bool compress_suffix_supported(const char *suffix)
{
	return suffix && (streq(suffix, ".xz") || streq(suffix, ".zst") || streq(suffix, ".gz"));
}

/* kbuild: xz --check=crc32 --lzma2=dict=1MiB */
static int compress_xz(const void *in, size_t len, struct outbuf *o)
{
	lzma_options_lzma opt;
	if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT))
		return -EIO;
	opt.dict_size = 1u << 20;
	lzma_filter filters[] = {
		{.id = LZMA_FILTER_LZMA2, .options = &opt},
		{.id = LZMA_VLI_UNKNOWN, .options = NULL},
	};
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_ret lr = lzma_stream_encoder(&strm, filters, LZMA_CHECK_CRC32);
	if (lr != LZMA_OK)
		return lr == LZMA_MEM_ERROR ? -ENOMEM : -EIO;
	strm.next_in = in;
	strm.avail_in = len;
	for (;;) {
		outbuf_reserve(o, 65536);
		strm.next_out = (uint8_t *)o->buf + o->len;
		strm.avail_out = o->cap - o->len;
		lr = lzma_code(&strm, LZMA_FINISH);
		o->len = o->cap - strm.avail_out;
		if (lr == LZMA_STREAM_END)
			break;
		if (lr != LZMA_OK) {
			lzma_end(&strm);
			return lr == LZMA_MEM_ERROR ? -ENOMEM : -EIO;
		}
	}
	lzma_end(&strm);
	return 0;
}

/* The reference asks zstd for its strongest levels; 19 is the strongest
 * without --ultra's large windows, and the window never exceeds the
 * module's size anyway because the size is known in advance. */
static int compress_zstd(const void *in, size_t len, struct outbuf *o)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	if (!cctx)
		return -ENOMEM;
	int r = 0;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx, len))) {
		ZSTD_freeCCtx(cctx);
		return -EIO;
	}
	ZSTD_inBuffer ib = {.src = in, .size = len, .pos = 0};
	for (;;) {
		outbuf_reserve(o, ZSTD_CStreamOutSize());
		ZSTD_outBuffer ob = {.dst = o->buf + o->len, .size = o->cap - o->len, .pos = 0};
		size_t left = ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end);
		o->len += ob.pos;
		if (ZSTD_isError(left)) {
			r = -EIO;
			break;
		}
		if (left == 0)
			break;
	}
	ZSTD_freeCCtx(cctx);
	return r;
}

/* gzip -9 -n: zlib's gzip wrapper writes no name and a zero time stamp,
 * so the same module always compresses to the same bytes. */
static int compress_gzip(const void *in, size_t len, struct outbuf *o)
{
	z_stream zs = {0};
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	const unsigned char *p = in;
	size_t left = len;
	int zr;
	do {
		/* avail_in is a uInt: feed large inputs in slices */
		uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
		zs.next_in = (unsigned char *)p;
		zs.avail_in = chunk;
		p += chunk;
		left -= chunk;
		int flush = left ? Z_NO_FLUSH : Z_FINISH;
		do {
			outbuf_reserve(o, 65536);
			zs.next_out = (unsigned char *)o->buf + o->len;
			zs.avail_out = (uInt)(o->cap - o->len > (1u << 30) ? (1u << 30) : o->cap - o->len);
			uInt before = zs.avail_out;
			zr = deflate(&zs, flush);
			o->len += before - zs.avail_out;
			if (zr == Z_STREAM_ERROR) {
				deflateEnd(&zs);
				return -EIO;
			}
		} while (zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	} while (left);
	deflateEnd(&zs);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

int compress_buffer(const char *suffix, const void *in, size_t len, char **out, size_t *out_len)
{
	struct outbuf o = {0};
	int r;
	if (streq(suffix, ".xz"))
		r = compress_xz(in, len, &o);
	else if (streq(suffix, ".zst"))
		r = compress_zstd(in, len, &o);
	else if (streq(suffix, ".gz"))
		r = compress_gzip(in, len, &o);
	else
		return -EINVAL;
	if (r < 0) {
		free(o.buf);
		return r;
	}
	*out = o.buf;
	*out_len = o.len;
	return 0;
}

int compress_file(const char *src, const char *dst, const char *suffix)
{
	if (!compress_suffix_supported(suffix))
		return -EINVAL;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_file(src, &data, &len);
	if (r < 0)
		return r;
	_cleanup_free_ char *packed = NULL;
	size_t packed_len = 0;
	r = compress_buffer(suffix, data, len, &packed, &packed_len);
	if (r < 0)
		return r;
	return write_file_atomic(dst, packed, packed_len, 0644);
}
