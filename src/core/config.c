/*
 * config.c: settings from a file (libinih), environment overrides and checks,
 * driven by one table with an entry per key.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "callin/addr.h"
#include "callin/alloc.h"
#include "callin/config.h"
#include "callin/log.h"

enum kind { K_STR, K_INT };

struct key {
	const char *name;
	enum kind kind;
	size_t off;	  /* offset in cl_config */
	const char *def;  /* default ("" for none) */
	int64_t min, max; /* K_INT bounds */
	int required;	  /* must be non-empty after defaults */
};

/* One setting a line, comments aligned. */
/* clang-format off */
#define S(f, d, r)	{ #f, K_STR, offsetof(cl_config, f), d, 0, 0, r }
#define I(f, d, lo, hi)	{ #f, K_INT, offsetof(cl_config, f), d, lo, hi, 1 }

static const struct key keys[] = {
	S(listen, "var/run/callin.sock", 1),
	S(listen_group, "", 0),			/* chgrp the unix socket to it */
	S(fastcgi_allow_from, "", 0),		/* needed for a non-loopback TCP listen */
	I(workers, "4", 1, 256),
	I(max_requests_per_worker, "0", 0, INT64_C(1) << 40),
	S(store, "", 0),			/* default sqlite:<data_dir>/callin.db */
	S(data_dir, "var", 1),
	S(smtp_url, "smtp://127.0.0.1:2525", 1),
	S(smtp_user, "", 0),
	S(smtp_password_file, "", 0),
	S(mail_from, "Call-in requests <callin@localhost>", 1),
	S(staff_alert_to, "callin-staff@localhost", 1),
	S(public_base_url, "http://127.0.0.1:8080", 1),
	S(signing_key_file, "", 0),		/* default <data_dir>/keys/signing.pem */
	S(public_keys_dir, "", 0),		/* default <data_dir>/keys/public */
	S(form_secret_file, "", 0),		/* default <data_dir>/form.secret */
	I(form_token_max_age, "86400", 60, 30 * 86400),
	I(max_files, "10", 0, 100),
	I(max_file_bytes, "10485760", 1, INT64_C(1) << 32),
	I(max_total_bytes, "26214400", 1, INT64_C(1) << 34),
	I(mail_attach_max_bytes, "10485760", 0, INT64_C(1) << 32),
	I(max_requests_per_email, "10", 0, 1000000),	/* 0: no limit */
	I(email_limit_window, "86400", 0, 366 * 86400),	/* 0: no limit */
	I(confirm_max_age, "604800", 3600, 366 * 86400),	/* confirm link life */
	I(mail_require_tls, "0", 0, 1),		/* STARTTLS even without AUTH */
	S(smtp_ca_file, "", 0),			/* CA bundle for the relay */
	S(mail_retry_schedule, "1m,2m,4m,8m,16m,32m,1h", 1),
	I(mail_retry_for, "172800", 1, 30 * 86400),
	I(mail_lease_seconds, "600", 10, 86400),
	I(mail_batch, "20", 1, 1000),
	I(mail_connect_timeout, "10", 1, 600),
	I(mail_timeout, "60", 1, 3600),
	I(mail_poll_ms, "1000", 10, 60000),
	I(outbox_max_age, "900", 10, 30 * 86400),
	I(orphan_max_age, "3600", 600, 30 * 86400),	/* far above any upload in flight */
	I(min_free_bytes, "1073741824", 0, INT64_C(1) << 50),	/* under data_dir; 0: no check */
	I(receipt_link_days, "90", 1, 36500),	/* the private page's life */
	S(log_origin, "", 0),			/* the log's name; "" for no log */
	S(log_dir, "", 0),			/* default <data_dir>/log */
	S(log_key_file, "", 0),			/* default <data_dir>/keys/log.pem */
	I(log_batch_ms, "500", 10, 60000),	/* callin-logd's batch period */
	I(log_anchor_interval, "60", 1, 86400),	/* seconds between anchors */
	I(log_anchor_timeout, "10", 1, 600),	/* seconds for one TSA or witness */
	I(log_max_delay, "3600", 60, 30 * 86400),	/* promised in receipts */
	I(log_proof_wait, "600", 0, 86400),	/* mail waits this long for a proof */
	S(tsa_urls, "", 0),			/* name=url,... RFC 3161 authorities */
	S(tsa_ca_file, "", 0),			/* their roots (PEM) */
	S(log_witnesses, "", 0),		/* "<vkey> <url>",... */
};
/* clang-format on */
#define NKEYS (sizeof keys / sizeof keys[0])

