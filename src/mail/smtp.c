/*
 * smtp.c: sending built messages to the relay with libcurl.  One easy
 * handle keeps one connection open across the messages of a batch; each
 * message is one SMTP transaction to all its recipients.  On smtp:// the
 * mailer uses STARTTLS whenever the relay offers it (CURLUSESSL_TRY), and
 * requires it (CURLUSESSL_ALL: never clear text) whenever we log in or the
 * configuration says so.  The relay's certificate is always verified (the
 * system's CAs or smtp_ca_file): a relay that offers STARTTLS with a
 * certificate we cannot trust gets nothing.  Results are sorted into sent,
 * worth a retry, and refused for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "callin/alloc.h"
#include "callin/log.h"
#include "callin/mailer.h"
#include "callin/readfile.h"

#if LIBCURL_VERSION_NUM < 0x080200
#define CURLOPT_MAIL_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define PASSWORD_MAX 1024 /* longest password file read */
#define REPLY_MAX 200	  /* longest relay reply kept for logs */

struct cl_smtp {
	CURL *curl;
	char *url;
	char *user; /* NULL: no AUTH */
	char *password;
	char *ca_file;	  /* NULL: the system's */
	int tls_required; /* STARTTLS on smtp:// */
	long connect_ms, timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
	char reply[REPLY_MAX]; /* the relay's last reply line */
};

/* A part's bytes as libcurl reads them. */
struct reader {
	const cl_buf *data;
	size_t pos;
};

/*
 * Read the password in path: the file's bytes without one trailing newline.
 * CL_ECONFIG with a message in err for a file that cannot be read, is not a
 * regular file, may be read by group or others, is empty or too long.
 */
static cl_err
read_password(const char *path, char **out, char *err, size_t errlen)
{
	unsigned char buf[PASSWORD_MAX + 2];
	char why[300];
	size_t got = 0;
	cl_err rc = CL_ECONFIG;

	if (cl_read_file(path, CL_READ_PRIVATE, buf, sizeof buf, &got, NULL,
		why, sizeof why) != CL_OK) {
		snprintf(err, errlen, "config: smtp_password_file: %s", why);
		goto err;
	}
	if (got > 0 && buf[got - 1] == '\n')
		got -= (got > 1 && buf[got - 2] == '\r') ? 2 : 1;
	if (got == 0 || got > PASSWORD_MAX || memchr(buf, '\0', got) != NULL) {
		snprintf(err, errlen,
		    "config: smtp_password_file: %s: empty, "
		    "longer than %d bytes or holding a NUL",
		    path, PASSWORD_MAX);
		goto err;
	}
	*out = cl_strndup((const char *)buf, got);
	rc = CL_OK;
err:
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

/*
 * libcurl debug callback: keep the relay's last reply line (the protocol
 * "header" lines coming in) for the log.  Nothing else is looked at.
 */
static int
on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct cl_smtp *s = arg;
	size_t i, n = 0;

	(void)c;
	if (type != CURLINFO_HEADER_IN)
		return 0;
	for (i = 0; i < size && n < sizeof s->reply - 1; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch == '\r' || ch == '\n')
			break;
		s->reply[n++] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
	}
	s->reply[n] = '\0';
	return 0;
}

/* Make a new easy handle with the options that hold for every message. */
static cl_err
new_handle(struct cl_smtp *s)
{
	CURL *c;

	if ((c = curl_easy_init()) == NULL)
		return CL_ENOMEM;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (s->timeout_ms + 999) / 1000);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLOWFAILS, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
	    s->tls_required ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	if (s->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password);
	}
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	s->curl = c;
	return CL_OK;
}

cl_err
cl_smtp_open(const cl_config *cfg, cl_smtp **out, char *err, size_t errlen)
{
	struct cl_smtp *s;
	int implicit_tls = strncmp(cfg->smtp_url, "smtps://", 8) == 0;
	const char *host;
	cl_err rc;

	*out = NULL;
	if (!implicit_tls && strncmp(cfg->smtp_url, "smtp://", 7) != 0) {
		snprintf(err, errlen,
		    "config: smtp_url: must start with "
		    "smtp:// or smtps://");
		return CL_ECONFIG;
	}
	/* A password in the URL would reach every log that names the relay. */
	host = cfg->smtp_url + (implicit_tls ? 8 : 7);
	if (memchr(host, '@', strcspn(host, "/?#")) != NULL) {
		snprintf(err, errlen,
		    "config: smtp_url: must not hold a user or password; "
		    "set smtp_user and smtp_password_file (mode 0600)");
		return CL_ECONFIG;
	}
	if ((cfg->smtp_user[0] != '\0') !=
	    (cfg->smtp_password_file[0] != '\0')) {
		snprintf(err, errlen, "config: %s: must be set when %s is",
		    cfg->smtp_user[0] ? "smtp_password_file" : "smtp_user",
		    cfg->smtp_user[0] ? "smtp_user" : "smtp_password_file");
		return CL_ECONFIG;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "mail: libcurl cannot start");
		return CL_ENOMEM;
	}
	s = cl_calloc(1, sizeof *s);
	s->url = cl_strdup(cfg->smtp_url);
	s->tls_required = !implicit_tls &&
	    (cfg->smtp_user[0] != '\0' || cfg->mail_require_tls);
	s->connect_ms = (long)cfg->mail_connect_timeout * 1000;
	s->timeout_ms = (long)cfg->mail_timeout * 1000;
	if (cfg->smtp_ca_file[0] != '\0')
		s->ca_file = cl_strdup(cfg->smtp_ca_file);
	if (cfg->smtp_user[0] != '\0') {
		s->user = cl_strdup(cfg->smtp_user);
		if ((rc = read_password(cfg->smtp_password_file, &s->password,
			 err, errlen)) != CL_OK)
			goto err;
	}
	if ((rc = new_handle(s)) != CL_OK) {
		snprintf(err, errlen, "mail: libcurl cannot start");
		goto err;
	}
	*out = s;
	return CL_OK;
