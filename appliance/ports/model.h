/* ports/model: the domain records that cross the ports (plain structs with
 * fixed-size text fields; sizes allow the documented character limits in
 * UTF-8). Times are milliseconds since the epoch. */
#ifndef FE_MODEL_H
#define FE_MODEL_H
#include <stdint.h>
#include "lib/utf8.h"

struct user {
	int64_t id, workspace_id;
	char email[256];
	char fullname[UTF8_BUF(50)]; /* 1..50 characters */
	char role[8];                /* owner|admin|member */
	char status[12];             /* Active|Suspended */
	int64_t token_version;
	char title[UTF8_BUF(100)], department[UTF8_BUF(100)]; /* 0..100 characters */
	char avatar_url[504];     /* "" none; the picture's file url, or an outside address */
	int64_t avatar_file_id;   /* the picture's file (uploaded by this user), 0 none */
	char bio[UTF8_BUF(1000)]; /* 0..1000 characters */
	char timezone[68];
	char language[20];
	int64_t created_at, updated_at;
};

/* What signing in checks, read only by core/auth (struct user carries no
 * credentials, so the cache, user lists and logs never hold them). The
 * hash is a secret: wipe it (sodium_memzero) once used. */
struct credentials {
	int64_t user_id;
	char password_hash[128];
	char status[12]; /* Active|Suspended */
	int64_t token_version;
};

struct workspace {
	int64_t id, owner_id, member_count, created_at;
	char name[UTF8_BUF(50)];
};

struct invite {
	char code[32];
	int64_t workspace_id, created_by;
	int max_uses, uses;
	int64_t expires_at, revoked_at, created_at;
};

struct refresh_token {
	int64_t id, user_id;
	char family[32];
	int64_t created_at, expires_at, family_expires_at, rotated_at, revoked_at;
};

/* A single-use link to set a password (core/auth); the token itself is
 * never stored, only its SHA-256. used_at 0 = not used yet. */
struct password_token {
	int64_t id, user_id, created_at, expires_at, used_at;
};

struct chat {
	int64_t id, workspace_id, created_by, last_message_id, last_activity_at, created_at, updated_at;
	char chat_type[16]; /* Single|Group|PrivateChannel|PublicChannel */
	char name[UTF8_BUF(50)];
	char description[UTF8_BUF(500)];
	int64_t member_count;
	char my_role[8]; /* the asking user's role, "" when not a member */
};

struct chat_member {
	int64_t chat_id, user_id, joined_at;
	char role[8];
	char fullname[UTF8_BUF(50)];
	char avatar_url[504];
};

struct file_rec {
	int64_t id, size, uploader_id, created_at;
	char sha256[65];
	char ext[8];
	char mime_type[64];
	char filename[256];
};

struct reaction_sum {
	char emoji[36];
	int count, me;
};

struct message {
	int64_t id, chat_id, sender_id, reply_to, reply_count, created_at, edited_at, deleted_at;
	char *content; /* owned (malloc) */
	char idempotency_key[72];
	char sender_name[UTF8_BUF(50)];
	char sender_avatar[504];
	int mentions_all;
	int64_t *mentions; /* owned */
	int nmentions;
	struct file_rec *files; /* owned */
	int nfiles;
	struct reaction_sum *reactions; /* owned */
	int nreactions;
};

/* Frees what a message owns (not the struct itself). NULL-safe. */
void message_clear(struct message *m);
/* Frees an array of n messages and their contents. */
void messages_free(struct message *a, size_t n);

struct unread {
	int64_t chat_id, unread_count, mention_count;
};

#endif