struct load {
	cl_config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

static char **
str_slot(cl_config *cfg, const struct key *k)
{
	return (char **)(void *)((char *)cfg + k->off);
}

static int64_t *
int_slot(cl_config *cfg, const struct key *k)
{
	return (int64_t *)(void *)((char *)cfg + k->off);
}

/*
 * Set key k from text v.  Returns CL_ECONFIG with a message naming the key
 * when v is not acceptable.
 */
static cl_err
set_value(cl_config *cfg, const struct key *k, const char *v, const char *from,
    char *err, size_t errlen)
{
	if (k->kind == K_STR) {
		for (const char *p = v; *p; p++)
			if (iscntrl((unsigned char)*p)) {
				snprintf(err, errlen,
				    "config: %s (%s): control characters are not allowed",
				    k->name, from);
				return CL_ECONFIG;
			}
		free(*str_slot(cfg, k));
		*str_slot(cfg, k) = cl_strdup(v);
		return CL_OK;
	}
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < k->min ||
	    n > k->max) {
		snprintf(err, errlen,
		    "config: %s (%s): \"%s\" is not a whole number from %lld to %lld",
		    k->name, from, v, (long long)k->min, (long long)k->max);
		return CL_ECONFIG;
	}
	*int_slot(cfg, k) = n;
	return CL_OK;
}

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* inih callback: one key = value line.  Returns 0 to stop on error. */
static int
on_line(void *arg, const char *section, const char *name, const char *value)
{
	struct load *ld = arg;
	const struct key *k;

	if (ld->failed)
		return 0;
	if (section[0] != '\0' || (k = find_key(name)) == NULL) {
		snprintf(ld->err, ld->errlen, "config: %s: unknown setting%s%s",
		    name, section[0] ? " in section " : "", section);
		ld->failed = 1;
		return 0;
	}
	if (set_value(ld->cfg, k, value, "file", ld->err, ld->errlen) !=
	    CL_OK) {
		ld->failed = 1;
		return 0;
	}
	return 1;
}

/* Give an empty path setting the default data_dir/suffix. */
static void
default_path(char **slot, const char *data_dir, const char *prefix,
    const char *suffix)
{
	size_t n;

	if (*slot != NULL && **slot != '\0')
		return;
	free(*slot);
	n = strlen(prefix) + strlen(data_dir) + strlen(suffix) + 2;
	*slot = cl_malloc(n);
	snprintf(*slot, n, "%s%s/%s", prefix, data_dir, suffix);
}

/*
 * Whether the http:// URL u names a loopback host: localhost, 127.0.0.0/8
 * or [::1], with an optional port and path, no user part.  Cannot fail.
 */
static int
loopback_url(const char *u)
{
	char host[64];
	const char *h = u + 7, *e;
	unsigned char a[16];
	size_t n;

	n = strcspn(h, "/?#");
	if (memchr(h, '@', n) != NULL)
		return 0;
	if (*h == '[') {
		if ((e = memchr(h, ']', n)) == NULL)
			return 0;
		h++;
	} else
		e = h + strcspn(h, ":/?#");
	if ((n = (size_t)(e - h)) == 0 || n >= sizeof host)
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	return u[7] == '[' && inet_pton(AF_INET6, host, a) == 1 &&
	    memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
}

