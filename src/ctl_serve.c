/*
 * ctl_serve.c - svcmapctl serve: the API and the web map over a database
 * file, without a daemon.
 *
 * The daemon's own API code (api.c) answers: the same routes, the same
 * reader threads, each with its read-only connection, the same limits;
 * only /v1/status and /metrics, which describe a running capture, answer
 * 503 here.  Nothing is written: the database may be a copy, a file from
 * another sensor, or the live one while svcmapd writes it (WAL readers
 * never block the writer).  Loopback by default, as the daemon's API.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "svcmap/addr.h"
#include "svcmap/api.h"
#include "svcmap/catalog.h"
#include "svcmap/query.h"
#include "ctl.h"

/* Beside the daemon's 8135, so both can run on one host. */
#define SERVE_LISTEN	"127.0.0.1:8136"

static const char serve_usage[] =
    "serve [-d DB] [--listen IPv4:PORT|[IPv6]:PORT]";

/* Whether ss is a loopback address (127/8, ::1, ::ffff:127/104). */
static bool
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
	    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
	    sin6->sin6_addr.s6_addr[12] == 127));
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

int
ctl_serve(int argc, char **argv, const struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const int sigs[] = { SIGINT, SIGTERM };
	const char *listen = SERVE_LISTEN, *db = o->db_path;
	struct event *sig_ev[2] = { NULL, NULL };
	struct sockaddr_storage ss;
	struct event_base *base = NULL;
	struct catalog *cat = NULL;
	struct api_config ac;
	struct api *api = NULL;
	struct reader *rd;
	char err[512], web[4096], host[64];
	unsigned seen = 0;
	int ch, len, ret = CTL_ERROR;
	size_t i;

	/* -d after the command too: "svcmapctl serve -d DB" (issue 16). */
	while ((ch = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (ctl_once(&seen, 2, "d", serve_usage) == -1)
				return CTL_USAGE;
			db = optarg;
			break;
		case 'l':
			if (ctl_once(&seen, 1, "listen", serve_usage) == -1)
				return CTL_USAGE;
			listen = optarg;
			break;
		default:
			fprintf(stderr, "usage: svcmapctl %s\n", serve_usage);
			return CTL_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: svcmapctl %s\n", serve_usage);
		return CTL_USAGE;
	}
	if (addr_parse_listen(listen, true, &ss, &len) == -1) {
		fprintf(stderr, "svcmapctl: --listen \"%s\" is not IPv4:PORT "
		    "or [IPv6]:PORT (numeric, port 0..65535)\n", listen);
		return CTL_USAGE;
	}
	if (db == NULL || db[0] == '\0') {
		fprintf(stderr, "svcmapctl: no database: use -d or set db_path "
		    "in the configuration\n");
		return CTL_ERROR;
	}
	/* A database that cannot be read is an error now, not a 503 later. */
	if ((rd = reader_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		return CTL_ERROR;
	}
	reader_close(rd);

	cat = catalog_open(o->data_dir, o->local_catalog != NULL &&
	    o->local_catalog[0] != '\0' ? o->local_catalog : NULL, err,
	    sizeof(err));
	if (cat == NULL)
		fprintf(stderr, "svcmapctl: warning: catalog not loaded (%s): "
		    "showing service keys without names\n", err);
	snprintf(web, sizeof(web), "%s/web", o->data_dir);
	if (access(web, R_OK | X_OK) == -1)
		fprintf(stderr, "svcmapctl: warning: no web map in %s: only "
		    "the /v1 routes are served\n", web);

	/* The reader threads wake the loop with event_active(). */
	evthread_use_pthreads();
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "svcmapctl: cannot create the event loop\n");
		goto out;
	}
	api_config_defaults(&ac);
	ac.web_dir = web;
	if ((api = api_start_config(base, listen, db, cat, &ac, NULL,
	    NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "svcmapctl: %s\n", err);
		goto out;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if ((sig_ev[i] = evsignal_new(base, sigs[i], on_stop,
		    base)) == NULL || event_add(sig_ev[i], NULL) == -1) {
			fprintf(stderr, "svcmapctl: cannot watch signals\n");
			goto out;
		}
	if (!is_loopback(&ss))
		fprintf(stderr, "svcmapctl: warning: %s is reachable beyond "
		    "this host and has no authentication: anyone who reaches "
		    "it can read the service map\n", listen);

	/* The port the kernel chose for :0; a script reads this line. */
	if (ss.ss_family == AF_INET6) {
		host[0] = '[';
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host + 1, sizeof(host) - 2);
		strcat(host, "]");
	} else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    host, sizeof(host));
	printf("serving %s read-only at http://%s:%u/\n", db, host,
	    (unsigned)api_port(api));
	fflush(stdout);

	if (event_base_dispatch(base) == -1)
		fprintf(stderr, "svcmapctl: the event loop failed\n");
	else
		ret = CTL_OK;
out:
	for (i = 0; i < sizeof(sig_ev) / sizeof(sig_ev[0]); i++)
		if (sig_ev[i] != NULL)
			event_free(sig_ev[i]);
	api_stop(api);
	if (base != NULL)
		event_base_free(base);
	if (cat != NULL)
		catalog_destroy(cat);
	return ret;
}
