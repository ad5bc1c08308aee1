/* core/transfer: the use cases behind `fechatter export` and `fechatter
 * import`. Export walks a source into a codec; import reads a codec into a
 * sink, checking the order of the records, and gives every imported
 * account a new random password (the file holds no password hashes),
 * written as "email<TAB>password" lines to a passwords file for the owner
 * to hand out. Both stream: one record at a time. Progress goes to stderr
 * (lib/progress), counted in messages. */
#ifndef FE_CORE_TRANSFER_H
#define FE_CORE_TRANSFER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ports/transfer.h"

struct transfer_stats {
	int64_t records, users, chats, messages;
};

/* Both are called by main.c's export and import commands only, on the
 * command's one thread (import holds the data folder's lock, so no server
 * runs on it; export only reads). src, out, in, sink are borrowed; err (errlen
 * bytes) gets a one-line reason on an error; *stats (the caller's) is
 * zeroed first, then counts what was written or read. */

/* Writes every record of src through out. Returns 0, or -1 with the reason
 * in err (the source failed, or writing failed: "write error"). */
int transfer_export(struct tr_source *src, struct tr_codec *out, struct transfer_stats *stats, char *err,
                    size_t errlen);

/* Reads in to its end into sink and commits. passwords (borrowed) gets one
 * line per imported user. Returns 0; TR_EINPUT when the file is wrong (err
 * names the line: order, content, references); TR_ESTORE when the store
 * failed. On any error nothing was committed. */
int transfer_import(struct tr_codec *in, struct tr_sink *sink, FILE *passwords, struct transfer_stats *stats,
                    char *err, size_t errlen);

#endif
