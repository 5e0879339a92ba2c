/*
 * fuzz_api.c - libFuzzer target for the HTTP API's request parser,
 * api_parse_request().
 *
 * Input: byte 0 picks the method (GET, HEAD, the other evhttp methods, a
 * lower-case "get", an empty one); the rest is the request target, cut
 * at its first NUL as evhttp would hand it over.  The target lives in a
 * buffer of exactly its size, and the error buffer too, so a read or a
 * write past either is an AddressSanitizer report.  Beyond "no crash":
 * the status is one the contract allows; an error comes with a message
 * that fits the buffer and is printable ASCII (it goes into JSON as is);
 * a 200 carries a request whose every field is valid by the rules the
 * server relies on; and parsing twice, with a 1-byte and a 0-byte error
 * buffer, gives the same status.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/addr.h"
#include "svcmap/alert.h"
#include "svcmap/api.h"
#include "svcmap/transport.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1705312800

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT",
	"PATCH", "get", ""
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static bool
key_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || (i > 0 && s[i] == '-')))
			return false;
	return i < STATS_KEY_LEN;
}

static void
check_request(const struct api_request *r, const char *method)
{
	struct cidr c;
	bool window = r->route == API_TOP || r->route == API_SERIES;

	if (r->route < API_SERVICES || r->route >= API__ROUTES)
		abort();
	if (r->head != (strcmp(method, "HEAD") == 0))
		abort();
	/* A web map file name never leaves its directory. */
	if (memchr(r->file, '\0', sizeof(r->file)) == NULL)
		abort();
	if (r->route == API_WEB && (r->file[0] == '\0' ||
	    r->file[0] == '.' || strchr(r->file, '/') != NULL ||
	    strchr(r->file, '\\') != NULL))
		abort();
	if (r->route != API_WEB && r->file[0] != '\0')
		abort();
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		abort();	/* 200 for a method the API refuses */
	if (memchr(r->host, '\0', sizeof(r->host)) == NULL ||
	    memchr(r->service, '\0', sizeof(r->service)) == NULL)
		abort();
	if (r->host[0] != '\0' && cidr_parse(&c, r->host) == -1)
		abort();
	if (!key_ok(r->service))
		abort();
	if (r->kind < -1 || r->kind >= ALERT__COUNT)
		abort();
	if (r->catalog.service != -1)
		abort();	/* resolved by the server, never the parser */
	if (r->catalog.port_given && (r->catalog.port == 0 ||
	    (r->catalog.transports[0] != TRANSPORT_TCP &&
	    r->catalog.transports[0] != TRANSPORT_UDP) ||
	    r->catalog.uuid_given || r->catalog.interfaces))
		abort();
	/* Parameters only a route takes appear on that route only. */
	if (r->route != API_SERVICES && !window &&
	    (r->host[0] != '\0' || r->all))
		abort();
	if (r->route != API_SERVICES && r->route != API_CATALOG && !window &&
	    r->service[0] != '\0')
		abort();
	if (r->route != API_SERVICES && r->route != API_ALERTS && !window &&
	    (r->since != 0 || r->until != 0))
		abort();
	if (!window && r->port != 0)
		abort();
	if (r->route != API_ALERTS && r->kind != -1)
		abort();
	if (r->route != API_CATALOG && (r->catalog.port_given ||
	    r->catalog.uuid_given || r->catalog.interfaces))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct api_request req, again;
	const char *method;
	char *uri, *err, one[1];
	size_t errlen = 256, n, i;
	int st;

	if (size < 1 || size > 2 * API_MAX_URI)
		return 0;
	method = methods[data[0] % NMETHODS];
	n = size - 1;
	if ((uri = malloc(n + 1)) == NULL || (err = malloc(errlen)) == NULL)
		abort();
	memcpy(uri, data + 1, n);
	uri[n] = '\0';

	st = api_parse_request(method, uri, NOW, &req, err, errlen);
	if (st != 200 && st != 400 && st != 404 && st != 405 && st != 414)
		abort();
	if (memchr(err, '\0', errlen) == NULL)
		abort();
	if (st == 200) {
		if (err[0] != '\0')
			abort();
		check_request(&req, method);
	} else {
		if (err[0] == '\0')
			abort();
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] > 0x7e)
				abort();
	}
	if (api_parse_request(method, uri, NOW, &again, one, 1) != st ||
	    one[0] != '\0')
		abort();
	if (api_parse_request(method, uri, NOW, &again, NULL, 0) != st)
		abort();
	free(uri);
	free(err);
	return 0;
}
