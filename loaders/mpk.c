/* mpk.c - the only file that includes msgpack-c (see mpk.h) */
#include "mpk.h"

#include <msgpack.h>
#include <msgpack/fbuffer.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_CHUNK (1u << 16)

/* ---- writing ---- */

static void packer(msgpack_packer *pk, FILE *f)
{
	msgpack_packer_init(pk, f, msgpack_fbuffer_write);
}

void sb_mpk_put_array(FILE *f, uint32_t n)
{
	msgpack_packer pk;

	packer(&pk, f);
	msgpack_pack_array(&pk, n);
}

void sb_mpk_put_str(FILE *f, const char *s)
{
	size_t n = strlen(s);
	msgpack_packer pk;

	packer(&pk, f);
	msgpack_pack_str(&pk, n);
	msgpack_pack_str_body(&pk, s, n);
}

void sb_mpk_put_uint(FILE *f, uint64_t v)
{
	msgpack_packer pk;

	packer(&pk, f);
	msgpack_pack_uint64(&pk, v);
}

void sb_mpk_put_int(FILE *f, int64_t v)
{
	msgpack_packer pk;

	packer(&pk, f);
	msgpack_pack_int64(&pk, v);
}

void sb_mpk_put_bin(FILE *f, const void *p, size_t n)
{
	msgpack_packer pk;

	packer(&pk, f);
	msgpack_pack_bin(&pk, n);
	msgpack_pack_bin_body(&pk, p, n);
}

/* ---- values ---- */

static struct sb_mpk_val val_of(const msgpack_object *o)
{
	struct sb_mpk_val v = { .obj_ = o };

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v.type = SB_MPK_NIL;
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v.type = SB_MPK_BOOL;
		v.b = o->via.boolean;
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		v.type = SB_MPK_UINT;
		v.u = o->via.u64;
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v.type = SB_MPK_INT;
		v.i = o->via.i64;
		break;
	case MSGPACK_OBJECT_FLOAT32:
		v.type = SB_MPK_FLOAT32;
		v.f = o->via.f64;
		break;
	case MSGPACK_OBJECT_FLOAT64:
		v.type = SB_MPK_FLOAT64;
		v.f = o->via.f64;
		break;
	case MSGPACK_OBJECT_STR:
		v.type = SB_MPK_STR;
		v.s = o->via.str.ptr;
		v.n = o->via.str.size;
		break;
	case MSGPACK_OBJECT_BIN:
		v.type = SB_MPK_BIN;
		v.s = o->via.bin.ptr;
		v.n = o->via.bin.size;
		break;
	case MSGPACK_OBJECT_ARRAY:
		v.type = SB_MPK_ARRAY;
		v.n = o->via.array.size;
		break;
	case MSGPACK_OBJECT_MAP:
		v.type = SB_MPK_MAP;
		v.n = o->via.map.size;
		break;
	case MSGPACK_OBJECT_EXT:
		v.type = SB_MPK_EXT;
		v.ext_type = o->via.ext.type;
		v.s = o->via.ext.ptr;
		v.n = o->via.ext.size;
		break;
	}
	return v;
}

struct sb_mpk_val sb_mpk_item(const struct sb_mpk_val *array, uint32_t i)
{
	const msgpack_object *o = array->obj_;

	return val_of(&o->via.array.ptr[i]);
}

void sb_mpk_pair(const struct sb_mpk_val *map, uint32_t i, struct sb_mpk_val *key,
		 struct sb_mpk_val *val)
{
	const msgpack_object *o = map->obj_;

	*key = val_of(&o->via.map.ptr[i].key);
	*val = val_of(&o->via.map.ptr[i].val);
}

bool sb_mpk_equal(const struct sb_mpk_val *a, const struct sb_mpk_val *b)
{
	return msgpack_object_equal(*(const msgpack_object *)a->obj_,
				    *(const msgpack_object *)b->obj_);
}

bool sb_mpk_timestamp(const struct sb_mpk_val *v, int64_t *sec, uint32_t *nsec)
{
	msgpack_timestamp ts;

	if (!msgpack_object_to_timestamp(v->obj_, &ts))
		return false;
	*sec = ts.tv_sec;
	*nsec = ts.tv_nsec;
	return true;
}

/* ---- bounds ---- */