/* Check relations between settings.  CL_ECONFIG with a message naming the key. */
static cl_err
check(cl_config *cfg, char *err, size_t errlen)
{
	cl_addr_list allow;
	char why[256];
	const char *u;
	char shown[512];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		if (k->kind == K_STR && k->required &&
		    **str_slot(cfg, k) == '\0') {
			snprintf(err, errlen, "config: %s: must not be empty",
			    k->name);
			return CL_ECONFIG;
		}
	}
	u = cfg->store;
	if (strncmp(u, "sqlite:", 7) != 0 &&
	    strncmp(u, "mongodb://", 10) != 0 &&
	    strncmp(u, "mongodb+srv://", 14) != 0) {
		cl_log_redact_uri(u, shown, sizeof shown);
		snprintf(err, errlen,
		    "config: store: \"%s\" is neither sqlite:PATH nor a mongodb:// URI",
		    shown);
		return CL_ECONFIG;
	}
	u = cfg->smtp_url;
	if (strncmp(u, "smtp://", 7) != 0 && strncmp(u, "smtps://", 8) != 0) {
		cl_log_redact_uri(u, shown, sizeof shown);
		snprintf(err, errlen,
		    "config: smtp_url: \"%s\" must start with smtp:// or smtps://",
		    shown);
		return CL_ECONFIG;
	}
	u = cfg->public_base_url;
	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
		snprintf(err, errlen,
		    "config: public_base_url: \"%s\" must start with http:// or https://",
		    u);
		return CL_ECONFIG;
	}
	if (strncmp(u, "http://", 7) == 0 && !loopback_url(u)) {
		snprintf(err, errlen,
		    "config: public_base_url: \"%s\" must use https:// "
		    "(http:// is only for localhost, 127.0.0.0/8 or [::1])",
		    u);
		return CL_ECONFIG;
	}
	if (cfg->log_origin[0] != '\0' &&
	    !cl_config_origin_ok(cfg->log_origin, strlen(cfg->log_origin))) {
		snprintf(err, errlen,
		    "config: log_origin: \"%.*s\" must be a name like "
		    "callin.example.gov.uk/log (printable ASCII, no spaces, "
		    "no '+', at most %d characters)",
		    CL_CONFIG_ORIGIN_MAX - 1, cfg->log_origin,
		    CL_CONFIG_ORIGIN_MAX - 1);
		return CL_ECONFIG;
	}
	if (cfg->max_file_bytes > cfg->max_total_bytes) {
		snprintf(err, errlen,
		    "config: max_file_bytes: larger than max_total_bytes");
		return CL_ECONFIG;
	}
	if (cl_addr_list_parse(cfg->fastcgi_allow_from, &allow, why,
		sizeof why) != CL_OK) {
		snprintf(err, errlen, "config: fastcgi_allow_from: %s", why);
		return CL_ECONFIG;
	}
	if (strchr(cfg->mail_from, '@') == NULL) {
		snprintf(err, errlen,
		    "config: mail_from: \"%s\" has no e-mail address",
		    cfg->mail_from);
		return CL_ECONFIG;
	}
	return CL_OK;
}

int
cl_config_origin_ok(const char *s, size_t n)
{
	if (n == 0 || n >= CL_CONFIG_ORIGIN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '+')
			return 0;
	return 1;
}

cl_err
cl_config_load(const char *path, cl_config *cfg, char *err, size_t errlen)
{
	struct load ld = { cfg, err, errlen, 0 };
	char envname[64];
	cl_err rc = CL_ECONFIG;

	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(cfg, &keys[i], keys[i].def, "default", err,
			errlen) != CL_OK)
			goto err;
	if (path != NULL && path[0] != '\0') {
		int line = ini_parse(path, on_line, &ld);
		if (line < 0) {
			snprintf(err, errlen, "config: cannot read %s", path);
			goto err;
		}
		if (ld.failed)
			goto err;
		if (line > 0) {
			snprintf(err, errlen,
			    "config: %s line %d: not a key = value line", path,
			    line);
			goto err;
		}
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v;
		size_t j;

		snprintf(envname, sizeof envname, "CALLIN_%s", keys[i].name);
		for (j = 7; envname[j]; j++)
			envname[j] = (char)toupper((unsigned char)envname[j]);
		if ((v = getenv(envname)) != NULL &&
		    set_value(cfg, &keys[i], v, envname, err, errlen) != CL_OK)
			goto err;
	}
	default_path(&cfg->store, cfg->data_dir, "sqlite:", "callin.db");
	default_path(&cfg->signing_key_file, cfg->data_dir, "",
	    "keys/signing.pem");
	default_path(&cfg->public_keys_dir, cfg->data_dir, "", "keys/public");
	default_path(&cfg->form_secret_file, cfg->data_dir, "", "form.secret");
	default_path(&cfg->log_dir, cfg->data_dir, "", "log");
	default_path(&cfg->log_key_file, cfg->data_dir, "", "keys/log.pem");
	if ((rc = check(cfg, err, errlen)) != CL_OK)
		goto err;
	return CL_OK;
err:
	cl_config_free(cfg);
	return CL_ECONFIG;
}

void
cl_config_free(cl_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].kind == K_STR) {
			free(*str_slot(cfg, &keys[i]));
			*str_slot(cfg, &keys[i]) = NULL;
		}
}