err:
	cl_smtp_close(s);
	return rc;
}

/* libcurl read callback: the next bytes of a part from memory. */
static size_t
part_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nitems, left = r->data->len - r->pos;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, r->data->data + r->pos, n);
	r->pos += n;
	return n;
}

/* libcurl seek callback: rewind within a part (curl may read it twice). */
static int
part_seek(void *arg, curl_off_t off, int origin)
{
	struct reader *r = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > r->data->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->pos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* Append s to list; libcurl copies it.  Aborts when out of memory. */
static struct curl_slist *
slist_add(struct curl_slist *list, const char *s)
{
	struct curl_slist *l;

	if ((l = curl_slist_append(list, s)) == NULL) {
		cl_log(CL_LOG_ERROR, "out of memory");
		abort();
	}
	return l;
}

/* Build the MIME tree of msg, reading parts through readers. */
static CURLcode
build_mime(CURL *c, const cl_mail_msg *msg, struct reader *readers,
    curl_mime **out)
{
	curl_mime *mime;
	curl_mimepart *p;
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	size_t i;

	if ((*out = mime = curl_mime_init(c)) == NULL)
		return cc;
	for (i = 0; i < msg->nparts; i++) {
		const cl_mail_part *mp = &msg->parts[i];

		readers[i].data = &mp->data;
		readers[i].pos = 0;
		if ((p = curl_mime_addpart(mime)) == NULL ||
		    (cc = curl_mime_data_cb(p, (curl_off_t)mp->data.len,
			 part_read, part_seek, NULL, &readers[i])) !=
			CURLE_OK ||
		    (cc = curl_mime_type(p, mp->type)) != CURLE_OK ||
		    (mp->filename != NULL &&
			(cc = curl_mime_filename(p, mp->filename)) !=
			    CURLE_OK) ||
		    (cc = curl_mime_encoder(p,
			 mp->filename == NULL ? "quoted-printable" :
						"base64")) != CURLE_OK)
			return cc != CURLE_OK ? cc : CURLE_OUT_OF_MEMORY;
	}
	return CURLE_OK;
}

/* Return 1 if a failure with this curl code and reply says nothing about
 * the message itself but about reaching or using the relay. */
static int
relay_problem(CURLcode cc, long code)
{
	switch (cc) {
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_AUTH_ERROR: return 1;
	default: return code == 0 || code == 421 || code == 530;
	}
}

cl_err
cl_smtp_send(cl_smtp *s, const cl_mail_msg *msg, cl_smtp_result *res)
{
	struct curl_slist *rcpt = NULL, *hdrs = NULL;
	struct reader *readers;
	curl_mime *mime = NULL;
	CURLcode cc;
	size_t i;
	cl_err rc;

	memset(res, 0, sizeof *res);
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	for (i = 0; i < msg->nrcpt; i++)
		rcpt = slist_add(rcpt, msg->rcpt[i]);
	for (i = 0; i < msg->nheaders; i++)
		hdrs = slist_add(hdrs, msg->headers[i]);
	readers = cl_calloc(msg->nparts + 1, sizeof *readers);
	if ((cc = build_mime(s->curl, msg, readers, &mime)) == CURLE_OK) {
		curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, msg->env_from);
		curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, mime);
		cc = curl_easy_perform(s->curl);
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &res->code);
		curl_easy_setopt(s->curl, CURLOPT_MIMEPOST, NULL);
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	}
	if (cc == CURLE_OK) {
		rc = CL_OK;
		goto out;
	}
	res->relay_down = relay_problem(cc, res->code);
	rc = (res->code >= 500 && res->code <= 599 && !res->relay_down) ?
	    CL_EINVAL :
	    CL_EUNAVAIL;
	snprintf(res->why, sizeof res->why, "%s (curl error %d)%s%s",
	    s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc), (int)cc,
	    s->reply[0] ? "; the relay's last reply: " : "", s->reply);
out:
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdrs);
	free(readers);
	return rc;
}

void
cl_smtp_hangup(cl_smtp *s)
{
	CURL *old = s->curl;

	if (new_handle(s) == CL_OK)
		curl_easy_cleanup(old);
	else
		s->curl = old; /* keep the connection rather than none */
}

void
cl_smtp_close(cl_smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->url);
	free(s->user);
	if (s->password != NULL) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->ca_file);
	free(s);
	curl_global_cleanup();
}
