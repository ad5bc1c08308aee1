/* adapters/pg_chat: the conversation half of the PostgreSQL store: the
 * functions behind the chat, member, message, reaction, read-marker and
 * file entries of struct store_ops (see ports/store.h for contracts). */
#ifndef FE_PG_CHAT_H
#define FE_PG_CHAT_H
#include "adapters/pg_internal.h"

int pgc_chat_insert(void *p, struct chat *c, const char *single_key);
int pgc_chat_find_single(void *p, int64_t ws, const char *key, int64_t *id);
int pgc_chat_get(void *p, int64_t id, int64_t viewer, struct chat *c);
int pgc_chats_of_user(void *p, int64_t user, struct chat **out, size_t *n);
int pgc_chat_ids_of_user(void *p, int64_t user, int64_t **out, size_t *n);
int pgc_chats_public(void *p, int64_t ws, int64_t user, struct chat **out, size_t *n);
int pgc_chat_update(void *p, const struct chat *c);
int pgc_chat_delete(void *p, int64_t id);
int pgc_chat_touch(void *p, int64_t id, int64_t mid, int64_t at);
int pgc_member_add(void *p, int64_t chat, int64_t user, const char *role, int64_t now);
int pgc_member_remove(void *p, int64_t chat, int64_t user);
int pgc_member_get(void *p, int64_t chat, int64_t user, struct chat_member *m);
int pgc_chat_sender(void *p, int64_t chat, int64_t user, struct user *u, int *member);
int pgc_member_set_role(void *p, int64_t chat, int64_t user, const char *role);
int pgc_members_list(void *p, int64_t chat, struct chat_member **out, size_t *n);
int pgc_member_ids(void *p, int64_t chat, int64_t **out, size_t *n);
int pgc_owner_count(void *p, int64_t chat, int64_t *n);
int pgc_reactions_of(void *p, int64_t mid, int64_t viewer, struct reaction_sum **out, size_t *n);
int pgc_message_insert(void *p, struct message *m);
int pgc_message_by_key(void *p, int64_t sender, const char *key, int64_t *id);
int pgc_message_get(void *p, int64_t id, int64_t viewer, struct message *m);
int pgc_messages_page(void *p, int64_t chat, int64_t before, int64_t after, int limit, int64_t viewer,
                      struct message **out, size_t *n);
int pgc_replies_page(void *p, int64_t root, int64_t after, int limit, int64_t viewer, struct message **out,
                     size_t *n);
int pgc_message_edit(void *p, int64_t id, const char *content, int64_t at);
int pgc_message_delete(void *p, int64_t id, int64_t at);
int pgc_reply_count_add(void *p, int64_t root, int delta);
int pgc_mentions_insert(void *p, int64_t mid, int64_t chat, const int64_t *users, size_t n);
int pgc_message_files_insert(void *p, int64_t mid, const int64_t *ids, size_t n);
int pgc_reaction_add(void *p, int64_t mid, int64_t user, const char *emoji, int64_t now);
int pgc_reaction_remove(void *p, int64_t mid, int64_t user, const char *emoji);
int pgc_read_get(void *p, int64_t chat, int64_t user, int64_t *mid);
int pgc_read_set(void *p, int64_t chat, int64_t user, int64_t mid, int64_t now);
int pgc_unread_counts(void *p, int64_t user, struct unread **out, size_t *n);
int pgc_max_message_id(void *p, int64_t chat, int64_t *id);
int pgc_file_insert(void *p, struct file_rec *f);
int pgc_file_get(void *p, int64_t id, struct file_rec *f);
int pgc_files_by_sha(void *p, const char *sha, struct file_rec **out, size_t *n);
int pgc_file_sha_by_suffix(void *p, const char *suffix, const char *ext, char sha[65]);
int pgc_file_in_chats_of(void *p, int64_t file, int64_t user);
int pgc_file_avatar_in_workspace_of(void *p, int64_t file, int64_t user);

#endif
