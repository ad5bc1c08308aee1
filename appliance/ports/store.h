/* ports/store: persistence, as a table of functions so that another backend
 * (PostgreSQL) can replace the SQLite adapter without touching core/.
 * Every function returns 0 or a negative FE_E* code: FE_ENOTFOUND when no
 * row matches, FE_ECONFLICT on a uniqueness violation, FE_ENOSPC when the
 * disk is full, FE_EUNAVAIL when the database cannot be written,
 * FE_EINTERNAL otherwise. Single-threaded: the loop thread owns the store.
 * Lists are returned as arrays allocated with malloc (caller frees). */
#ifndef FE_STORE_H
#define FE_STORE_H
#include <stddef.h>
#include "ports/model.h"

struct store_ops {
	/* Transactions nest (outermost is the real transaction). */
	int (*begin)(void *s);
	int (*commit)(void *s);
	void (*rollback)(void *s);
	/* Health: 0 when the database answers; sizes in bytes. */
	int (*ping)(void *s);
	int (*sizes)(void *s, int64_t *db_bytes, int64_t *wal_bytes);

	int (*workspace_count)(void *s, int64_t *n);
	int (*workspace_insert)(void *s, struct workspace *w); /* fills id */
	int (*workspace_get)(void *s, int64_t id, struct workspace *w); /* with member_count */
	int (*workspace_set_owner)(void *s, int64_t id, int64_t owner_id);
	int (*workspace_rename)(void *s, int64_t id, const char *name);

	/* Inserts u with its password hash (stored, never read back into a
	 * struct user); fills id. */
	int (*user_insert)(void *s, struct user *u, const char *password_hash);
	int (*user_get)(void *s, int64_t id, struct user *u);
	int (*user_by_email)(void *s, const char *email, struct user *u);
	int (*users_list)(void *s, int64_t workspace_id, struct user **out, size_t *n);
	/* The credentials of the account with that email (case-insensitive) or
	 * id, for core/auth only. */
	int (*credentials_by_email)(void *s, const char *email, struct credentials *c);
	int (*credentials_by_id)(void *s, int64_t id, struct credentials *c);
	int (*user_update_profile)(void *s, const struct user *u); /* fullname..language, avatar_file_id */
	int (*user_set_role_status)(void *s, int64_t id, const char *role, const char *status);
	int (*user_set_password)(void *s, int64_t id, const char *hash);
	int (*user_bump_token_version)(void *s, int64_t id);

	int (*invite_insert)(void *s, const struct invite *i);
	int (*invite_get)(void *s, const char *code, struct invite *i);
	int (*invites_active)(void *s, int64_t workspace_id, int64_t now, struct invite **out, size_t *n);
	int (*invite_revoke)(void *s, int64_t workspace_id, const char *code, int64_t now);
	/* Counts one use if the invite is usable at now; FE_ENOTFOUND otherwise. */
	int (*invite_use)(void *s, const char *code, int64_t now);

	int (*refresh_insert)(void *s, struct refresh_token *t, const char *token_hash);
	int (*refresh_get)(void *s, const char *token_hash, struct refresh_token *t);
	/* Marks a token rotated; FE_ECONFLICT if it already was (a race). */
	int (*refresh_rotate)(void *s, int64_t id, int64_t now);
	int (*refresh_revoke)(void *s, int64_t user_id, const char *token_hash, int64_t now);
	int (*refresh_revoke_family)(void *s, const char *family, int64_t now);
	int (*refresh_revoke_user)(void *s, int64_t user_id, int64_t now, int *revoked);

	/* chats; viewer fills chat.my_role ("" when not a member) */
	int (*chat_insert)(void *s, struct chat *c, const char *single_key); /* fills id */
	int (*chat_find_single)(void *s, int64_t workspace_id, const char *single_key, int64_t *chat_id);
	int (*chat_get)(void *s, int64_t id, int64_t viewer, struct chat *c);
	int (*chats_of_user)(void *s, int64_t user_id, struct chat **out, size_t *n); /* recent first */
	int (*chats_public)(void *s, int64_t workspace_id, int64_t user_id, struct chat **out, size_t *n);
	int (*chat_update)(void *s, const struct chat *c); /* name, description, updated_at */
	int (*chat_delete)(void *s, int64_t id);
	int (*chat_touch)(void *s, int64_t id, int64_t message_id, int64_t at);

