/* http/send_decode: a message send, from JSON into struct send_in. */
#include <string.h>
#include "http/jsonio.h"
#include "http/send_decode.h"

#define ID_MAX (INT64_MAX / 2)
#define JSON_INT_MAX 9007199254740991.0 /* 2^53 - 1: larger ids are not exact in JSON */

/* Reads files: ids or url strings, at most MESSAGE_MAX_FILES. */
static int files_of(cJSON *arr, struct send_in *in, struct fe_err *e)
{
	if (!cJSON_IsArray(arr))
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files", "files must be an array");
	cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if (in->nfiles == MESSAGE_MAX_FILES)
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files", "at most %d files",
			               MESSAGE_MAX_FILES);
		double d = cJSON_IsNumber(it) ? it->valuedouble : 0;
		if (cJSON_IsString(it)) {
			in->files[in->nfiles] = 0;
			in->file_urls[in->nfiles++] = it->valuestring;
		} else if (cJSON_IsNumber(it) && d >= 1 && d <= JSON_INT_MAX && d == (double)(int64_t)d) {
			in->files[in->nfiles] = (int64_t)d;
			in->file_urls[in->nfiles++] = NULL;
		} else {
			return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files",
			               "files must hold file ids or urls");
		}
	}
	return 0;
}

int send_decode(cJSON *j, int64_t *chat_id, struct send_in *in, struct fe_err *e)
{
	cJSON *files = cJSON_GetObjectItemCaseSensitive(j, "files");
	int rc;
	memset(in, 0, sizeof *in);
	if ((rc = jstr(j, "idempotency_key", 0, &in->idempotency_key, e)) ||
	    (chat_id && (rc = jint(j, "chat_id", 1, 1, ID_MAX, chat_id, e))) ||
	    (rc = jstr(j, "content", 0, &in->content, e)) ||
	    (rc = jint(j, "reply_to", 0, 1, ID_MAX, &in->reply_to, e)))
		return rc;
	if (files && !cJSON_IsNull(files) && (rc = files_of(files, in, e)))
		return rc;
	if (!in->content)
		in->content = "";
	return 0;
}
