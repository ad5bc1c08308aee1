/* adapters/ndjson_transfer: records <-> NDJSON lines. One table per record
 * kind lists its fields (name, type, place in the struct, range, choices);
 * the writer and the reader both walk it, so the two never disagree. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adapters/ndjson_transfer.h"
#include "lib/utf8.h" /* json_has_nul: the one NUL check (cJSON would cut a string at \u0000) */
#include "lib/xalloc.h"

enum ftype { F_I64, F_INT, F_BOOL, F_STR, F_TEXT, F_IDS };
enum { NONEMPTY = 1, NOCTRL = 2, LINES = 4, HEX64 = 8 };

#define MAXI ((int64_t)1 << 53) /* integers a JSON double holds exactly */

struct field {
	const char *name;
	enum ftype type;
	size_t off;  /* in struct tr_record */
	size_t size; /* F_STR: buffer bytes; F_TEXT: most characters; F_IDS: offset of the count */
	int64_t min, max;
	const char *choices; /* F_STR: "a|b|c" */
	int flags;
};

#define R(m) offsetof(struct tr_record, u.m)
#define S(m) sizeof(((struct tr_record *)0)->u.m)
#define ID(n, m)                                                                                             \
	{                                                                                                    \
		n, F_I64, R(m), 0, 1, MAXI, NULL, 0                                                          \
	}
#define REF0(n, m)                                                                                           \
	{                                                                                                    \
		n, F_I64, R(m), 0, 0, MAXI, NULL, 0                                                          \
	} /* 0 = none */
#define TIME(n, m)                                                                                           \
	{                                                                                                    \
		n, F_I64, R(m), 0, 0, MAXI, NULL, 0                                                          \
	}
#define STR(n, m, fl)                                                                                        \
	{                                                                                                    \
		n, F_STR, R(m), S(m), 0, 0, NULL, fl                                                         \
	}
#define ENUM(n, m, ch)                                                                                       \
	{                                                                                                    \
		n, F_STR, R(m), S(m), 0, 0, ch, NONEMPTY                                                     \
	}
#define END                                                                                                  \
	{                                                                                                    \
		NULL, F_I64, 0, 0, 0, 0, NULL, 0                                                             \
	}

static const struct field f_header[] = {
    {"version", F_INT, R(header.version), 0, 1, 1000000, NULL, 0},
    {"users", F_I64, R(header.users), 0, 0, MAXI, NULL, 0},
    {"chats", F_I64, R(header.chats), 0, 0, MAXI, NULL, 0},
    {"messages", F_I64, R(header.messages), 0, 0, MAXI, NULL, 0},
    END,
};
static const struct field f_workspace[] = {
    STR("name", workspace.name, NONEMPTY | NOCTRL),
    REF0("owner", workspace.owner),
    TIME("created_at", workspace.created_at),
    END,
};
static const struct field f_user[] = {
    ID("id", user.id),
    STR("email", user.email, NONEMPTY | NOCTRL),
    STR("fullname", user.fullname, NONEMPTY | NOCTRL),
    ENUM("role", user.role, "owner|admin|member"),
    ENUM("status", user.status, "Active|Suspended"),
    STR("title", user.title, NOCTRL),
    STR("department", user.department, NOCTRL),
    STR("avatar_url", user.avatar_url, NOCTRL),
    STR("bio", user.bio, NOCTRL | LINES),
    STR("timezone", user.timezone, NOCTRL),
    STR("language", user.language, NOCTRL),
    TIME("created_at", user.created_at),
    TIME("updated_at", user.updated_at),
    END,
};
static const struct field f_file[] = {
    ID("id", file.id),
    STR("sha256", file.sha256, HEX64),
    STR("ext", file.ext, NONEMPTY | NOCTRL),
    STR("mime_type", file.mime_type, NONEMPTY | NOCTRL),
    {"size", F_I64, R(file.size), 0, 0, MAXI, NULL, 0},
    ID("uploader", file.uploader),
    STR("filename", file.filename, NOCTRL),
    TIME("created_at", file.created_at),
    END,
};
static const struct field f_avatar[] = {
    ID("user", avatar.user),
    ID("file", avatar.file),
    END,
};
static const struct field f_chat[] = {
    ID("id", chat.id),
    ENUM("chat_type", chat.chat_type, "Single|Group|PrivateChannel|PublicChannel"),
    STR("name", chat.name, NOCTRL),
    STR("description", chat.description, NOCTRL | LINES),
    ID("created_by", chat.created_by),
    REF0("pair_low", chat.pair[0]),
    REF0("pair_high", chat.pair[1]),
    TIME("created_at", chat.created_at),
    TIME("updated_at", chat.updated_at),
    TIME("last_activity_at", chat.last_activity_at),
    END,
};
static const struct field f_member[] = {
    ID("chat", member.chat),
    ID("user", member.user),
    ENUM("role", member.role, "owner|admin|member"),
    TIME("joined_at", member.joined_at),
    END,
};
static const struct field f_message[] = {
    ID("id", message.id),
    ID("chat", message.chat),
    ID("sender", message.sender),
    REF0("reply_to", message.reply_to),
    {"reply_count", F_I64, R(message.reply_count), 0, 0, MAXI, NULL, 0},
    {"content", F_TEXT, R(message.content), 4000, 0, 0, NULL, NOCTRL | LINES},
    STR("idempotency_key", message.idempotency_key, NOCTRL),
    {"mentions_all", F_BOOL, R(message.mentions_all), 0, 0, 1, NULL, 0},
    {"mentions", F_IDS, R(message.mentions), R(message.nmentions), 1, MAXI, NULL, 0},
    {"files", F_IDS, R(message.files), R(message.nfiles), 1, MAXI, NULL, 0},
    TIME("created_at", message.created_at),
    REF0("edited_at", message.edited_at),
    REF0("deleted_at", message.deleted_at),
    END,
};
static const struct field f_reaction[] = {
    ID("message", reaction.message),
    ID("user", reaction.user),
    STR("emoji", reaction.emoji, NONEMPTY | NOCTRL),
    TIME("created_at", reaction.created_at),
    END,
};
static const struct field f_read[] = {
    ID("chat", read.chat),
    ID("user", read.user),
    REF0("message", read.message),
    TIME("updated_at", read.updated_at),
    END,
};
static const struct field f_end[] = {END};

