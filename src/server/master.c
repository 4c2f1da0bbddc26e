/*
 * master.c: the callin-fcgi master process.  It owns the listening socket,
 * keeps `workers` worker processes running, and handles signals
 * synchronously with sigtimedwait(2):
 *   SIGCHLD  reap; replace a worker that died (backoff when it died young)
 *   SIGTERM, SIGINT  drain: ask every worker to stop, wait for them, return
 *   SIGHUP   re-read the configuration, start a new set of workers, then
 *            drain the old ones: the socket never lacks a worker.
 * It keeps the helpers (signer, committer) the same way: replaced when they
 * die, rolled over on SIGHUP (the old one stops once the new one reports
 * ready), stopped after the last worker on SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "callin/alloc.h"
#include "callin/clock.h"
#include "callin/err.h"
#include "callin/ipc.h"
#include "callin/log.h"
#include "callin/metrics.h"
#include "server_impl.h"

#define MAX_WORKERS 256
#define DRAIN_SECONDS 60
#define HANDOVER_SECONDS 10 /* longest wait for a reloaded helper to be ready */

struct slot {
	pid_t pid;	   /* 0: empty */
	int gen;	   /* configuration generation it runs */
	double started;	   /* monotonic seconds */
	double respawn_at; /* when an empty slot may be refilled */
	double backoff;	   /* seconds to wait after a young death */
};

/* A helper process, its predecessor during a reload, and its hub. */
struct helper {
	struct slot s;
	pid_t old;	    /* being replaced after a reload, 0: none */
	int old_stopped;    /* SIGTERM sent to old */
	double handover_by; /* stop old by then, ready or not */
	int hub[2];	    /* CL_IPC_SERVER, CL_IPC_CLIENT */
};

struct master {
	int lfd;
	cl_config *cfg;
	const cl_server_hooks *hooks;
	int gen;
	struct slot slots[MAX_WORKERS];
	pid_t old[MAX_WORKERS]; /* draining after a reload */
	int nold;
	int64_t restarts;
	struct helper helpers[CL_SERVER_HELPERS_MAX];
	int client_hubs[CL_SERVER_HELPERS_MAX];
	cl_addr_list allow; /* fastcgi_allow_from, as at start */
};

/* Fork one worker into slot s.  Logs and leaves the slot empty on failure. */
static void
spawn(struct master *m, struct slot *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		cl_log(CL_LOG_ERROR, "master: fork: %s", strerror(errno));
		s->respawn_at = cl_mono_s() + 1;
		return;
	}
	if (pid == 0) {
		for (size_t i = 0; i < m->hooks->nhelpers; i++)
			close(m->helpers[i].hub[CL_IPC_SERVER]);
		cl_worker_main(m->lfd, m->cfg, m->hooks, m->client_hubs,
		    m->allow.n > 0 ? &m->allow : NULL);
	}
	s->pid = pid;
	s->gen = m->gen;
	s->started = cl_mono_s();
}

/* Whether the configuration asks for helper i.  Cannot fail. */
static int
wanted(const struct master *m, size_t i)
{
	const cl_server_helper *h = &m->hooks->helpers[i];

	return h->wanted == NULL || h->wanted(m->cfg);
}

/*
 * Fork helper i: the child keeps only its hub's server end (no listening
 * socket, no other hub) and runs the helper.  Logs and leaves the slot
 * empty on failure.
 */
static void
spawn_helper(struct master *m, size_t i)
{
	const cl_server_helper *h = &m->hooks->helpers[i];
	struct helper *hp = &m->helpers[i];
	char name[16];
	pid_t pid = fork();

	if (pid < 0) {
		cl_log(CL_LOG_ERROR, "master: fork %s: %s", h->name,
		    strerror(errno));
		hp->s.respawn_at = cl_mono_s() + 1;
		return;
	}
	if (pid == 0) {
		for (size_t j = 0; j < m->hooks->nhelpers; j++) {
			close(m->helpers[j].hub[CL_IPC_CLIENT]);
			if (j != i)
				close(m->helpers[j].hub[CL_IPC_SERVER]);
		}
		close(m->lfd);
		snprintf(name, sizeof name, "callin-%s", h->name);
		prctl(PR_SET_NAME, name, 0, 0, 0);
		h->main(m->cfg, hp->hub[CL_IPC_SERVER]);
		_exit(1); /* not reached */
	}
	hp->s.pid = pid;
	hp->s.gen = m->gen;
	hp->s.started = cl_mono_s();
}

