/* adapters/slack_export: ports/slack_source over a Slack export on disk,
 * either the .zip Slack hands out (read with minizip, from Debian's
 * libminizip) or the folder it unpacks to. A zip whose files all sit in one
 * top folder ("export/users.json") is read from that folder. */
#ifndef FE_SLACK_EXPORT_H
#define FE_SLACK_EXPORT_H
#include <stddef.h>
#include "ports/slack_source.h"

/* Opens the export at path (a folder, or a zip file) into *src. Returns 0;
 * SLACK_EINPUT when path is neither a folder nor a readable zip, or holds
 * no users.json (err says which); FE_EUNAVAIL when it cannot be read. The
 * files themselves are parsed only when read. Close with
 * src->ops->close(src->impl). */
int slack_export_open(const char *path, struct slack_source *src, char *err, size_t errlen);

#endif
