/* tests/unit/test_sniff: lib/sniff decides a file's type from its first
 * bytes: every magic number of the table, plain text, and the edges of the
 * text rule (NUL, invalid UTF-8, a multi-byte character cut by the head). */
#include <string.h>
#include "testutil.h"
#include "lib/sniff.h"

static struct sniffed sn(const void *head, size_t len, int complete)
{
	return sniff((const unsigned char *)head, len, complete);
}

static void expect(const void *head, size_t len, int complete, const char *mime, const char *ext,
                   int inline_ok)
{
	struct sniffed s = sn(head, len, complete);
	assert_non_null(s.mime);
	assert_string_equal(s.mime, mime);
	assert_string_equal(s.ext, ext);
	assert_int_equal(s.inline_ok, inline_ok);
}

static void test_images(void **state)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
	                                    0,    0,   0,   13,  'I',  'H',  'D',  'R'};
	static const unsigned char jpg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
	expect(png, sizeof png, 1, "image/png", "png", 1);
	expect(jpg, sizeof jpg, 1, "image/jpeg", "jpg", 1);
	expect("GIF87a\x01\x00\x01\x00", 10, 1, "image/gif", "gif", 1);
	expect("GIF89a\x01\x00\x01\x00", 10, 1, "image/gif", "gif", 1);
	expect("RIFF\x24\x00\x00\x00WEBPVP8 ", 16, 1, "image/webp", "webp", 1);
	/* a PNG signature cut short is not a PNG */
	struct sniffed s = sn(png, 7, 0);
	assert_string_not_equal(s.mime, "image/png");
}

static void test_documents_archives(void **state)
{
	expect("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15, 1, "application/pdf", "pdf", 0);
	expect("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10, 1, "application/zip", "zip", 0);
	expect("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, 1, "application/gzip", "gz", 0);
}

static void test_media(void **state)
{
	expect("\x00\x00\x00\x20"
	       "ftypisom\x00\x00\x02\x00",
	       16, 1, "video/mp4", "mp4", 0);
	expect("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", 9, 1, "video/webm", "webm", 0);
	expect("ID3\x04\x00\x00\x00\x00\x00\x00", 10, 1, "audio/mpeg", "mp3", 0);
	expect("\xff\xfb\x90\x64\x00\x00", 6, 1, "audio/mpeg", "mp3", 0); /* frame sync */
	expect("OggS\x00\x02\x00\x00\x00\x00", 10, 1, "audio/ogg", "ogg", 0);
	expect("RIFF\x24\x08\x00\x00WAVEfmt ", 16, 1, "audio/wav", "wav", 0);
	/* RIFF of another kind is neither WebP nor WAV */
	struct sniffed s = sn("RIFF\x24\x08\x00\x00"
	                      "AVI LIST",
	                      16, 1);
	assert_string_not_equal(s.mime, "image/webp");
	assert_string_not_equal(s.mime, "audio/wav");
}

static void test_text(void **state)
{
	const char *t = "hello, world\nsecond line\ttab\n";
	expect(t, strlen(t), 1, "text/plain; charset=utf-8", "txt", 0);
	const char *u = "Grüße, Émile — 日本語 🎉\n";
	expect(u, strlen(u), 1, "text/plain; charset=utf-8", "txt", 0);
	/* an empty complete file is (empty) text */
	expect("", 0, 1, "text/plain; charset=utf-8", "txt", 0);
	/* the client's claim does not matter: a "png" that is text is text */
	expect("not really a png", 16, 1, "text/plain; charset=utf-8", "txt", 0);
}

static void test_binary(void **state)
{
	expect("abc\0def", 7, 1, "application/octet-stream", "bin", 0);
	expect("\0", 1, 1, "application/octet-stream", "bin", 0);
	/* invalid UTF-8 in the middle: a lone continuation byte, an overlong, a surrogate */
	expect("abc\x80xyz", 7, 1, "application/octet-stream", "bin", 0);
	expect("abc\xc0\xafxyz", 8, 0, "application/octet-stream", "bin", 0);
	expect("abc\xed\xa0\x80xyz", 9, 1, "application/octet-stream", "bin", 0);
	expect("\xfe\xfe\xfe\xfe plain after", 16, 0, "application/octet-stream", "bin", 0);
}

static void test_truncated_utf8(void **state)
{
	/* an incomplete head cut inside a multi-byte character is still text */
	char head[600];
	memset(head, 'a', sizeof head);
	memcpy(head + 510, "\xe6\x97\xa5", 3); /* U+65E5: the head holds 2 of its 3 bytes */
	expect(head, 512, 0, "text/plain; charset=utf-8", "txt", 0);
	/* cut after 1 and 2 bytes of a 3-byte character */
	expect("text \xe6\x97", 7, 0, "text/plain; charset=utf-8", "txt", 0);
	expect("text \xe6", 6, 0, "text/plain; charset=utf-8", "txt", 0);
	/* cut after 3 bytes of a 4-byte character */
	expect("emoji \xf0\x9f\x8e", 9, 0, "text/plain; charset=utf-8", "txt", 0);
	/* the same bytes as a complete file are not valid UTF-8 */
	expect("text \xe6\x97", 7, 1, "application/octet-stream", "bin", 0);
	/* a longer file whose 512-byte window cuts a character is text */
	memset(head, 'b', sizeof head);
	memcpy(head + 510, "\xe6\x97\xa5", 3); /* bytes 510..512: the window holds 2 of 3 */
	expect(head, sizeof head, 1, "text/plain; charset=utf-8", "txt", 0);
	/* invalid bytes before the cut are not forgiven */
	expect("bad \xff text \xe6\x97", 13, 0, "application/octet-stream", "bin", 0);
}

static void test_invalid_tail_not_forgiven(void **state)
{
	/* only a cut multi-byte sequence is forgiven at the end of an incomplete
	 * head: a byte that can never start or continue UTF-8 is binary */
	expect("plain text \xff", 12, 0, "application/octet-stream", "bin", 0);
	expect("plain text \xc0", 12, 0, "application/octet-stream", "bin", 0);
}

static void test_by_ext(void **state)
{
	const struct sniffed *s = sniff_by_ext("png");
	assert_non_null(s);
	assert_string_equal(s->mime, "image/png");
	assert_int_equal(s->inline_ok, 1);
	s = sniff_by_ext("pdf");
	assert_non_null(s);
	assert_string_equal(s->mime, "application/pdf");
	assert_int_equal(s->inline_ok, 0);
	s = sniff_by_ext("txt");
	assert_non_null(s);
	assert_string_equal(s->mime, "text/plain; charset=utf-8");
	assert_null(sniff_by_ext("exe"));
	assert_null(sniff_by_ext(""));
	/* sniffed results round-trip through their extension */
	struct sniffed g = sn("GIF89a", 6, 1);
	assert_ptr_not_equal(sniff_by_ext(g.ext), NULL);
	assert_string_equal(sniff_by_ext(g.ext)->mime, g.mime);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_images),
	    cmocka_unit_test(test_documents_archives),
	    cmocka_unit_test(test_media),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_binary),
	    cmocka_unit_test(test_truncated_utf8),
	    cmocka_unit_test(test_invalid_tail_not_forgiven),
	    cmocka_unit_test(test_by_ext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
