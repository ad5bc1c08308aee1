/* ports/store: persistence, as a table of functions so that another backend
 * (PostgreSQL) can replace the SQLite adapter without touching core/.
 *
 * Errors. Every function returns 0 or a negative FE_E* code. Besides the
 * results each entry names, any of them may return: FE_ENOSPC when the disk
 * is full, FE_EUNAVAIL when the database cannot be written or is busy,
 * FE_ECORRUPT when the database file is damaged (the store then stays
 * marked damaged), FE_ECONFLICT on a uniqueness violation, FE_EINVAL on any
 * other broken constraint (a reference to a missing row), FE_EINTERNAL
 * otherwise. "FE_ENOTFOUND when none" means no row matched; an entry that
 * does not say so returns 0 whether or not a row changed.
 *
 * Ownership: lists are arrays allocated with malloc (caller frees; n may be
 * 0 with a NULL array); struct message results own their strings and arrays
 * (message_clear, messages_free); strings passed in are borrowed for the
 * call. Threads: a store (one connection) is used by one thread at a time.
 * The server opens two on the same database: the loop's (app->store: every
 * read, and the writes done on the loop) and the writer thread's (core/
 * writer: the group-committed sends, applied and committed off the loop).
 * Writes of the two are serialised by the database (BEGIN IMMEDIATE, with
 * a busy wait); WAL lets the loop read beside a commit and see a write once
 * it is committed. Only core/ calls a store (core/auth alone for
 * credentials). */
#ifndef FE_STORE_H
#define FE_STORE_H
#include <stddef.h>
#include "ports/model.h"

struct store_ops {
	/* Transactions nest (outermost is the real transaction; inner ones are
	 * savepoints). rollback after a failed statement is safe even when the
	 * database already rolled back by itself (a full disk). */
	int (*begin)(void *s);
	int (*commit)(void *s);
	void (*rollback)(void *s);
	/* Makes every transaction this store committed so far durable, when
	 * it was opened with its commits left to the caller (the writer
	 * thread's connection with the sync pipeline); else 0 at once. May run
	 * on another thread than the store's, beside its next transaction.
	 * FE_ENOSPC / FE_EUNAVAIL when the log cannot be synced. */
	int (*sync)(void *s);
	/* Maintenance left out of the commits: checkpoints the write-ahead log
	 * into the database when a commit left it long (a store whose
	 * checkpoints are left to its caller; the writer thread calls it after
	 * handing a batch over, so that no answer waits for a checkpoint); else
	 * 0 at once. May be NULL (nothing to do). FE_EUNAVAIL / FE_ENOSPC /
	 * FE_ECORRUPT when the checkpoint failed (the log then stays, and the
	 * next call tries again). */
	int (*checkpoint)(void *s);
	/* Health: 0 when the database answers; FE_ECORRUPT once damage was
	 * seen, FE_EUNAVAIL when it does not answer. */
	int (*ping)(void *s);
	/* The database and WAL file sizes in bytes (0 when absent); always 0. */
	int (*sizes)(void *s, int64_t *db_bytes, int64_t *wal_bytes);

	/* *n = the number of workspaces (0 on a fresh appliance). */
	int (*workspace_count)(void *s, int64_t *n);
	/* Fills id. FE_ECONFLICT when another workspace has the same name,
	 * compared case-folded (lib/utf8: utf8_fold). */
	int (*workspace_insert)(void *s, struct workspace *w);
	/* With member_count (its users). FE_ENOTFOUND when none. */
	int (*workspace_get)(void *s, int64_t id, struct workspace *w);
	/* Records owner_id as the workspace's owner (sign-up, after the
	 * owner's user row exists). */
	int (*workspace_set_owner)(void *s, int64_t id, int64_t owner_id);
	/* FE_ENOTFOUND when none; FE_ECONFLICT as workspace_insert. */
	int (*workspace_rename)(void *s, int64_t id, const char *name);

