/* tests/unit/test_tlscert: the self-signed TLS certificate (lib/tlscert):
 * files and modes, certificate contents, SAN, fingerprint, reuse, errors. */
#include <dirent.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "lib/tlscert.h"

struct paths {
	char dir[64], cert[128], key[128];
};

static int setup(void **state)
{
	struct paths *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	snprintf(p->dir, sizeof p->dir, "/tmp/fe-tlscert-XXXXXX");
	if (!mkdtemp(p->dir)) {
		free(p);
		return -1;
	}
	snprintf(p->cert, sizeof p->cert, "%s/tls.crt", p->dir);
	snprintf(p->key, sizeof p->key, "%s/tls.key", p->dir);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct paths *p = *state;
	DIR *d = opendir(p->dir);
	if (d) {
		struct dirent *e;
		char path[512];
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", p->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(p->dir);
	free(p);
	return 0;
}

static void assert_fingerprint_format(const char *fp)
{
	regex_t re;
	const char *pattern = "^([0-9A-F]{2}:){31}[0-9A-F]{2}$";
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, fp, 0, NULL, 0), 0);
	regfree(&re);
	assert_int_equal(strlen(fp), 95);
}

/* Whether the DER holds the given bytes. */
static int der_has(const mbedtls_x509_buf *raw, const unsigned char *pat, size_t n)
{
	return memmem(raw->p, raw->len, pat, n) != NULL;
}

static void ensure_ok(const struct paths *p, char fp[96])
{
	char err[256] = "";
	int rc = tlscert_ensure(p->cert, p->key, fp, err, sizeof err);
	if (rc != 0)
		fail_msg("tlscert_ensure: %s", err);
}

static void test_creates_files(void **state)
{
	struct paths *p = *state;
	char fp[96];
	ensure_ok(p, fp);
	assert_fingerprint_format(fp);

	struct stat st;
	assert_int_equal(stat(p->key, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(p->cert, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0077 & ~0044, 0); /* not writable by others */
	/* no temporary files left behind */
	assert_int_equal(count_entries(p->dir), 2);

	/* both are PEM */
	FILE *f = fopen(p->key, "r");
	assert_non_null(f);
	char line[128] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_non_null(strstr(line, "-----BEGIN"));
	assert_non_null(strstr(line, "PRIVATE KEY-----"));
	f = fopen(p->cert, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "-----BEGIN CERTIFICATE-----\n");
}

static void test_certificate_contents(void **state)
{
	struct paths *p = *state;
	char fp[96];
	ensure_ok(p, fp);

	mbedtls_x509_crt crt;
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, p->cert), 0);
	assert_int_equal(crt.version, 3);
	assert_null(crt.next);

	/* subject and issuer CN=fechatter.local */
	char name[256];
	assert_true(mbedtls_x509_dn_gets(name, sizeof name, &crt.subject) > 0);
	assert_string_equal(name, "CN=fechatter.local");
	assert_true(mbedtls_x509_dn_gets(name, sizeof name, &crt.issuer) > 0);
	assert_string_equal(name, "CN=fechatter.local");

	/* SAN: mbedTLS 2.28 lists only dNSName entries in subject_alt_names */
	int found = 0;
	for (const mbedtls_x509_sequence *s = &crt.subject_alt_names; s; s = s->next) {
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME) &&
		    s->buf.len == 9 && memcmp(s->buf.p, "localhost", 9) == 0)
			found = 1;
	}
	assert_true(found);
	assert_true(crt.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME);
	/* IP entries, as [7] OCTET STRING in the DER */
	static const unsigned char ip4[] = {0x87, 0x04, 127, 0, 0, 1};
	static const unsigned char ip6[] = {0x87, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	assert_true(der_has(&crt.raw, ip4, sizeof ip4));
	assert_true(der_has(&crt.raw, ip6, sizeof ip6));

	/* not a CA, digitalSignature, serverAuth */
	assert_true(crt.ext_types & MBEDTLS_X509_EXT_BASIC_CONSTRAINTS);
	assert_int_equal(crt.ca_istrue, 0);
	assert_int_equal(mbedtls_x509_crt_check_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE), 0);
	static const char eku[] = MBEDTLS_OID_SERVER_AUTH;
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&crt, eku, sizeof eku - 1), 0);

	/* ECDSA P-256 with SHA-256 */
	assert_int_equal(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
	assert_int_equal(mbedtls_pk_ec(crt.pk)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
	assert_int_equal(crt.sig_md, MBEDTLS_MD_SHA256);
	assert_int_equal(crt.sig_pk, MBEDTLS_PK_ECDSA);

	/* valid now, for about ten years */
	assert_int_equal(mbedtls_x509_time_is_past(&crt.valid_to), 0);
	assert_int_equal(mbedtls_x509_time_is_future(&crt.valid_from), 0);
	int years = crt.valid_to.year - crt.valid_from.year;
	assert_true(years == 10 || years == 11);

	/* positive serial of a useful size */
	assert_true(crt.serial.len >= 8 && crt.serial.len <= 20);
	assert_int_equal(crt.serial.p[0] & 0x80, 0);

	/* the key file holds the matching private key */
	mbedtls_pk_context key;
	mbedtls_pk_init(&key);
	assert_int_equal(mbedtls_pk_parse_keyfile(&key, p->key, NULL), 0);
	assert_int_equal(mbedtls_pk_check_pair(&crt.pk, &key), 0);
	mbedtls_pk_free(&key);

	/* self-signed and valid for "localhost" when trusted as itself */
	uint32_t flags = 0;
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "localhost", &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	assert_int_not_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "example.com", &flags, NULL, NULL), 0);
	assert_true(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);

	/* the fingerprint is SHA-256 over the DER */
	unsigned char sum[32];
	char hex[96], *o = hex;
	assert_int_equal(mbedtls_sha256_ret(crt.raw.p, crt.raw.len, sum, 0), 0);
	for (int i = 0; i < 32; i++)
		o += sprintf(o, i ? ":%02X" : "%02X", sum[i]);
	assert_string_equal(fp, hex);
	mbedtls_x509_crt_free(&crt);
}

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = 0;
	fclose(f);
}

