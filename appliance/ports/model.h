/* ports/model: the domain records that cross the ports (plain structs with
 * fixed-size text fields; sizes allow the documented character limits in
 * UTF-8). Times are milliseconds since the epoch. */
#ifndef FE_MODEL_H
#define FE_MODEL_H
#include <stdint.h>

struct user {
	int64_t id, workspace_id;
	char email[256];
	char fullname[204];      /* 1..50 characters */
	char password_hash[128];
	char role[8];            /* owner|admin|member */
	char status[12];         /* Active|Suspended */
	int64_t token_version;
	char title[404], department[404]; /* 0..100 characters */
	char avatar_url[504];
	char bio[4004];          /* 0..1000 characters */
	char timezone[68];
	char language[20];
	int64_t created_at, updated_at;
};

struct workspace {
	int64_t id, owner_id, member_count, created_at;
	char name[204];
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

#endif