static const struct field *fields[TR_NKINDS] = {
    [TR_HEADER] = f_header,     [TR_WORKSPACE] = f_workspace,
    [TR_USER] = f_user,         [TR_FILE] = f_file,
    [TR_AVATAR] = f_avatar,     [TR_CHAT] = f_chat,
    [TR_MEMBER] = f_member,     [TR_MESSAGE] = f_message,
    [TR_REACTION] = f_reaction, [TR_READ] = f_read,
    [TR_END] = f_end,
};

/* ---- writer ---- */

struct ndjson {
	FILE *f;
	/* reader */
	char *line;
	size_t cap;
	long lineno;
	cJSON *doc;
	int64_t *ids[2];
	size_t idcap[2];
};

static int nd_write(void *impl, const struct tr_record *r)
{
	struct ndjson *w = impl;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		abort();
	cJSON_AddStringToObject(o, "type", tr_kind_name(r->kind));
	if (r->kind == TR_HEADER)
		cJSON_AddStringToObject(o, "format", TR_FORMAT);
	const char *base = (const char *)r;
	for (const struct field *f = fields[r->kind]; f->name; f++) {
		const char *p = base + f->off;
		switch (f->type) {
		case F_I64:
			cJSON_AddNumberToObject(o, f->name, (double)*(const int64_t *)p);
			break;
		case F_INT:
			cJSON_AddNumberToObject(o, f->name, *(const int *)p);
			break;
		case F_BOOL:
			cJSON_AddBoolToObject(o, f->name, *(const int *)p);
			break;
		case F_STR:
			cJSON_AddStringToObject(o, f->name, p);
			break;
		case F_TEXT:
			cJSON_AddStringToObject(o, f->name, *(const char *const *)p);
			break;
		case F_IDS: {
			const int64_t *ids = *(const int64_t *const *)p;
			size_t n = *(const size_t *)(base + f->size);
			cJSON *a = cJSON_AddArrayToObject(o, f->name);
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(a, cJSON_CreateNumber((double)ids[i]));
			break;
		}
		}
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		abort();
	int rc = fputs(s, w->f) < 0 || fputc('\n', w->f) == EOF ? -1 : 0;
	cJSON_free(s);
	return rc;
}

/* ---- reader ---- */

#define BAD(...)                                                                                             \
	do {                                                                                                 \
		int k_ = snprintf(err, errlen, "line %ld: ", rd->lineno);                                    \
		snprintf(err + (k_ > 0 && (size_t)k_ < errlen ? k_ : 0),                                     \
		         errlen - (k_ > 0 && (size_t)k_ < errlen ? (size_t)k_ : 0), __VA_ARGS__);            \
		return -1;                                                                                   \
	} while (0)

/* Reads one line (without its newline) into rd->line. Returns 1, 0 at the
 * end of the input, -1 when it is longer than NDJSON_LINE_MAX. */
static int read_line(struct ndjson *rd, size_t *len)
{
	size_t n = 0;
	int c;
	while ((c = getc(rd->f)) != EOF && c != '\n') {
		if (n + 1 >= rd->cap) {
			if (rd->cap >= NDJSON_LINE_MAX)
				return -1;
			rd->cap = rd->cap ? rd->cap * 2 : 4096;
			rd->line = xrealloc(rd->line, rd->cap);
		}
		rd->line[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return 0;
	if (!rd->line) {
		rd->cap = 4096;
		rd->line = xmalloc(rd->cap);
	}
	rd->line[n] = 0;
	*len = n;
	return 1;
}

static int is_int(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v))
		return 0;
	double d = v->valuedouble;
	if (d < -(double)MAXI || d > (double)MAXI || d != (double)(int64_t)d)
		return 0;
	*out = (int64_t)d;
	return 1;
}

static int one_of(const char *s, const char *choices)
{
	size_t len = strlen(s);
	while (*choices) {
		size_t n = strcspn(choices, "|");
		if (n == len && !strncmp(choices, s, n))
			return 1;
		choices += n + (choices[n] == '|');
	}
	return 0;
}

static int hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

static int get_field(struct ndjson *rd, const cJSON *o, const struct field *f, struct tr_record *r, int *nids,
                     char *err, size_t errlen)
{
	char *p = (char *)r + f->off;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->name);
	if (!v)
		BAD("%s: missing field \"%s\"", tr_kind_name(r->kind), f->name);
	int64_t i;
	switch (f->type) {
	case F_I64:
	case F_INT:
		if (!is_int(v, &i))
			BAD("%s: \"%s\" must be an integer", tr_kind_name(r->kind), f->name);
		if (i < f->min || i > f->max)
			BAD("%s: \"%s\" must be in %lld..%lld, not %lld", tr_kind_name(r->kind), f->name,
			    (long long)f->min, (long long)f->max, (long long)i);
		if (f->type == F_INT)
			*(int *)p = (int)i;
		else
			*(int64_t *)p = i;
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(v))
			BAD("%s: \"%s\" must be true or false", tr_kind_name(r->kind), f->name);
		*(int *)p = cJSON_IsTrue(v);
		return 0;
	case F_STR:
	case F_TEXT: {
		if (!cJSON_IsString(v))
			BAD("%s: \"%s\" must be a string", tr_kind_name(r->kind), f->name);
		const char *s = v->valuestring;
		size_t len = strlen(s);
		if (f->type == F_STR && len >= f->size)
			BAD("%s: \"%s\" is longer than %zu bytes", tr_kind_name(r->kind), f->name,
			    f->size - 1);
		if (f->type == F_TEXT && utf8_chars(s) > f->size)
			BAD("%s: \"%s\" is longer than %zu characters", tr_kind_name(r->kind), f->name,
			    f->size);
		if ((f->flags & NONEMPTY) && !len)
			BAD("%s: \"%s\" must not be empty", tr_kind_name(r->kind), f->name);
		if ((f->flags & NOCTRL) && utf8_has_controls(s, !!(f->flags & LINES)))
			BAD("%s: \"%s\" holds control characters", tr_kind_name(r->kind), f->name);
		if ((f->flags & HEX64) && !hex64(s))
			BAD("%s: \"%s\" must be 64 lowercase hex digits", tr_kind_name(r->kind), f->name);
		if (f->choices && !one_of(s, f->choices))
			BAD("%s: \"%s\" must be one of %s", tr_kind_name(r->kind), f->name, f->choices);
		if (f->type == F_STR)
			memcpy(p, s, len + 1);
		else
			*(const char **)p = s;
		return 0;
	}
	case F_IDS: {
		if (!cJSON_IsArray(v))
			BAD("%s: \"%s\" must be an array of ids", tr_kind_name(r->kind), f->name);
		int k = (*nids)++;
		size_t n = 0, want = (size_t)cJSON_GetArraySize(v);
		if (want > rd->idcap[k]) {
			rd->idcap[k] = want;
			rd->ids[k] = xrealloc(rd->ids[k], want * sizeof *rd->ids[k]);
		}
		const cJSON *e;
		cJSON_ArrayForEach(e, v)
		{
			if (!is_int(e, &i) || i < f->min)
				BAD("%s: \"%s\" must be an array of ids (positive integers)",
				    tr_kind_name(r->kind), f->name);
			rd->ids[k][n++] = i;
		}
		*(int64_t **)p = rd->ids[k];
		*(size_t *)((char *)r + f->size) = n;
		return 0;
	}
	}
	return 0;
}