/* Fill every empty slot whose backoff has passed. */
static void
fill(struct master *m)
{
	double t = cl_mono_s();

	for (size_t i = 0; i < m->hooks->nhelpers; i++)
		if (m->helpers[i].s.pid == 0 &&
		    m->helpers[i].s.respawn_at <= t && wanted(m, i))
			spawn_helper(m, i);
	for (int i = 0; i < m->cfg->workers; i++)
		if (m->slots[i].pid == 0 && m->slots[i].respawn_at <= t)
			spawn(m, &m->slots[i]);
}

/*
 * After a reload: stop each helper's predecessor once the new helper has
 * reported ready, or once it has had HANDOVER_SECONDS, or at once when the
 * configuration no longer wants it.  Cannot fail.
 */
static void
handover(struct master *m)
{
	for (size_t i = 0; i < m->hooks->nhelpers; i++) {
		struct helper *hp = &m->helpers[i];

		if (hp->old == 0 || hp->old_stopped)
			continue;
		if (!wanted(m, i) || cl_mono_s() > hp->handover_by ||
		    (hp->s.pid != 0 &&
			cl_metrics_helper_pid(m->hooks->helpers[i].id) ==
			    hp->s.pid)) {
			kill(hp->old, SIGTERM);
			hp->old_stopped = 1;
		}
	}
}

/*
 * Count the death of a process that ran in slot s and schedule its
 * replacement: at once after a clean exit (recycled), else after a backoff
 * that doubles (from 0.1 s to 30 s) while it keeps dying young.  Logs what
 * happened to it, named by what.  Cannot fail.
 */
static void
schedule(struct slot *s, pid_t pid, int status, const char *what)
{
	double t = cl_mono_s();

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		s->backoff = 0;
		s->respawn_at = t;
		return;
	}
	if (t - s->started < 5)
		s->backoff = s->backoff ? s->backoff * 2 : 0.1;
	else
		s->backoff = 0;
	if (s->backoff > 30)
		s->backoff = 30;
	s->respawn_at = t + s->backoff;
	if (WIFSIGNALED(status))
		cl_log(CL_LOG_WARN,
		    "master: %s %ld killed by signal %d; replacing in %.1f s",
		    what, (long)pid, WTERMSIG(status), s->backoff);
	else
		cl_log(CL_LOG_WARN,
		    "master: %s %ld exited with %d; replacing in %.1f s", what,
		    (long)pid, WEXITSTATUS(status), s->backoff);
}

/*
 * If pid was a helper (current or being replaced), note that it is gone
 * and, unless draining, schedule its replacement.  Returns whether it was
 * one.  Cannot fail.
 */
static int
reap_helper(struct master *m, pid_t pid, int status, int draining)
{
	for (size_t i = 0; i < m->hooks->nhelpers; i++) {
		const cl_server_helper *h = &m->hooks->helpers[i];
		struct helper *hp = &m->helpers[i];

		if (hp->old == pid) {
			cl_metrics_helper_gone(h->id, pid);
			hp->old = 0;
			return 1;
		}
		if (hp->s.pid != pid)
			continue;
		cl_metrics_helper_gone(h->id, pid);
		hp->s.pid = 0;
		if (!draining) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				cl_metrics_add(h->restarts, 1);
			schedule(&hp->s, pid, status, h->name);
		}
		return 1;
	}
	return 0;
}

/* Reap exited children; schedule replacements for workers that died. */
static void
reap(struct master *m, int draining)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int found = reap_helper(m, pid, status, draining);

		for (int i = 0; !found && i < m->nold; i++)
			if (m->old[i] == pid) {
				m->old[i] = m->old[--m->nold];
				found = 1;
			}
		for (int i = 0; !found && i < MAX_WORKERS; i++) {
			struct slot *s = &m->slots[i];

			if (s->pid != pid)
				continue;
			found = 1;
			s->pid = 0;
			if (draining)
				break;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				m->restarts++;
				cl_metrics_add(CL_C_WORKER_RESTARTS, 1);
			}
			schedule(s, pid, status, "worker");
		}
	}
}

/* Workers running, current and draining.  Cannot fail. */
static int
live(const struct master *m)
{
	int n = m->nold;

	for (int i = 0; i < MAX_WORKERS; i++)
		n += m->slots[i].pid != 0;
	return n;
}

/* Helpers running, current and being replaced.  Cannot fail. */
static int
live_helpers(const struct master *m)
{
	int n = 0;

	for (size_t i = 0; i < m->hooks->nhelpers; i++)
		n += (m->helpers[i].s.pid != 0) + (m->helpers[i].old != 0);
	return n;
}