static void test_second_call_keeps_certificate(void **state)
{
	struct paths *p = *state;
	char fp1[96], fp2[96];
	ensure_ok(p, fp1);
	struct stat c1, k1, c2, k2;
	assert_int_equal(stat(p->cert, &c1), 0);
	assert_int_equal(stat(p->key, &k1), 0);
	static char cert1[8192], cert2[8192];
	slurp(p->cert, cert1, sizeof cert1);

	ensure_ok(p, fp2);
	assert_string_equal(fp1, fp2);
	assert_int_equal(stat(p->cert, &c2), 0);
	assert_int_equal(stat(p->key, &k2), 0);
	assert_int_equal(c1.st_ino, c2.st_ino);
	assert_int_equal(k1.st_ino, k2.st_ino);
	slurp(p->cert, cert2, sizeof cert2);
	assert_string_equal(cert1, cert2);

	/* fingerprint may be NULL; err may be NULL */
	assert_int_equal(tlscert_ensure(p->cert, p->key, NULL, NULL, 0), 0);
}

static void test_missing_file_regenerates(void **state)
{
	struct paths *p = *state;
	char fp1[96], fp2[96], fp3[96];
	ensure_ok(p, fp1);
	assert_int_equal(unlink(p->cert), 0);
	ensure_ok(p, fp2);
	assert_fingerprint_format(fp2);
	assert_string_not_equal(fp1, fp2);
	assert_int_equal(unlink(p->key), 0);
	ensure_ok(p, fp3);
	assert_string_not_equal(fp2, fp3);

	struct stat st;
	assert_int_equal(stat(p->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(p->dir), 2);
}

static void test_errors(void **state)
{
	struct paths *p = *state;
	char fp[96], err[256];

	/* directory that does not exist */
	err[0] = 0;
	assert_int_equal(
	    tlscert_ensure("/nonexistent-fe/x.crt", "/nonexistent-fe/x.key", fp, err, sizeof err), -1);
	assert_true(strlen(err) > 0);

	/* an unparsable certificate next to a key */
	ensure_ok(p, fp);
	FILE *f = fopen(p->cert, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	err[0] = 0;
	assert_int_equal(tlscert_ensure(p->cert, p->key, fp, err, sizeof err), -1);
	assert_true(strlen(err) > 0);

	/* a key that does not belong to the certificate */
	char cert2[160], key2[160];
	snprintf(cert2, sizeof cert2, "%s/other.crt", p->dir);
	snprintf(key2, sizeof key2, "%s/other.key", p->dir);
	assert_int_equal(tlscert_ensure(cert2, key2, fp, err, sizeof err), 0);
	assert_int_equal(unlink(p->cert), 0);
	ensure_ok(p, fp);
	err[0] = 0;
	assert_int_equal(tlscert_ensure(p->cert, key2, fp, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not match"));

	/* a tiny error buffer is not overrun */
	char small[8];
	memset(small, 'Z', sizeof small);
	assert_int_equal(tlscert_ensure(p->cert, key2, fp, small, 4), -1);
	assert_int_equal(small[3], 0);
	assert_int_equal(small[4], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_creates_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certificate_contents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_call_keeps_certificate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file_regenerates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