static int nd_read(void *impl, struct tr_record *r, char *err, size_t errlen)
{
	struct ndjson *rd = impl;
	size_t len = 0;
	cJSON_Delete(rd->doc);
	rd->doc = NULL;
	memset(r, 0, sizeof *r);
	int got;
	do {
		rd->lineno++;
		got = read_line(rd, &len);
		if (got < 0)
			BAD("longer than %d bytes", NDJSON_LINE_MAX);
		if (!got)
			return 0;
	} while (len == 0); /* blank lines are skipped */
	if (ferror(rd->f))
		BAD("read error");
	if (!utf8_valid(rd->line, len))
		BAD("not valid UTF-8");
	if (json_has_nul(rd->line, len))
		BAD("holds a NUL character (a zero byte or \\u0000)");
	const char *end = NULL;
	rd->doc = cJSON_ParseWithLengthOpts(rd->line, len, &end, 0);
	if (!rd->doc || (end && (size_t)(end - rd->line) < len && strspn(end, " \t\r") != strlen(end)))
		BAD("not a JSON object (error near byte %ld)", end ? (long)(end - rd->line) + 1 : 1L);
	if (!cJSON_IsObject(rd->doc))
		BAD("not a JSON object");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rd->doc, "type");
	if (!cJSON_IsString(t))
		BAD("missing \"type\" (a string)");
	int kind = -1;
	for (int k = 0; k < TR_NKINDS; k++)
		if (!strcmp(t->valuestring, tr_kind_name(k)))
			kind = k;
	if (kind < 0)
		BAD("unknown record type \"%.40s\"", t->valuestring);
	r->kind = kind;
	if (kind == TR_HEADER) {
		const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(rd->doc, "format");
		if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TR_FORMAT))
			BAD("header: \"format\" must be \"%s\" (not a fechatter export?)", TR_FORMAT);
	}
	int nids = 0;
	for (const struct field *f = fields[kind]; f->name; f++)
		if (get_field(rd, rd->doc, f, r, &nids, err, errlen))
			return -1;
	if (kind == TR_HEADER && r->u.header.version != TR_VERSION)
		BAD("export format version %d; this binary reads version %d", r->u.header.version,
		    TR_VERSION);
	if (kind == TR_MESSAGE && r->u.message.deleted_at && *r->u.message.content)
		BAD("message: a deleted message has no content");
	if (kind == TR_CHAT) {
		int single = !strcmp(r->u.chat.chat_type, "Single");
		if (single != (r->u.chat.pair[0] > 0 && r->u.chat.pair[1] > 0) ||
		    (!single && (r->u.chat.pair[0] || r->u.chat.pair[1])))
			BAD("chat: \"pair_low\" and \"pair_high\" name the two users of a Single chat, and "
			    "are 0"
			    " for other chats");
	}
	return 1;
}

static void nd_where(void *impl, char *out, size_t len)
{
	struct ndjson *rd = impl;
	snprintf(out, len, "line %ld", rd->lineno);
}

static const struct tr_codec_ops writer_ops = {.write = nd_write};
static const struct tr_codec_ops reader_ops = {.read = nd_read, .where = nd_where};

static struct ndjson *nd_new(FILE *f)
{
	struct ndjson *n = xcalloc(1, sizeof *n);
	n->f = f;
	return n;
}

void ndjson_writer(FILE *f, struct tr_codec *out)
{
	out->ops = &writer_ops;
	out->impl = nd_new(f);
}

void ndjson_reader(FILE *f, struct tr_codec *out)
{
	out->ops = &reader_ops;
	out->impl = nd_new(f);
}

void ndjson_close(struct tr_codec *c)
{
	struct ndjson *n = c ? c->impl : NULL;
	if (!n)
		return;
	cJSON_Delete(n->doc);
	free(n->line);
	free(n->ids[0]);
	free(n->ids[1]);
	free(n);
	c->impl = NULL;
}