/* Send sig to every worker.  Cannot fail. */
static void
signal_workers(const struct master *m, int sig)
{
	for (int i = 0; i < MAX_WORKERS; i++)
		if (m->slots[i].pid != 0)
			kill(m->slots[i].pid, sig);
	for (int i = 0; i < m->nold; i++)
		kill(m->old[i], sig);
}

/* Send sig to every helper.  Cannot fail. */
static void
signal_helpers(const struct master *m, int sig)
{
	for (size_t i = 0; i < m->hooks->nhelpers; i++) {
		if (m->helpers[i].s.pid != 0)
			kill(m->helpers[i].s.pid, sig);
		if (m->helpers[i].old != 0)
			kill(m->helpers[i].old, sig);
	}
}

/* Re-read the configuration and roll the workers over to it. */
static void
reload(struct master *m, const char *config_path)
{
	cl_config *next = cl_calloc(1, sizeof *next);
	char err[512];

	if (cl_config_load(config_path, next, err, sizeof err) != CL_OK)
		goto refused;
	if (m->hooks->check != NULL &&
	    m->hooks->check(next, err, sizeof err) != CL_OK) {
		cl_config_free(next);
		goto refused;
	}
	if (strcmp(next->listen, m->cfg->listen) != 0 ||
	    strcmp(next->listen_group, m->cfg->listen_group) != 0 ||
	    strcmp(next->fastcgi_allow_from, m->cfg->fastcgi_allow_from) != 0)
		cl_log(CL_LOG_WARN,
		    "master: listen, listen_group or fastcgi_allow_from "
		    "changed; takes effect at restart");
	if (next->workers > MAX_WORKERS)
		next->workers = MAX_WORKERS;
	/* Old workers keep their copy of the configuration (fork copied it). */
	for (int i = 0; i < MAX_WORKERS; i++)
		if (m->slots[i].pid != 0 && m->nold < MAX_WORKERS) {
			m->old[m->nold++] = m->slots[i].pid;
			m->slots[i].pid = 0;
		}
	/* Helpers too: each keeps serving until its successor is ready. */
	for (size_t i = 0; i < m->hooks->nhelpers; i++) {
		struct helper *hp = &m->helpers[i];

		if (hp->s.pid == 0)
			continue;
		if (hp->old != 0 && !hp->old_stopped)
			kill(hp->old,
			    SIGTERM); /* a reload before the last one settled */
		if (hp->old != 0)
			kill(hp->s.pid,
			    SIGTERM); /* only one predecessor is tracked */
		else
			hp->old = hp->s.pid;
		hp->old_stopped = 0;
		hp->handover_by = cl_mono_s() + HANDOVER_SECONDS;
		hp->s.pid = 0;
		hp->s.respawn_at = 0;
		hp->s.backoff = 0;
	}
	cl_config_free(m->cfg);
	free(m->cfg);
	m->cfg = next;
	m->gen++;
	for (int i = 0; i < MAX_WORKERS; i++) {
		m->slots[i].respawn_at = 0;
		m->slots[i].backoff = 0;
	}
	fill(m);
	for (int i = 0; i < m->nold; i++)
		kill(m->old[i], SIGTERM);
	cl_log(CL_LOG_INFO, "master: reloaded; %lld new workers, %d draining",
	    (long long)m->cfg->workers, m->nold);
	return;
refused:
	cl_log(CL_LOG_ERROR,
	    "master: reload refused, keeping the running configuration: %s",
	    err);
	free(next);
}

/*
 * Wait, reaping, until count(m) is 0; after DRAIN_SECONDS send SIGKILL with
 * kill_all and wait again.  Cannot fail.
 */
static void
wait_gone(struct master *m, sigset_t *set, int (*count)(const struct master *),
    void (*kill_all)(const struct master *, int), const char *what)
{
	double deadline = cl_mono_s() + DRAIN_SECONDS;

	while (count(m) > 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		reap(m, 1);
		if (count(m) == 0)
			break;
		if (cl_mono_s() > deadline) {
			cl_log(CL_LOG_WARN,
			    "master: %s did not stop in %d s; killing", what,
			    DRAIN_SECONDS);
			kill_all(m, SIGKILL);
			deadline = cl_mono_s() + DRAIN_SECONDS;
		}
		sigtimedwait(set, NULL, &ts);
	}
}

/*
 * Stop every worker (SIGTERM: each finishes its request), then, once the
 * last is gone, every helper (each finishes the batch under way).
 */
