/* ports/transfer: the records of a workspace export (`fechatter export`,
 * `fechatter import`) and the three ports that move them: a source that
 * reads a workspace record by record from a store, a sink that writes them
 * into an empty store, and a codec that turns them into a file and back.
 * Streaming on both sides: one record is in memory at a time.
 *
 * Ids in records are the file's own numbering (an exporter renumbers 1..N
 * per kind in export order); every reference names a record that came
 * before it. Record order: header, workspace, users, files, avatars, chats,
 * members, messages, reactions, read markers, end. No record holds a
 * secret: no password hash, token version, refresh token or invite. */
#ifndef FE_TRANSFER_H
#define FE_TRANSFER_H
#include <stddef.h>
#include <stdint.h>
#include "lib/utf8.h"

#define TR_FORMAT "fechatter-export"
#define TR_VERSION 1

enum tr_kind {
	TR_HEADER,
	TR_WORKSPACE,
	TR_USER,
	TR_FILE,
	TR_AVATAR,
	TR_CHAT,
	TR_MEMBER,
	TR_MESSAGE,
	TR_REACTION,
	TR_READ,
	TR_END,
	TR_NKINDS
};

struct tr_header {
	int version;
	int64_t users, chats, messages; /* counts, for progress and truncation checks */
};

struct tr_workspace {
	char name[UTF8_BUF(50)];
	int64_t owner; /* user id, 0 none */
	int64_t created_at;
};

struct tr_user {
	int64_t id;
	char email[256];
	char fullname[UTF8_BUF(50)];
	char role[8];    /* owner|admin|member */
	char status[12]; /* Active|Suspended */
	char title[UTF8_BUF(100)], department[UTF8_BUF(100)];
	char avatar_url[504];
	char bio[UTF8_BUF(1000)];
	char timezone[68];
	char language[20];
	int64_t created_at, updated_at;
	/* import only: the new account's password hash (set by core/transfer) */
	char password_hash[128];
};

struct tr_file {
	int64_t id, uploader, size, created_at;
	char sha256[65];
	char ext[8];
	char mime_type[64];
	char filename[256];
};

struct tr_avatar {
	int64_t user, file;
};

struct tr_chat {
	int64_t id, created_by, last_activity_at, created_at, updated_at;
	char chat_type[16]; /* Single|Group|PrivateChannel|PublicChannel */
	char name[UTF8_BUF(50)];
	char description[UTF8_BUF(500)];
	int64_t pair[2]; /* Single: the two user ids (equal for a note to self), else 0 */
};

struct tr_member {
	int64_t chat, user, joined_at;
	char role[8];
};

struct tr_message {
	int64_t id, chat, sender, reply_to, reply_count, created_at, edited_at, deleted_at; /* 0 = none */
	const char *content; /* borrowed until the next record */
	char idempotency_key[72];
	int mentions_all;
	const int64_t *mentions, *files; /* user ids, file ids; borrowed until the next record */
	size_t nmentions, nfiles;
};

struct tr_reaction {
	int64_t message, user, created_at;
	char emoji[36];
};

struct tr_read {
	int64_t chat, user, message, updated_at; /* message 0: before the first */
};

struct tr_record {
	enum tr_kind kind;
	union {
		struct tr_header header;
		struct tr_workspace workspace;
		struct tr_user user;
		struct tr_file file;
		struct tr_avatar avatar;
		struct tr_chat chat;
		struct tr_member member;
		struct tr_message message;
		struct tr_reaction reaction;
		struct tr_read read;
	} u;
};

/* The record kind's name in files ("user", "message", ...). */
const char *tr_kind_name(enum tr_kind k);

/* Called for each record, in order; a non-zero return stops the walk and
 * is returned by each(). The record is borrowed for the call. */
typedef int (*tr_record_fn)(const struct tr_record *r, void *arg);

struct tr_source_ops {
	/* Walks the whole workspace in record order, header first, end last,
	 * inside one read transaction (a consistent snapshot). Returns 0, fn's
	 * non-zero value, or -1 with a reason in err. */
	int (*each)(void *impl, tr_record_fn fn, void *arg, char *err, size_t errlen);
	void (*close)(void *impl);
};

struct tr_source {
	const struct tr_source_ops *ops;
	void *impl;
};

/* Sink errors: TR_EINPUT when the record itself is wrong (unknown or
 * duplicate id, a reference to another chat, a uniqueness clash): the file
 * is bad; TR_ESTORE when the store failed. */
enum { TR_EINPUT = -2, TR_ESTORE = -1 };

struct tr_sink_ops {
	/* Writes one record (header and end included) inside the import's
	 * single transaction, remapping its ids. Returns 0, TR_EINPUT or
	 * TR_ESTORE with a reason in err. */
	int (*put)(void *impl, const struct tr_record *r, char *err, size_t errlen);
	/* Completes the derived state and commits. Returns 0 or TR_E* (then
	 * nothing is kept). */
	int (*commit)(void *impl, char *err, size_t errlen);
	/* Rolls back whatever was written (unless committed) and frees. */
	void (*close)(void *impl);
};

struct tr_sink {
	const struct tr_sink_ops *ops;
	void *impl;
};

struct tr_codec_ops {
	/* Encodes one record as one output unit. Returns 0 or -1 (write error). */
	int (*write)(void *impl, const struct tr_record *r);
	/* Decodes the next record into *r (strings and arrays borrowed until the
	 * next call). Returns 1 with a record, 0 at the end of the input, or -1
	 * with the reason (naming the line) in err: not JSON, unknown type,
	 * missing or mistyped field, bad UTF-8, a value out of range. */
	int (*read)(void *impl, struct tr_record *r, char *err, size_t errlen);
	/* Where the last record came from ("line 12"), for the sink's errors. */
	void (*where)(void *impl, char *out, size_t len);
};

struct tr_codec {
	const struct tr_codec_ops *ops;
	void *impl;
};

#endif
