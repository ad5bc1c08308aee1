/* adapters/sqlite_chat: the conversation half of the SQLite store: the
 * functions behind the chat, member, message, reaction, read-marker and
 * file entries of struct store_ops (see ports/store.h for contracts). */
#ifndef FE_SQLITE_CHAT_H
#define FE_SQLITE_CHAT_H
#include "adapters/sqlite_internal.h"

int sqc_chat_insert(void *p, struct chat *c, const char *single_key);
int sqc_chat_find_single(void *p, int64_t ws, const char *key, int64_t *id);
int sqc_chat_get(void *p, int64_t id, int64_t viewer, struct chat *c);
int sqc_chats_of_user(void *p, int64_t user, struct chat **out, size_t *n);
int sqc_chat_ids_of_user(void *p, int64_t user, int64_t **out, size_t *n);
int sqc_chats_public(void *p, int64_t ws, int64_t user, struct chat **out, size_t *n);
int sqc_chat_update(void *p, const struct chat *c);
int sqc_chat_delete(void *p, int64_t id);
int sqc_chat_touch(void *p, int64_t id, int64_t mid, int64_t at);
int sqc_member_add(void *p, int64_t chat, int64_t user, const char *role, int64_t now);
int sqc_member_remove(void *p, int64_t chat, int64_t user);
int sqc_member_get(void *p, int64_t chat, int64_t user, struct chat_member *m);
int sqc_chat_sender(void *p, int64_t chat, int64_t user, struct user *u, int *member);
int sqc_member_set_role(void *p, int64_t chat, int64_t user, const char *role);
int sqc_members_list(void *p, int64_t chat, struct chat_member **out, size_t *n);
int sqc_member_ids(void *p, int64_t chat, int64_t **out, size_t *n);
int sqc_owner_count(void *p, int64_t chat, int64_t *n);
int sqc_reactions_of(void *p, int64_t mid, int64_t viewer, struct reaction_sum **out, size_t *n);
int sqc_message_insert(void *p, struct message *m);
int sqc_message_by_key(void *p, int64_t sender, const char *key, int64_t *id);
int sqc_message_get(void *p, int64_t id, int64_t viewer, struct message *m);
int sqc_messages_page(void *p, int64_t chat, int64_t before, int64_t after, int limit, int64_t viewer,
                      struct message **out, size_t *n);
int sqc_replies_page(void *p, int64_t root, int64_t after, int limit, int64_t viewer, struct message **out,
                     size_t *n);
int sqc_message_edit(void *p, int64_t id, const char *content, int64_t at);
int sqc_message_delete(void *p, int64_t id, int64_t at);
int sqc_reply_count_add(void *p, int64_t root, int delta);
int sqc_mentions_insert(void *p, int64_t mid, int64_t chat, const int64_t *users, size_t n);
int sqc_message_files_insert(void *p, int64_t mid, const int64_t *ids, size_t n);
int sqc_reaction_add(void *p, int64_t mid, int64_t user, const char *emoji, int64_t now);
int sqc_reaction_remove(void *p, int64_t mid, int64_t user, const char *emoji);
int sqc_read_get(void *p, int64_t chat, int64_t user, int64_t *mid);
int sqc_read_set(void *p, int64_t chat, int64_t user, int64_t mid, int64_t now);
int sqc_unread_counts(void *p, int64_t user, struct unread **out, size_t *n);
int sqc_max_message_id(void *p, int64_t chat, int64_t *id);
int sqc_file_insert(void *p, struct file_rec *f);
int sqc_file_get(void *p, int64_t id, struct file_rec *f);
int sqc_files_by_sha(void *p, const char *sha, struct file_rec **out, size_t *n);
int sqc_file_sha_by_suffix(void *p, const char *suffix, const char *ext, char sha[65]);
int sqc_file_in_chats_of(void *p, int64_t file, int64_t user);
int sqc_file_avatar_in_workspace_of(void *p, int64_t file, int64_t user);

#endif