	/* Inserts u with its password hash (stored, never read back into a
	 * struct user), status Active; fills id, status, updated_at.
	 * FE_ECONFLICT when the email is taken (case-insensitive). */
	int (*user_insert)(void *s, struct user *u, const char *password_hash);
	/* FE_ENOTFOUND when none (user_by_email: email case-insensitive). */
	int (*user_get)(void *s, int64_t id, struct user *u);
	int (*user_by_email)(void *s, const char *email, struct user *u);
	/* The workspace's users, by id. */
	int (*users_list)(void *s, int64_t workspace_id, struct user **out, size_t *n);
	/* The credentials of the account with that email (case-insensitive) or
	 * id, for core/auth only. FE_ENOTFOUND when none. */
	int (*credentials_by_email)(void *s, const char *email, struct credentials *c);
	int (*credentials_by_id)(void *s, int64_t id, struct credentials *c);
	/* Writes fullname, title, department, avatar_url, avatar_file_id (0:
	 * none), bio, timezone, language and updated_at of u->id. FE_ENOTFOUND
	 * when none. */
	int (*user_update_profile)(void *s, const struct user *u);
	/* FE_ENOTFOUND when none. */
	int (*user_set_role_status)(void *s, int64_t id, const char *role, const char *status);
	/* Replaces the password hash (an encoded argon2id string). */
	int (*user_set_password)(void *s, int64_t id, const char *hash);
	/* Adds 1 to the user's token version: every token issued before is
	 * void (core/auth compares it). */
	int (*user_bump_token_version)(void *s, int64_t id);

	/* The invite with 0 uses. FE_ECONFLICT when the code exists. */
	int (*invite_insert)(void *s, const struct invite *i);
	/* FE_ENOTFOUND when none (revoked and used-up invites are found). */
	int (*invite_get)(void *s, const char *code, struct invite *i);
	/* The workspace's usable invites at now (not revoked, not expired, uses
	 * left), newest first, at most 1000. */
	int (*invites_active)(void *s, int64_t workspace_id, int64_t now, struct invite **out, size_t *n);
	/* Revokes the live invite code of workspace_id; FE_ENOTFOUND when there
	 * is none (unknown, another workspace's, or already revoked). */
	int (*invite_revoke)(void *s, int64_t workspace_id, const char *code, int64_t now);
	/* Counts one use if the invite is usable at now; FE_ENOTFOUND otherwise. */
	int (*invite_use)(void *s, const char *code, int64_t now);

	/* Fills id. FE_ECONFLICT when the hash exists. */
	int (*refresh_insert)(void *s, struct refresh_token *t, const char *token_hash);
	/* FE_ENOTFOUND when none (rotated and revoked tokens are found). */
	int (*refresh_get)(void *s, const char *token_hash, struct refresh_token *t);
	/* Marks a token rotated; FE_ECONFLICT if it already was (a race). */
	int (*refresh_rotate)(void *s, int64_t id, int64_t now);
	/* Revokes user_id's token with that hash; FE_ENOTFOUND when user_id has
	 * no such unrevoked token. */
	int (*refresh_revoke)(void *s, int64_t user_id, const char *token_hash, int64_t now);
	/* Revokes every unrevoked token of the family. */
	int (*refresh_revoke_family)(void *s, const char *family, int64_t now);
	/* Revokes every live token of the user, that is neither revoked nor
	 * rotated (a rotated one is spent already: presenting it again revokes
	 * its family); *revoked gets how many. */
	int (*refresh_revoke_user)(void *s, int64_t user_id, int64_t now, int *revoked);

	/* single-use password-set links (core/auth) */
	/* Stores a link of user_id by the SHA-256 hex of its token; fills id.
	 * FE_ECONFLICT when the hash exists. */
	int (*password_token_insert)(void *s, struct password_token *t, const char *token_hash);
	/* FE_ENOTFOUND when none (used and expired links are found). */
	int (*password_token_get)(void *s, const char *token_hash, struct password_token *t);
	/* Marks the link used at now; FE_ECONFLICT when it already was (a
	 * race: the other use wins). */
	int (*password_token_use)(void *s, int64_t id, int64_t now);

