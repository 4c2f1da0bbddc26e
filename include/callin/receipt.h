/*
 * receipt.h: signed receipts (format v1), the keys that sign and verify
 * them, and the submission copy (copy.json) they commit to.
 *
 * A receipt is six LF-terminated lines (DESIGN.md §3):
 *
 *	callin-receipt-v1
 *	reference: CIR-7K3F-9QXD
 *	received: 2026-11-23T14:05:09Z
 *	commitment: sha256:<64 lower-case hex of SHA-256(copy.json)>
 *	key: <16 lower-case hex: SHA-256 of the key's DER SubjectPublicKeyInfo>
 *	signature: <base64 (with padding) of the 64-byte Ed25519 signature>
 *
 * The signed bytes run from the start of the file through the LF that ends
 * the line before "signature: ".  Other "name: value" lines above the
 * signature are allowed (later versions), ignored, and signed.  One is
 * known: "log: <origin>" between commitment and key (DESIGN.md §9), a
 * signed promise that the receipt's entry goes into the transparency log
 * of that origin within log_max_delay; at most one, its origin as
 * cl_config_origin_ok() (config.h) allows.
 *
 * Line endings: the format is LF only.  A verifier first turns every CR LF
 * into LF (as a browser textarea or a Windows editor sends it) and accepts a
 * missing newline after the signature line; it checks the signature over
 * that LF form.  Nothing else is tolerated: a CR not followed by LF,
 * blank or trailing lines, spaces, a byte-order mark, upper-case hex or a
 * non-canonical base64 signature all make the receipt malformed, so every
 * change to a character of the signed part or of the signature fails.
 *
 * Keys are Ed25519 (OpenSSL 3).  The private key file must not be readable
 * or writable by group or others.  The public keys directory holds one
 * <key id>.pem per key, current and retired, and is published.  A loaded
 * signer or keyring is read-only: load it once (before fork() is fine) and
 * share it between threads; each signature uses its own OpenSSL context.
 */
#ifndef CALLIN_RECEIPT_H
#define CALLIN_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bson/bson.h>

#include "callin/buf.h"
#include "callin/config.h"
#include "callin/err.h"
#include "callin/hash.h"

#define CL_RECEIPT_MAGIC "callin-receipt-v1" /* first line */
#define CL_RECEIPT_MAX 4096 /* longest receipt accepted, bytes */
#define CL_REFERENCE_LEN 13 /* "CIR-7K3F-9QXD" */
#define CL_RECEIVED_LEN 20  /* "2026-11-23T14:05:09Z" */
#define CL_KEY_ID_LEN 16    /* hex digits of a key id */
#define CL_SIGNATURE_LEN 64 /* Ed25519 signature bytes */
#define CL_RECEIPT_LOG_MAX CL_CONFIG_ORIGIN_MAX /* longest log origin */
#define CL_SALT_LEN 32				/* copy.json salt bytes */
#define CL_COPY_FORMAT "callin-copy-v1"

typedef struct cl_signer cl_signer;   /* a loaded private key */
typedef struct cl_keyring cl_keyring; /* loaded public keys */

/* A parsed receipt (cl_receipt_parse).  Plain data: nothing to free. */
typedef struct cl_receipt {
	char reference[CL_REFERENCE_LEN + 1];
	char received[CL_RECEIVED_LEN + 1];
	unsigned char commitment[CL_SHA256_LEN];
	char key_id[CL_KEY_ID_LEN + 1];
	unsigned char signature[CL_SIGNATURE_LEN];
	char log[CL_RECEIPT_LOG_MAX];  /* the log line's origin, "" if none */
	bool crlf;		       /* CR LF line ends were normalised */
	bool no_final_lf;	       /* the last line had no newline */
	size_t signed_len;	       /* bytes of text the signature covers */
	char text[CL_RECEIPT_MAX + 2]; /* LF form, with NUL */
	char reason[160];	       /* why it is malformed, "" when not */
} cl_receipt;

/* --- keys (key.c, keygen.c) --- */

/*
 * Load the Ed25519 private key in the PEM file path (PKCS#8, unencrypted).
 * On success *out is the signer.  Fails with CL_ECONFIG, *out NULL and one
 * line naming path in errbuf, when the file is missing or unreadable, not a
 * regular file, readable or writable by group or others (mode & 077), not
 * an unencrypted PEM private key, or not an Ed25519 key.
 */
cl_err cl_signer_load(const char *path, cl_signer **out, char *errbuf,
    size_t errlen);