	int (*member_add)(void *s, int64_t chat_id, int64_t user_id, const char *role, int64_t now); /* FE_ECONFLICT if in */
	int (*member_remove)(void *s, int64_t chat_id, int64_t user_id);
	int (*member_get)(void *s, int64_t chat_id, int64_t user_id, struct chat_member *m);
	int (*member_set_role)(void *s, int64_t chat_id, int64_t user_id, const char *role);
	int (*members_list)(void *s, int64_t chat_id, struct chat_member **out, size_t *n);
	int (*member_ids)(void *s, int64_t chat_id, int64_t **out, size_t *n);
	int (*owner_count)(void *s, int64_t chat_id, int64_t *n);

	/* messages; viewer fills reactions[].me */
	int (*message_insert)(void *s, struct message *m); /* content, reply_to, key, mentions_all; fills id */
	int (*message_by_key)(void *s, int64_t sender_id, const char *key, int64_t *id);
	int (*message_get)(void *s, int64_t id, int64_t viewer, struct message *m);
	/* Newest first. before 0 = unbounded; after < 0 = none, else the oldest above it. */
	int (*messages_page)(void *s, int64_t chat_id, int64_t before, int64_t after, int limit, int64_t viewer,
			     struct message **out, size_t *n);
	int (*replies_page)(void *s, int64_t root_id, int64_t after, int limit, int64_t viewer, struct message **out,
			    size_t *n); /* oldest first */
	int (*message_edit)(void *s, int64_t id, const char *content, int64_t at);
	int (*message_delete)(void *s, int64_t id, int64_t at); /* tombstone */
	int (*reply_count_add)(void *s, int64_t root_id, int delta);
	int (*mentions_insert)(void *s, int64_t message_id, int64_t chat_id, const int64_t *users, size_t n);
	int (*message_files_insert)(void *s, int64_t message_id, const int64_t *file_ids, size_t n);
	int (*reaction_add)(void *s, int64_t message_id, int64_t user_id, const char *emoji, int64_t now);
	int (*reaction_remove)(void *s, int64_t message_id, int64_t user_id, const char *emoji);
	int (*reactions_of)(void *s, int64_t message_id, int64_t viewer, struct reaction_sum **out, size_t *n);

	/* read markers and unread counts */
	int (*read_get)(void *s, int64_t chat_id, int64_t user_id, int64_t *message_id);
	int (*read_set)(void *s, int64_t chat_id, int64_t user_id, int64_t message_id, int64_t now);
	int (*unread_counts)(void *s, int64_t user_id, struct unread **out, size_t *n);
	int (*max_message_id)(void *s, int64_t chat_id, int64_t *id);

	/* files */
	int (*file_insert)(void *s, struct file_rec *f); /* an existing (sha256, uploader) row is returned instead */
	int (*file_get)(void *s, int64_t id, struct file_rec *f);
	/* The file rows holding that content (one per uploader), by id. */
	int (*files_by_sha)(void *s, const char *sha256, struct file_rec **out, size_t *n);
	/* The one content whose SHA-256 (64 hex) ends with suffix (58 hex: the
	 * hash without its first 6 characters, the original's on-disk name)
	 * and is stored with extension ext: sha256 filled. FE_ENOTFOUND when
	 * none, or when two contents match (ambiguous). */
	int (*file_sha_by_suffix)(void *s, const char *suffix, const char *ext, char sha256[65]);
	/* The narrow questions core/file's read rule is built on: each 0 when
	 * true, FE_ENOTFOUND when not. Is file_id referenced by a live (not
	 * deleted) message of a chat user_id is a member of? */
	int (*file_in_chats_of)(void *s, int64_t file_id, int64_t user_id);
	/* Is file_id the current picture of a user of user_id's workspace? */
	int (*file_avatar_in_workspace_of)(void *s, int64_t file_id, int64_t user_id);
};

struct store {
	const struct store_ops *ops;
	void *impl;
};

#endif