	/* imports (core/slack_import): what an outside record (kind, key: e.g.
	 * "slack.user", "U024BE7LH") became here, so a re-run adds nothing
	 * twice. import_map_get: FE_ENOTFOUND when none. import_map_put:
	 * FE_ECONFLICT when the key is mapped already. */
	int (*import_map_get)(void *s, const char *kind, const char *key, int64_t *id);
	int (*import_map_put)(void *s, const char *kind, const char *key, int64_t id);

	/* chats; viewer fills chat.my_role ("" when not a member) and every
	 * chat carries member_count */
	/* Fills id; single_key (NULL for channels) names a Single chat's pair.
	 * FE_ECONFLICT when a channel of the workspace has the same name
	 * (case-folded) or the single_key exists. */
	int (*chat_insert)(void *s, struct chat *c, const char *single_key);
	/* FE_ENOTFOUND when none. */
	int (*chat_find_single)(void *s, int64_t workspace_id, const char *single_key, int64_t *chat_id);
	/* FE_ENOTFOUND when none. */
	int (*chat_get)(void *s, int64_t id, int64_t viewer, struct chat *c);
	/* The chats user_id is a member of, most recent activity first. */
	int (*chats_of_user)(void *s, int64_t user_id, struct chat **out, size_t *n);
	/* The ids alone of the chats user_id is a member of, ascending (for
	 * questions that need no chat row: search scope, cache invalidation). */
	int (*chat_ids_of_user)(void *s, int64_t user_id, int64_t **out, size_t *n);
	/* The workspace's public channels user_id is not a member of, by name. */
	int (*chats_public)(void *s, int64_t workspace_id, int64_t user_id, struct chat **out, size_t *n);
	/* Writes name, description, updated_at. FE_ENOTFOUND when none;
	 * FE_ECONFLICT as chat_insert. */
	int (*chat_update)(void *s, const struct chat *c);
	/* Deletes the chat with its messages (their search entries, mentions,
	 * reactions and file references), members and read markers.
	 * FE_ENOTFOUND when none. */
	int (*chat_delete)(void *s, int64_t id);
	/* Records activity: last_activity_at = at, last_message_id raised to
	 * message_id (never lowered). */
	int (*chat_touch)(void *s, int64_t id, int64_t message_id, int64_t at);

	/* FE_ECONFLICT if already a member. */
	int (*member_add)(void *s, int64_t chat_id, int64_t user_id, const char *role, int64_t now);
	/* Removes the member and their read marker of the chat. FE_ENOTFOUND
	 * when not a member. */
	int (*member_remove)(void *s, int64_t chat_id, int64_t user_id);
	/* FE_ENOTFOUND when not a member. */
	int (*member_get)(void *s, int64_t chat_id, int64_t user_id, struct chat_member *m);
	/* The sender of a message to chat_id, for the write path: u gets id,
	 * workspace_id, fullname, status, token_version and avatar_url of
	 * user_id (the other fields zeroed), *member 1 when user_id is a member
	 * of chat_id, else 0. One statement. FE_ENOTFOUND when no such user. */
	int (*chat_sender)(void *s, int64_t chat_id, int64_t user_id, struct user *u, int *member);
	/* FE_ENOTFOUND when not a member. */
	int (*member_set_role)(void *s, int64_t chat_id, int64_t user_id, const char *role);
	/* By joined_at, then user id. */
	int (*members_list)(void *s, int64_t chat_id, struct chat_member **out, size_t *n);
	/* Ascending. */
	int (*member_ids)(void *s, int64_t chat_id, int64_t **out, size_t *n);
	/* *n = the number of members of the chat with role owner. */
	int (*owner_count)(void *s, int64_t chat_id, int64_t *n);