static void
drain(struct master *m, sigset_t *set)
{
	signal_workers(m, SIGTERM);
	wait_gone(m, set, live, signal_workers, "workers");
	signal_helpers(m, SIGTERM);
	wait_gone(m, set, live_helpers, signal_helpers, "helpers");
}

/* Is fd 0 a listening socket handed to us (spawn-fcgi, systemd StandardInput=socket)? */
static int
inherited_socket(void)
{
	int acc = 0;
	socklen_t len = sizeof acc;

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

cl_err
cl_server_run(const char *config_path, cl_config *cfg,
    const cl_server_hooks *hooks)
{
	struct master m;
	sigset_t set;
	char err[512];
	int running = 1, bound_path = 0;

	memset(&m, 0, sizeof m);
	m.cfg = cl_malloc(sizeof *m.cfg); /* ours from now on */
	*m.cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	cfg = m.cfg;
	m.hooks = hooks;
	if (cfg->workers > MAX_WORKERS)
		cfg->workers = MAX_WORKERS;
	if (cl_metrics_init() != CL_OK)
		cl_log(CL_LOG_WARN,
		    "master: no shared memory for metrics; /metrics will be empty");
	if (inherited_socket()) {
		int fl;

		m.lfd = 0;
		fl = fcntl(0, F_GETFL);
		fcntl(0, F_SETFL, fl | O_NONBLOCK);
		cl_log(CL_LOG_INFO,
		    "master: using the listening socket on fd 0");
	} else {
		if (cl_server_listen(cfg->listen, cfg->listen_group, &m.lfd,
			err, sizeof err) != CL_OK) {
			cl_log(CL_LOG_ERROR, "%s", err);
			cl_config_free(m.cfg);
			free(m.cfg);
			return CL_EIO;
		}
		bound_path = strchr(cfg->listen, ':') == NULL ||
		    strncmp(cfg->listen, "unix:", 5) == 0;
	}
	if (cl_server_check_reach(m.lfd, cfg, &m.allow, err, sizeof err) !=
	    CL_OK) {
		cl_log(CL_LOG_ERROR, "%s", err);
		if (bound_path)
			unlink(strncmp(cfg->listen, "unix:", 5) == 0 ?
				cfg->listen + 5 :
				cfg->listen);
		if (m.lfd > 0)
			close(m.lfd);
		cl_config_free(m.cfg);
		free(m.cfg);
		return CL_ECONFIG;
	}

	CL_ASSERT(hooks->nhelpers <= CL_SERVER_HELPERS_MAX);
	for (size_t i = 0; i < hooks->nhelpers; i++) {
		if (cl_ipc_hub(m.helpers[i].hub) != CL_OK) {
			cl_log(CL_LOG_ERROR, "master: cannot make the %s's hub",
			    hooks->helpers[i].name);
			for (size_t j = 0; j < i; j++) {
				close(m.helpers[j].hub[0]);
				close(m.helpers[j].hub[1]);
			}
			if (m.lfd > 0)
				close(m.lfd);
			cl_config_free(m.cfg);
			free(m.cfg);
			return CL_EIO;
		}
		m.client_hubs[i] = m.helpers[i].hub[CL_IPC_CLIENT];
	}

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	cl_log(CL_LOG_INFO, "master: listening on %s with %lld workers",
	    cfg->listen, (long long)cfg->workers);

	while (running) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		int sig;

		fill(&m);
		handover(&m);
		sig = sigtimedwait(&set, NULL, &ts);
		switch (sig) {
		case SIGCHLD: reap(&m, 0); break;
		case SIGHUP: reload(&m, config_path); break;
		case SIGTERM:
		case SIGINT: running = 0; break;
		default:
			reap(&m, 0); /* a missed SIGCHLD coalesced: harmless */
			break;
		}
	}
	cl_log(CL_LOG_INFO, "master: stopping; draining workers");
	drain(&m, &set);
	if (bound_path)
		unlink(strncmp(m.cfg->listen, "unix:", 5) == 0 ?
			m.cfg->listen + 5 :
			m.cfg->listen);
	if (m.lfd > 0)
		close(m.lfd);
	for (size_t i = 0; i < hooks->nhelpers; i++) {
		close(m.helpers[i].hub[0]);
		close(m.helpers[i].hub[1]);
	}
	cl_config_free(m.cfg);
	free(m.cfg);
	cl_log(CL_LOG_INFO, "master: stopped");
	return CL_OK;
}
