/* lib/tlscert: a self-signed certificate for the TLS listener, made with
 * mbedTLS on first start when the operator gave none. */
#ifndef FE_TLSCERT_H
#define FE_TLSCERT_H

/* Ensures cert_path and key_path exist. When both exist they are left as they
 * are; otherwise makes a new ECDSA P-256 key and a self-signed X.509 v3
 * certificate (CN=fechatter.local, SAN DNS:localhost, IP:127.0.0.1, IP:::1,
 * valid 10 years, serial random) and writes both as PEM, the key with mode
 * 0600, each through a temporary file and rename.
 * fingerprint (>= 96 bytes) receives the SHA-256 fingerprint of the DER
 * certificate as uppercase hex pairs joined by ':' (as openssl prints it),
 * for the existing or the new certificate.
 * Returns 0 on success, -1 on failure with a reason in err (errlen bytes). */
int tlscert_ensure(const char *cert_path, const char *key_path, char *fingerprint, char *err, int errlen);

#endif