	/* messages; viewer fills reactions[].me; a tombstone (deleted) has
	 * empty content and no reactions, files or mentions */
	/* Inserts content, reply_to (0: none), idempotency_key ("" : none),
	 * mentions_all, created_at, with the sender's name of now, and indexes
	 * it for search (from these values: the row is not read back); fills id
	 * and sender_name (the name stored). FE_ECONFLICT when the sender
	 * already used the key; nothing is written then (the rest of the
	 * transaction stands). */
	int (*message_insert)(void *s, struct message *m);
	/* FE_ENOTFOUND when none. */
	int (*message_by_key)(void *s, int64_t sender_id, const char *key, int64_t *id);
	/* Tombstones too. FE_ENOTFOUND when none. */
	int (*message_get)(void *s, int64_t id, int64_t viewer, struct message *m);
	/* Newest first, tombstones included. before 0 = unbounded; after < 0 =
	 * none, else the oldest above it. */
	int (*messages_page)(void *s, int64_t chat_id, int64_t before, int64_t after, int limit,
	                     int64_t viewer, struct message **out, size_t *n);
	/* The thread under root_id after the id after, oldest first. */
	int (*replies_page)(void *s, int64_t root_id, int64_t after, int limit, int64_t viewer,
	                    struct message **out, size_t *n);
	/* Replaces the content of a live message (and its search entry).
	 * FE_ENOTFOUND when none or deleted. */
	int (*message_edit)(void *s, int64_t id, const char *content, int64_t at);
	/* Makes a live message a tombstone: content and sender name emptied,
	 * its search entry, reactions, mentions and file references dropped.
	 * FE_ENOTFOUND when none or already deleted. */
	int (*message_delete)(void *s, int64_t id, int64_t at);
	/* Adds delta to the root's reply count, never below 0. */
	int (*reply_count_add)(void *s, int64_t root_id, int delta);
	/* Duplicates are ignored. */
	int (*mentions_insert)(void *s, int64_t message_id, int64_t chat_id, const int64_t *users, size_t n);
	/* Duplicates are ignored. */
	int (*message_files_insert)(void *s, int64_t message_id, const int64_t *file_ids, size_t n);
	/* FE_ECONFLICT when user_id already reacted with emoji. */
	int (*reaction_add)(void *s, int64_t message_id, int64_t user_id, const char *emoji, int64_t now);
	/* FE_ENOTFOUND when there was no such reaction. */
	int (*reaction_remove)(void *s, int64_t message_id, int64_t user_id, const char *emoji);
	/* The message's reactions by emoji, in order of first use. */
	int (*reactions_of)(void *s, int64_t message_id, int64_t viewer, struct reaction_sum **out,
	                    size_t *n);

	/* read markers and unread counts */
	/* *message_id 0 when the user has no marker in the chat. */
	int (*read_get)(void *s, int64_t chat_id, int64_t user_id, int64_t *message_id);
	/* Moves the marker forward only (a lower message_id keeps it). */
	int (*read_set)(void *s, int64_t chat_id, int64_t user_id, int64_t message_id, int64_t now);
	/* One entry per chat of user_id, by chat id: live messages of others
	 * above the marker, and those mentioning the user (or everyone). */
	int (*unread_counts)(void *s, int64_t user_id, struct unread **out, size_t *n);
	/* *id 0 when the chat has no message. */
	int (*max_message_id)(void *s, int64_t chat_id, int64_t *id);

	/* files */
	/* Fills f (id and all) from the stored row; an existing (sha256,
	 * uploader) row is returned instead of a second one. */
	int (*file_insert)(void *s, struct file_rec *f);
	/* FE_ENOTFOUND when none. */
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

/* The one way to call the store: store_call(st, user_get, id, &u) is
 * st->ops->user_get(st->impl, id, &u), for st a struct store *. */
#define store_call(st, fn, ...) ((st)->ops->fn((st)->impl, ##__VA_ARGS__))

#endif
