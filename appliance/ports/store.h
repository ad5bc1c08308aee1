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

	int (*user_insert)(void *s, struct user *u); /* fills id */
	int (*user_get)(void *s, int64_t id, struct user *u);
	int (*user_by_email)(void *s, const char *email, struct user *u);
	int (*users_list)(void *s, int64_t workspace_id, struct user **out, size_t *n);
	int (*user_update_profile)(void *s, const struct user *u); /* fullname..language */
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
};

struct store {
	const struct store_ops *ops;
	void *impl;
};

#endif
