/* ports/transfer: the record kinds' names. */
#include "ports/transfer.h"

const char *tr_kind_name(enum tr_kind k)
{
	static const char *names[TR_NKINDS] = {"header", "workspace", "user",     "file", "avatar", "chat",
	                                       "member", "message",   "reaction", "read", "end"};
	return k >= 0 && k < TR_NKINDS ? names[k] : "?";
}
