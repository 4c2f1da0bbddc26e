/*
 * config.h: the service's settings.  Read from a `key = value` file (libinih),
 * then overridden by environment variables CALLIN_<KEY> (upper case), then
 * checked.  Every program takes the same file.
 */
#ifndef CALLIN_CONFIG_H
#define CALLIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "callin/err.h"

/* One setting a line, comments aligned. */
/* clang-format off */
typedef struct cl_config {
	char	*listen;		/* unix socket path or host:port */
	char	*listen_group;		/* group of the unix socket ("": ours) */
	char	*fastcgi_allow_from;	/* web servers' IP addresses (TCP) */
	int64_t	 workers;		/* worker processes */
	int64_t	 max_requests_per_worker; /* recycle a worker after this many (0: never) */
	char	*store;			/* sqlite:PATH or mongodb://... */
	char	*data_dir;		/* where SQLite, keys and secrets live */
	char	*smtp_url;		/* smtp:// or smtps:// relay */
	char	*smtp_user;
	char	*smtp_password_file;
	char	*mail_from;
	char	*staff_alert_to;	/* comma-separated */
	char	*public_base_url;	/* e.g. https://callin.example.gov.uk */
	char	*signing_key_file;	/* Ed25519 private key (PEM) */
	char	*public_keys_dir;	/* every published public key (PEM) */
	char	*form_secret_file;	/* HMAC key of the anti-forgery token */
	int64_t	 form_token_max_age;	/* seconds a form stays valid */
	int64_t	 max_files;
	int64_t	 max_file_bytes;
	int64_t	 max_total_bytes;
	int64_t	 mail_attach_max_bytes;
	int64_t	 max_requests_per_email; /* per address per window (0: none) */
	int64_t	 email_limit_window;	/* that window, seconds (0: no limit) */
	int64_t	 confirm_max_age;	/* seconds the link to confirm the
					   address works */
	int64_t	 mail_require_tls;	/* 1: STARTTLS required on smtp:// */
	char	*smtp_ca_file;		/* CA bundle for the relay ("": system) */
	char	*mail_retry_schedule;	/* "1m,2m,...,1h": delays, last repeats */
	int64_t	 mail_retry_for;	/* seconds after receipt to give up */
	int64_t	 mail_lease_seconds;	/* a claimed batch's lease */
	int64_t	 mail_batch;		/* notifications claimed at once */
	int64_t	 mail_connect_timeout;	/* seconds to connect to the relay */
	int64_t	 mail_timeout;		/* seconds for one message in all */
	int64_t	 mail_poll_ms;		/* idle wait between claims */
	int64_t	 outbox_max_age;	/* /healthz fails when the oldest due
					   notification is older (seconds) */
	int64_t	 orphan_max_age;	/* callin-mailer sweeps unreferenced attachments this old (s) */
	int64_t	 min_free_bytes;	/* refuse submissions below this free under data_dir (0: off) */
	int64_t	 receipt_link_days;	/* /receipt/<token> expires this long after receipt */
	char	*log_origin;		/* the log's name ("": no log) */
	char	*log_dir;		/* tiles, checkpoint, anchors, proofs */
	char	*log_key_file;		/* the log's Ed25519 key (PEM) */
	int64_t	 log_batch_ms;		/* callin-logd sequences this often */
	int64_t	 log_anchor_interval;	/* seconds between anchors */
	int64_t	 log_anchor_timeout;	/* seconds for one TSA or witness call */
	int64_t	 log_max_delay;		/* seconds receipts promise inclusion in */
	int64_t	 log_proof_wait;	/* seconds mail waits for a proof */
	char	*tsa_urls;		/* "name=url,...": RFC 3161 authorities */
	char	*tsa_ca_file;		/* the authorities' roots (PEM) */
	char	*log_witnesses;		/* "<vkey> <url>,...": witnesses */
} cl_config;
/* clang-format on */

#define CL_CONFIG_ORIGIN_MAX 256 /* longest log origin, with its NUL */

/*
 * Whether the n bytes of s are a log origin (log_origin, and what a
 * receipt's log line may name): 1 to CL_CONFIG_ORIGIN_MAX - 1 printable
 * ASCII characters, no space and no '+' (a c2sp.org/signed-note key name
 * that fits a receipt's ASCII lines).  Cannot fail.
 */
int cl_config_origin_ok(const char *s, size_t n);

/*
 * Load settings into cfg: defaults, then the file at path (NULL or "" for
 * none), then CALLIN_<KEY> environment variables, then checks.  Paths that
 * were left empty default to places under data_dir.  On failure returns
 * CL_ECONFIG with one line naming the key in err (errlen bytes) and leaves
 * cfg freed.
 */
cl_err cl_config_load(const char *path, cl_config *cfg, char *err,
    size_t errlen);

/* Free the strings of cfg.  Cannot fail. */
void cl_config_free(cl_config *cfg);

#endif /* CALLIN_CONFIG_H */
