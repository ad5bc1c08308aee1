/* lib/tlscert: makes the self-signed certificate for the TLS listener on
 * first start (mbedTLS 2.28): ECDSA P-256 key, X.509 v3 certificate with
 * subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1, both written as PEM
 * through temporary files, fsync and rename; and reports the SHA-256
 * fingerprint of the certificate in use. */
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/fdio.h"
#include "lib/tlscert.h"

#define SUBJECT "CN=fechatter.local"
#define VALID_YEARS 10
#define PEM_MAX 4096

static void seterr(char *err, int errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, int errlen, const char *fmt, ...)
{
	if (!err || errlen <= 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, (size_t)errlen, fmt, ap);
	va_end(ap);
}

/* "what: mbedTLS message (-0xNNNN)" into err; returns -1. */
static int mberr(char *err, int errlen, const char *what, int ret)
{
	char msg[128];
	mbedtls_strerror(ret, msg, sizeof msg);
	seterr(err, errlen, "%s: %s (-0x%04x)", what, msg, (unsigned)-ret);
	return -1;
}

/* 1 when path exists, 0 when it does not, -1 on another error. */
static int exists(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

/* Fsyncs the directory holding path so a rename into it is durable. */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Writes data to path atomically with the given mode: temporary file in the
 * same directory, fsync, rename, fsync of the directory. 0 or -1. */
static int write_atomic(const char *path, const void *data, size_t len, mode_t mode, char *err, int errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp) {
		seterr(err, errlen, "path too long: %s", path);
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
	if (fd < 0) {
		seterr(err, errlen, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fd_write_all(fd, data, len))
		goto fail;
	if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	sync_dir(path);
	return 0;
fail:
	seterr(err, errlen, "write %s: %s", path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* Appends a GeneralName (context tag, primitive) to the ASN.1 being written
 * backwards at *p; returns the bytes written or a negative mbedTLS error. */
static int write_general_name(unsigned char **p, unsigned char *start, unsigned char tag, const void *data,
                              size_t len)
{
	int ret, n = 0;
	if ((ret = mbedtls_asn1_write_raw_buffer(p, start, data, len)) < 0)
		return ret;
	n += ret;
	if ((ret = mbedtls_asn1_write_len(p, start, len)) < 0)
		return ret;
	n += ret;
	if ((ret = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | tag)) < 0)
		return ret;
	return n + ret;
}

/* Adds subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1. mbedTLS 2.28 has
 * no helper for it, so the extension value is built here:
 * SEQUENCE { [2] "localhost", [7] 7f000001, [7] ::1 }. */
static int add_san(mbedtls_x509write_cert *crt)
{
	static const unsigned char ip4[4] = {127, 0, 0, 1};
	static const unsigned char ip6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const char dns[] = "localhost";
	unsigned char buf[128];
	unsigned char *p = buf + sizeof buf;
	int ret;
	size_t len = 0;

	/* written back to front: last GeneralName first */
	if ((ret = write_general_name(&p, buf, 7, ip6, sizeof ip6)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = write_general_name(&p, buf, 7, ip4, sizeof ip4)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = write_general_name(&p, buf, 2, dns, sizeof dns - 1)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return ret;
	len += (size_t)ret;
	static const char oid[] = MBEDTLS_OID_SUBJECT_ALT_NAME;
	return mbedtls_x509write_crt_set_extension(crt, oid, sizeof oid - 1, 0, p, len);
}

/* Adds extendedKeyUsage serverAuth (no helper in 2.28 either). */
static int add_eku(mbedtls_x509write_cert *crt)
{
	unsigned char buf[32];
	unsigned char *p = buf + sizeof buf;
	int ret;
	size_t len = 0;
	if ((ret = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
	                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return ret;
	len += (size_t)ret;
	if ((ret = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return ret;
	len += (size_t)ret;
	static const char oid[] = MBEDTLS_OID_EXTENDED_KEY_USAGE;
	return mbedtls_x509write_crt_set_extension(crt, oid, sizeof oid - 1, 0, p, len);
}

/* X.509 time string "YYYYMMDDhhmmss" (UTC) for t, shifted by years. */
static void x509_time(char out[16], time_t t, int years)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	tm.tm_year += years;
	if (years && tm.tm_mon == 1 && tm.tm_mday == 29)
		tm.tm_mday = 28;
	if (strftime(out, 16, "%Y%m%d%H%M%S", &tm) != 14)
		strcpy(out, "20491231235959");
}

/* Makes the key and certificate and writes both (key first: a crash between
 * the two leaves a key without a certificate, which the next start replaces). */
static int generate(const char *cert_path, const char *key_path, char *err, int errlen)
{
	static const char pers[] = "fechatter-tlscert";
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	unsigned char sbuf[16];
	unsigned char cert_pem[PEM_MAX], key_pem[PEM_MAX];
	char not_before[16], not_after[16];
	int ret, rc = -1;

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);

	if ((ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)pers,
	                                 sizeof pers - 1)) != 0) {
		mberr(err, errlen, "seed random generator", ret);
		goto out;
	}
	if ((ret = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), mbedtls_ctr_drbg_random,
	                               &drbg)) != 0) {
		mberr(err, errlen, "generate key", ret);
		goto out;
	}

	/* positive, non-zero 128-bit serial */
	if ((ret = mbedtls_ctr_drbg_random(&drbg, sbuf, sizeof sbuf)) != 0) {
		mberr(err, errlen, "random serial", ret);
		goto out;
	}
	sbuf[0] = (unsigned char)((sbuf[0] & 0x7f) | 0x40);
	time_t now = time(NULL);
	x509_time(not_before, now - 3600, 0); /* tolerate a client clock slightly behind */
	x509_time(not_after, now, VALID_YEARS);

	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	const char *what = "certificate fields";
	if ((ret = mbedtls_mpi_read_binary(&serial, sbuf, sizeof sbuf)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_subject_name(&crt, SUBJECT)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_issuer_name(&crt, SUBJECT)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_validity(&crt, not_before, not_after)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (ret = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (what = "subjectAltName", ret = add_san(&crt)) != 0 ||
	    (what = "extendedKeyUsage", ret = add_eku(&crt)) != 0) {
		mberr(err, errlen, what, ret);
		goto out;
	}
	if ((ret = mbedtls_x509write_crt_pem(&crt, cert_pem, sizeof cert_pem, mbedtls_ctr_drbg_random,
	                                     &drbg)) != 0) {
		mberr(err, errlen, "write certificate", ret);
		goto out;
	}
	if ((ret = mbedtls_pk_write_key_pem(&key, key_pem, sizeof key_pem)) != 0) {
		mberr(err, errlen, "write key", ret);
		goto out;
	}
	if (write_atomic(key_path, key_pem, strlen((char *)key_pem), 0600, err, errlen) != 0 ||
	    write_atomic(cert_path, cert_pem, strlen((char *)cert_pem), 0644, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	mbedtls_platform_zeroize(key_pem, sizeof key_pem);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return rc;
}

/* Parses the certificate (and, when check_key, the key, which must match it)
 * and writes the fingerprint of the certificate's DER. */
static int fingerprint_of(const char *cert_path, const char *key_path, int check_key, char *fingerprint,
                          char *err, int errlen)
{
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	unsigned char sum[32];
	int ret, rc = -1;

	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&key);
	if ((ret = mbedtls_x509_crt_parse_file(&crt, cert_path)) != 0) {
		mberr(err, errlen, cert_path, ret);
		goto out;
	}
	if (check_key) {
		if ((ret = mbedtls_pk_parse_keyfile(&key, key_path, NULL)) != 0) {
			mberr(err, errlen, key_path, ret);
			goto out;
		}
		if ((ret = mbedtls_pk_check_pair(&crt.pk, &key)) != 0) {
			seterr(err, errlen, "%s does not match %s", key_path, cert_path);
			goto out;
		}
	}
	/* a PEM file may hold a chain: the first certificate is ours */
	if ((ret = mbedtls_sha256_ret(crt.raw.p, crt.raw.len, sum, 0)) != 0) {
		mberr(err, errlen, "sha256", ret);
		goto out;
	}
	if (fingerprint) {
		static const char hex[] = "0123456789ABCDEF";
		char *o = fingerprint;
		for (size_t i = 0; i < sizeof sum; i++) {
			if (i)
				*o++ = ':';
			*o++ = hex[sum[i] >> 4];
			*o++ = hex[sum[i] & 15];
		}
		*o = 0;
	}
	rc = 0;
out:
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&crt);
	return rc;
}

int tlscert_ensure(const char *cert_path, const char *key_path, char *fingerprint, char *err, int errlen)
{
	if (err && errlen > 0)
		err[0] = 0;
	if (!cert_path || !key_path || !*cert_path || !*key_path) {
		seterr(err, errlen, "certificate and key paths are required");
		return -1;
	}
	int ce = exists(cert_path);
	if (ce < 0) {
		seterr(err, errlen, "stat %s: %s", cert_path, strerror(errno));
		return -1;
	}
	int ke = exists(key_path);
	if (ke < 0) {
		seterr(err, errlen, "stat %s: %s", key_path, strerror(errno));
		return -1;
	}
	if (ce && ke)
		return fingerprint_of(cert_path, key_path, 1, fingerprint, err, errlen);
	if (generate(cert_path, key_path, err, errlen) != 0)
		return -1;
	return fingerprint_of(cert_path, key_path, 0, fingerprint, err, errlen);
}