static uint64_t be_read(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * The extent of the MessagePack object at p[0..avail): 1 with *len set when it is
 * whole, 0 when more bytes are needed, -1 when it is not MessagePack, holds more than
 * max_objects objects or needs more than max_bytes bytes.  Every announced count is
 * walked against the bytes really there, so msgpack-c then allocates for no more
 * than what the bytes hold.
 */
static int extent(const unsigned char *p, size_t avail, uint64_t max_objects, uint64_t max_bytes,
		  size_t *len)
{
	size_t off = 0;
	uint64_t pending = 1, objects = 0;

	while (pending) {
		unsigned b;
		uint64_t count = 0, skip = 0;
		int nlen = 0, extra = 0;

		if (off >= avail)
			return 0;
		b = p[off++];
		pending--;
		if (++objects > max_objects)
			return -1;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
			continue;                              /* ints, nil, booleans */
		if (b <= 0x8f) {
			count = 2 * (uint64_t)(b & 0x0f);      /* fixmap */
		} else if (b <= 0x9f) {
			count = b & 0x0f;                      /* fixarray */
		} else if (b <= 0xbf) {
			skip = b & 0x1f;                       /* fixstr */
		} else {
			switch (b) {
			case 0xc4: case 0xd9: nlen = 1; break;             /* bin8, str8 */
			case 0xc5: case 0xda: nlen = 2; break;
			case 0xc6: case 0xdb: nlen = 4; break;
			case 0xc7: nlen = 1; extra = 1; break;             /* ext8/16/32 */
			case 0xc8: nlen = 2; extra = 1; break;
			case 0xc9: nlen = 4; extra = 1; break;
			case 0xca: skip = 4; break;                        /* float32/64 */
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;             /* ints */
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;                        /* fixext 1..16 */
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xdd: case 0xde: case 0xdf: {      /* array/map 16/32 */
				int cb = (b == 0xdc || b == 0xde) ? 2 : 4;

				if (avail - off < (size_t)cb)
					return 0;
				count = be_read(p + off, cb) * (b >= 0xde ? 2 : 1);
				off += (size_t)cb;
				break;
			}
			default:
				return -1;                                     /* 0xc1: never used */
			}
		}
		if (nlen) {
			if (avail - off < (size_t)nlen)
				return 0;
			skip = be_read(p + off, nlen) + (uint64_t)extra;
			off += (size_t)nlen;
		}
		if (count) {
			/* each element takes a byte at least */
			if (count > max_objects)
				return -1;
			pending += count;
			continue;
		}
		if (skip > avail - off)
			return skip > max_bytes ? -1 : 0;
		off += (size_t)skip;
	}
	*len = off;
	return 1;
}

/* msgpack-c decodes p[0..len), bounded by extent(), into 'zone' (cleared first). */
static bool unpack(msgpack_zone *zone, const unsigned char *p, size_t len, msgpack_object *obj)
{
	size_t off = 0;

	msgpack_zone_clear(zone);
	return msgpack_unpack((const char *)p, len, &off, zone, obj) == MSGPACK_UNPACK_SUCCESS &&
	       off == len;
}

/* ---- one document ---- */

struct sb_mpk_doc {
	msgpack_zone   zone;
	msgpack_object root;
};

struct sb_mpk_doc *sb_mpk_parse(const void *bytes, size_t n, struct sb_mpk_val *root)
{
	struct sb_mpk_doc *d;
	size_t len;

	/* a document of n bytes holds at most n objects */
	if (extent(bytes, n, n, n, &len) != 1 || len != n || !(d = malloc(sizeof(*d))))
		return NULL;
	if (!msgpack_zone_init(&d->zone, STREAM_CHUNK)) {
		free(d);
		return NULL;
	}
	if (!unpack(&d->zone, bytes, n, &d->root)) {
		sb_mpk_doc_free(d);
		return NULL;
	}
	*root = val_of(&d->root);
	return d;
}

void sb_mpk_doc_free(struct sb_mpk_doc *d)
{
	if (!d)
		return;
	msgpack_zone_destroy(&d->zone);
	free(d);
}

/* ---- a stream of records ---- */

struct sb_mpk_stream {
	FILE          *f;
	uint32_t       max_objects;
	size_t         max_bytes;
	unsigned char *buf;
	size_t         cap, have, pos;   /* buf[pos..have) read, not decoded yet */
	bool           eof;
	msgpack_zone   zone;             /* the last record */
	msgpack_object rec;
};

struct sb_mpk_stream *sb_mpk_stream_open(FILE *f, uint32_t max_objects, size_t max_bytes)
{
	struct sb_mpk_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!msgpack_zone_init(&s->zone, STREAM_CHUNK)) {
		free(s);
		return NULL;
	}
	s->f = f;
	s->max_objects = max_objects;
	s->max_bytes = max_bytes;
	return s;
}

void sb_mpk_stream_close(struct sb_mpk_stream *s)
{
	if (!s)
		return;
	msgpack_zone_destroy(&s->zone);
	free(s->buf);
	free(s);
}

int sb_mpk_next(struct sb_mpk_stream *s, struct sb_mpk_val *rec)
{
	for (;;) {
		size_t len = 0, want, got;
		int ext = s->pos < s->have ? extent(s->buf + s->pos, s->have - s->pos,
						    s->max_objects, s->max_bytes, &len) : 0;

		if (ext < 0)
			return SB_MPK_EBOUND;
		if (ext > 0) {
			if (!unpack(&s->zone, s->buf + s->pos, len, &s->rec))
				return SB_MPK_ECORRUPT;
			s->pos += len;
			*rec = val_of(&s->rec);
			return 1;
		}
		if (s->eof)
			return s->pos < s->have ? SB_MPK_ETRUNC : 0;
		if (s->have - s->pos > s->max_bytes)
			return SB_MPK_ETOOBIG;
		/* keep the unread tail, then read as much again behind it (at least a chunk),
		 * so a long record is scanned O(1) times over, not once per chunk */
		if (s->pos) {                    /* (buf is NULL before the first read) */
			memmove(s->buf, s->buf + s->pos, s->have - s->pos);
			s->have -= s->pos;
			s->pos = 0;
		}
		want = s->have > STREAM_CHUNK ? s->have : STREAM_CHUNK;
		if (s->have + want > s->cap) {
			size_t ncap = (s->have + want) * 2;
			unsigned char *nb = realloc(s->buf, ncap);

			if (!nb)
				return SB_MPK_ENOMEM;
			s->buf = nb;
			s->cap = ncap;
		}
		got = fread(s->buf + s->have, 1, want, s->f);
		if (got == 0 && ferror(s->f))
			return SB_MPK_EREAD;
		s->eof = got == 0;
		s->have += got;
	}
}