/* Free the signer.  NULL is fine.  Cannot fail. */
void cl_signer_free(cl_signer *s);
/* The signer's key id: 16 lower-case hex digits.  Cannot fail. */
const char *cl_signer_key_id(const cl_signer *s);

/*
 * Make a new Ed25519 key pair: write the private key to priv_path (PKCS#8
 * PEM, mode 0600, never replacing an existing file) and the public key to
 * pub_dir/<key id>.pem (mode 0644; pub_dir is created, mode 0755, when
 * missing), and copy the key id into id.  Fails with CL_EIO (one line in
 * errbuf) when a file exists or cannot be written; nothing is left behind.
 * CL_ECRYPTO when OpenSSL cannot make the key.
 */
cl_err cl_keygen(const char *priv_path, const char *pub_dir,
    char id[CL_KEY_ID_LEN + 1], char *errbuf, size_t errlen);
/*
 * Make a new Ed25519 private key alone (the transparency log's key: its
 * public half is the verifier key, tlog.h) and write it to priv_path as
 * cl_keygen does.  CL_EIO or CL_ECRYPTO with one line in errbuf; nothing is
 * left behind.
 */
cl_err cl_keygen_private(const char *priv_path, char *errbuf, size_t errlen);

/* --- public keys (keyring.c) --- */

/* Make an empty keyring.  Cannot fail. */
cl_keyring *cl_keyring_new(void);
/*
 * Add the Ed25519 public key in the len bytes of PEM text pem; name (a file
 * name, for messages) may be NULL.  A key already in the ring is accepted
 * and kept once.  Fails with CL_ECONFIG and one line in errbuf for text that
 * is not a PEM public key, holds a private key anywhere, or is not Ed25519.
 */
cl_err cl_keyring_add_pem(cl_keyring *ring, const char *pem, size_t len,
    const char *name, char *errbuf, size_t errlen);
/*
 * Load every *.pem file in the directory dir as a public key.  On success
 * *out is the ring (keys in key id order).  Fails with CL_ECONFIG, *out NULL
 * and one line in errbuf when dir cannot be read, holds no *.pem file, or a
 * *.pem file is unreadable or not an Ed25519 public key.
 */
cl_err cl_keyring_load(const char *dir, cl_keyring **out, char *errbuf,
    size_t errlen);
/*
 * The service's load of public_keys_dir: as cl_keyring_load, and also
 * fails when dir or a *.pem file in it is writable by group or others (one
 * who could write there could publish a key of their own).
 */
cl_err cl_keyring_load_served(const char *dir, cl_keyring **out, char *errbuf,
    size_t errlen);
/* The same for a single public key file path.  Fails as above. */
cl_err cl_keyring_load_file(const char *path, cl_keyring **out, char *errbuf,
    size_t errlen);
/* Free the ring.  NULL is fine.  Cannot fail. */
void cl_keyring_free(cl_keyring *ring);
/* Number of keys.  Cannot fail. */
size_t cl_keyring_count(const cl_keyring *ring);
/* Key id of key i (< count): 16 lower-case hex digits.  Cannot fail. */
const char *cl_keyring_id(const cl_keyring *ring, size_t i);
/*
 * PEM text of key i (< count), "-----BEGIN PUBLIC KEY-----\n...\n-----END
 * PUBLIC KEY-----\n" as OpenSSL writes it.  Cannot fail.
 */
const char *cl_keyring_pem(const cl_keyring *ring, size_t i);
/*
 * Find the key whose id is the string id; *index gets its position.
 * CL_ENOTFOUND when there is none (any string is safe to pass).
 */
cl_err cl_keyring_find(const cl_keyring *ring, const char *id, size_t *index);
/*
 * Whether the signer's public key is in the ring (compares the keys, not
 * only their ids).  Start-up checks this.  Cannot fail.
 */
bool cl_keyring_has(const cl_keyring *ring, const cl_signer *s);
/*
 * Append {"keys":[{"id":"…","alg":"Ed25519","public_key_pem":"…"},…]} (the
 * /receipt-keys document) to out.  Cannot fail.
 */
void cl_keyring_json(const cl_keyring *ring, cl_buf *out);

/* --- receipts (receipt.c, parse.c, verify.c) --- */


/*
 * Build and sign the v1 receipt for reference ("CIR-XXXX-XXXX"), received
 * ("YYYY-MM-DDTHH:MM:SSZ"), commitment (SHA-256 of copy.json) and log (the
 * origin of the log line; NULL or "" for none), and append its text to
 * out.  Fails with CL_EINVAL (out unchanged) when reference, received or
 * log is not in its format, CL_ECRYPTO when signing fails.
 */
cl_err cl_receipt_sign(const cl_signer *s, const char *reference,
    const char *received, const unsigned char commitment[CL_SHA256_LEN],
    const char *log, cl_buf *out);

/*
 * Append to out the signed lines of a v1 receipt that come before its key
 * line ("callin-receipt-v1", reference, received, commitment, and "log:
 * <log>" when log is not NULL or ""): what a worker sends the signer.
 * CL_EINVAL (out unchanged) when reference, received or log is not in its
 * format.
 */
cl_err cl_receipt_body(const char *reference, const char *received,
    const unsigned char commitment[CL_SHA256_LEN], const char *log,
    cl_buf *out);

/*
 * Sign the receipt whose body is the n bytes of body and append the whole
 * receipt to out: the signer's one operation.  The body must be exactly
 * what cl_receipt_body() writes (the v1 grammar with or without its log
 * line, byte for byte); anything
 * else fails with CL_EPARSE.  With max_skew > 0 its received time must be
 * within max_skew seconds of now (epoch seconds), else CL_EINVAL: a worker
 * cannot have a receipt back-dated or post-dated.  CL_ECRYPTO when
 * signing fails; out is unchanged on failure.
 */
cl_err cl_receipt_sign_body(const cl_signer *s, const char *body, size_t n,
    int64_t now, int64_t max_skew, cl_buf *out);

/*
 * What checking a receipt comes to, one encoding for /verify and
 * callin-verify (which exits with it): every check passed; readable, but a
 * check failed; not something we can read as a receipt (or a file given
 * with it).  Worse verdicts are larger.
 */
typedef enum cl_verdict {
	CL_VERDICT_VALID = 0,
	CL_VERDICT_INVALID = 1,
	CL_VERDICT_UNREADABLE = 2,
} cl_verdict;

/* "valid", "invalid" or "unreadable".  Cannot fail. */
const char *cl_verdict_name(cl_verdict v);

/*
 * Parse the len bytes of text as a v1 receipt into out (line ends handled as
 * above).  Fails with CL_EPARSE and a reason in out->reason ("line 3:
 * received is not ...") when it is not exactly one.  Parsing checks the form
 * only: cl_receipt_verify() checks the signature.
 */
cl_err cl_receipt_parse(const char *text, size_t len, cl_receipt *out);

/*
 * Seconds since the epoch of received, a valid "YYYY-MM-DDTHH:MM:SSZ" (as
 * a parsed receipt's).  Cannot fail.
 */
int64_t cl_receipt_received_epoch(const char *received);

/*
 * Check the signature of a parsed receipt with the key its key line names.
 * CL_OK when valid, CL_ENOTFOUND when ring has no key with that id,
 * CL_EVERIFY when the signature does not verify.
 */
cl_err cl_receipt_verify(const cl_receipt *r, const cl_keyring *ring);

/* --- the submission copy (copy.c) --- */

/* Fill salt with CSPRNG bytes.  CL_ECRYPTO when the generator fails. */
cl_err cl_copy_salt(unsigned char salt[CL_SALT_LEN]);

/*
 * Append the submission copy to out: compact JSON, keys in this order:
 *
 *   {"format":"callin-copy-v1","reference":"…","received":"…",
 *    "salt":"<64 hex>","fields":{"name":"value","grounds":["a","b"],…},
 *    "attachments":[{"name":"…","content_type":"…","size":123,
 *                    "sha256":"<64 hex>"},…]}
 *
 * fields maps each answer's name to a UTF-8 string or an array of UTF-8
 * strings, in its order; attachments is a BSON array (or NULL for none) of
 * documents with name, content_type (UTF-8), size (int32/int64 >= 0) and
 * sha256 (64 lower-case hex); other keys (blob_id, …) are left out.  Strings
 * are escaped as Python's json.dumps(ensure_ascii=False) does: \" \\ \b \f
 * \n \r \t, other control characters as \u00xx, everything else as is.
 * Fails with CL_EINVAL (out unchanged) for a bad reference or received, a
 * value of another type, invalid UTF-8, or a missing attachment key.
 */
cl_err cl_copy_build(const char *reference, const char *received,
    const unsigned char salt[CL_SALT_LEN], const bson_t *fields,
    const bson_t *attachments, cl_buf *out);

#endif /* CALLIN_RECEIPT_H */
