/*
 * test_config.c - svcmapd.conf: defaults, every good and bad file under
 * tests/conf, units, quoting, print/load round trip, reload, and the
 * example file and manual agreeing with the directive table.
 *
 * Each tests/conf/bad-*.conf starts with "# expect: TEXT" and
 * "# expect-line: N" (and "# expect-errors: N" when it has more than one
 * bad line): loading it must fail, the first error must be at line N and
 * contain TEXT, and exactly that many errors must be reported.
 */
#include <sys/types.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../src/config.c"
#include "tap.h"

struct collect {
	int		 n;
	unsigned	 first_line;
	char		 first[512];
};

static void
collect_fn(void *arg, const char *file, unsigned line, const char *msg)
{
	struct collect *c = arg;

	(void)file;
	if (c->n++ == 0) {
		c->first_line = line;
		snprintf(c->first, sizeof(c->first), "%s", msg);
	}
}

static int
load_text(struct config *cfg, const char *text, struct collect *c)
{
	FILE *fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	int rc;

	memset(c, 0, sizeof(*c));
	if (fp == NULL)
		return -2;
	rc = config_load_stream(cfg, fp, "text", collect_fn, c);
	fclose(fp);
	return rc;
}

static int
load_file(struct config *cfg, const char *path, struct collect *c)
{
	FILE *fp = fopen(path, "r");
	int rc;

	memset(c, 0, sizeof(*c));
	if (fp == NULL)
		return -2;
	rc = config_load_stream(cfg, fp, path, collect_fn, c);
	fclose(fp);
	return rc;
}

/* How many rows differ between two configurations. */
static int
differences(const struct config *a, const struct config *b, const char *skip)
{
	const struct directive *d;
	int n = 0;

	for (d = directives; d < directives + NDIRECTIVES; d++) {
		if (skip != NULL && strstr(skip, d->name) != NULL)
			continue;
		if (!field_equal(d, a, b)) {
			printf("#   %s differs\n", d->name);
			n++;
		}
	}
	return n;
}

static const char *
srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s != NULL ? s : SVCMAP_SRCDATADIR "/..";
}

static void
test_defaults(void)
{
	struct config c;

	config_defaults(&c);
	is_int(c.ninterfaces, 0, "defaults: no interface");
	is_str(c.bpf, "", "defaults: no bpf filter");
	is_int(c.snaplen, 65535, "defaults: snaplen 65535");
	is_int(c.buffer_mb, 64, "defaults: buffer-size 64 MiB");
	ok(c.promisc, "defaults: promisc yes");
	is_int(c.ring_bytes, 64 * 1024 * 1024, "defaults: ring-size 64m");
	is_str(c.db_path, SVCMAP_LOCALSTATEDIR "/svcmap.db",
	    "defaults: database under localstatedir");
	is_int(c.flush_interval_s, 10, "defaults: flush-interval 10s");
	is_int(c.bucket_s, 60, "defaults: bucket 60s");
	is_int(c.retention_minute_days, 7, "defaults: retention-minutes 7d");
	is_int(c.retention_hour_days, 90, "defaults: retention-hours 90d");
	is_int(c.retention_day_days, 0, "defaults: retention-days forever");
	is_int(c.flow_capacity, 1048576, "defaults: flow-capacity");
	is_int(c.tcp_idle_s, 300, "defaults: tcp-idle-timeout 300s");
	is_int(c.tcp_closed_s, 10, "defaults: tcp-closed-timeout 10s");
	is_int(c.udp_idle_s, 60, "defaults: udp-idle-timeout 60s");
	is_int(c.other_idle_s, 60, "defaults: other-idle-timeout 60s");
	is_int(c.dpi_max_packets, 32, "defaults: dpi-max-packets 32");
	is_int(c.dpi_max_flows, 65536, "defaults: dpi-max-flows 65536");
	ok(!c.dpi_outbound, "defaults: dpi-outbound no");
	is_int(c.rpc_max_frag, 65535, "defaults: rpc-max-fragment 65535");
	is_int(c.rpc_max_reassembly, 1048576,
	    "defaults: rpc-max-reassembly 1 MiB");
	is_int(c.endpoint_capacity, 65536, "defaults: endpoint-capacity");
	is_int(c.endpoint_expiry_s, 86400, "defaults: endpoint-expiry 24h");
	is_int(c.rpc_operations_capacity, 4096,
	    "defaults: rpc-operations-capacity 4096");
	is_int(c.nmonitored, 6, "defaults: six monitored networks");
	{
		char buf[64];

		is_str(cidr_fmt(&c.monitored[0], buf, sizeof(buf)),
		    "10.0.0.0/8", "defaults: first monitored 10.0.0.0/8");
		is_str(cidr_fmt(&c.monitored[4], buf, sizeof(buf)),
		    "fe80::/10", "defaults: fifth monitored fe80::/10");
	}
	is_str(c.data_dir, "", "defaults: built-in data-dir");
	is_str(c.local_catalog, SVCMAP_SYSCONFDIR "/local.catalog",
	    "defaults: local-catalog under sysconfdir");
	ok(c.alert_kind[0].enabled && c.alert_kind[0].severity == 4,
	    "defaults: undocumented_service on, severity 4");
	ok(c.alert_kind[1].enabled && c.alert_kind[1].severity == 3,
	    "defaults: protocol_mismatch on, severity 3");
	ok(c.alert_kind[2].enabled && c.alert_kind[2].severity == 2,
	    "defaults: unmapped_dynamic_port on, severity 2");
	ok(c.alert_kind[3].enabled && c.alert_kind[3].severity == 2,
	    "defaults: new_service on, severity 2");
	is_int(c.nignore, 0, "defaults: no alert-ignore rule");
	ok(c.alert_kind[4].enabled && c.alert_kind[4].severity == 4,
	    "defaults: sensitive_operation on, severity 4");
	is_int(c.nwatch, 0, "defaults: no alert-operation line");
	ok(c.watch_defaults, "defaults: alert-operation-defaults yes");
	is_int(c.storm_calls, 10, "defaults: alert-operation-storm 10");
	is_int(c.storm_window_s, 60,
	    "defaults: alert-operation-storm-window 1m");
	is_int(c.alert_quiet_s, 86400, "defaults: alert-quiet-period 24h");
	is_int(c.alert_learning_s, 3600, "defaults: alert-learning-period 1h");
	is_int(c.alert_rate_per_min, 60, "defaults: alert-rate-limit 60");
	is_str(c.alert_jsonl, "", "defaults: no alert-jsonl");
	ok(!c.alert_syslog, "defaults: alert-syslog no");
	is_int(c.syslog_facility, LOG_DAEMON, "defaults: facility daemon");
	is_str(c.api_listen, "127.0.0.1:8135", "defaults: api-listen");
	is_str(c.user, "svcmap", "defaults: user svcmap");
	ok(c.sensor[0] != '\0', "defaults: sensor named after the host");
	is_str(c.pidfile, "", "defaults: no pidfile");
}

static void
test_numbers(void)
{
	static const struct {
		const char	*text;
		enum unit	 unit;
		enum num_result	 want;
		uint64_t	 value;
	} t[] = {
		{ "10", U_SECONDS, NUM_OK, 10 },
		{ "10s", U_SECONDS, NUM_OK, 10 },
		{ "2m", U_SECONDS, NUM_OK, 120 },
		{ "1h", U_SECONDS, NUM_OK, 3600 },
		{ "7d", U_SECONDS, NUM_OK, 604800 },
		{ "7d", U_DAYS, NUM_OK, 7 },
		{ "7", U_DAYS, NUM_OK, 7 },
		{ "64k", U_BYTES, NUM_OK, 65536 },
		{ "4M", U_BYTES, NUM_OK, 4194304 },
		{ "1g", U_BYTES, NUM_OK, 1073741824 },
		{ "18446744073709551615", U_NONE, NUM_OK, UINT64_MAX },
		{ "18446744073709551616", U_NONE, NUM_RANGE, 0 },
		{ "17179869184g", U_BYTES, NUM_RANGE, 0 },
		{ "7d", U_NONE, NUM_SYNTAX, 0 },
		{ "7h", U_DAYS, NUM_SYNTAX, 0 },
		{ "1M", U_SECONDS, NUM_SYNTAX, 0 },
		{ "10ms", U_SECONDS, NUM_SYNTAX, 0 },
		{ "-1", U_NONE, NUM_SYNTAX, 0 },
		{ "+1", U_NONE, NUM_SYNTAX, 0 },
		{ " 1", U_NONE, NUM_SYNTAX, 0 },
		{ "", U_NONE, NUM_SYNTAX, 0 },
		{ "0x10", U_NONE, NUM_SYNTAX, 0 },
	};
	static const struct {
		uint64_t	 v;
		enum unit	 unit;
		const char	*want;
	} f[] = {
		{ 3600, U_SECONDS, "1h" }, { 90, U_SECONDS, "90s" },
		{ 300, U_SECONDS, "5m" }, { 172800, U_SECONDS, "2d" },
		{ 65535, U_BYTES, "65535" }, { 1048576, U_BYTES, "1m" },
		{ 262144, U_BYTES, "256k" }, { 0, U_DAYS, "0" },
		{ 90, U_DAYS, "90d" }, { 65536, U_NONE, "65536" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0;
		enum num_result r = parse_number(t[i].text, t[i].unit, &v);

		ok(r == t[i].want && (r != NUM_OK || v == t[i].value),
		    "number \"%s\" (unit %d) parses as %d/%llu", t[i].text,
		    t[i].unit, t[i].want, (unsigned long long)t[i].value);
	}
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		is_str(fmt_number(f[i].v, f[i].unit, buf, sizeof(buf)),
		    f[i].want, "number %llu prints as %s",
		    (unsigned long long)f[i].v, f[i].want);
}

static void
test_words(void)
{
	char line[128], *argv[8];
	const char *why = NULL;

	snprintf(line, sizeof(line), "a \"b c\" \"\" \"q\\\"\\\\\\x\" # d e");
	is_int(tokenize(line, argv, 8, &why), 4, "tokenize: comment ends line");
	is_str(argv[1], "b c", "tokenize: quoted word keeps blanks");
	is_str(argv[2], "", "tokenize: \"\" is an empty word");
	is_str(argv[3], "q\"\\\\x", "tokenize: \\\" and \\\\ unescape, "
	    "other backslashes stay");
	snprintf(line, sizeof(line), "a b#c");
	is_int(tokenize(line, argv, 8, &why), 2,
	    "tokenize: '#' inside a word is text");
	is_str(argv[1], "b#c", "tokenize: word with '#' kept whole");
	snprintf(line, sizeof(line), "a b c d");
	is_int(tokenize(line, argv, 3, &why), -1, "tokenize: word limit");

	ok(listen_valid("off"), "api-listen: off");
	ok(listen_valid("127.0.0.1:8135"), "api-listen: IPv4:port");
	ok(listen_valid("[::1]:8135"), "api-listen: [IPv6]:port");
	ok(!listen_valid("::1:8135"), "api-listen: IPv6 needs brackets");
	ok(!listen_valid("[::1]8135"), "api-listen: bracket then colon");
	ok(!listen_valid("localhost:8135"), "api-listen: no host names");
	ok(!listen_valid("127.0.0.1:65536"), "api-listen: port above 65535");
	ok(!listen_valid("127.0.0.1:"), "api-listen: empty port");
	ok(!listen_valid("127.0.0.1"), "api-listen: port required");
	ok(!listen_valid("[]:80"), "api-listen: empty IPv6");
}

/* The values good-full.conf sets, read back. */
static void
check_full(const struct config *c)
{
	char buf[64];

	ok(c->ninterfaces == 2 && strcmp(c->interfaces[1], "eth2") == 0,
	    "full: two interfaces");
	is_str(c->bpf, "not port 22", "full: unquoted bpf-filter");
	is_int(c->snaplen, 1500, "full: snaplen");
	ok(!c->promisc, "full: promisc no");
	is_int(c->bucket_s, 300, "full: bucket 5m");
	is_int(c->retention_minute_days, 14, "full: retention-minutes 14");
	is_int(c->retention_hour_days, 180, "full: retention-hours 180d");
	is_int(c->tcp_idle_s, 600, "full: tcp-idle-timeout 10m");
	is_int(c->other_idle_s, 90, "full: other-idle-timeout 90s");
	ok(c->dpi_outbound, "full: dpi-outbound yes");
	is_int(c->rpc_max_frag, 16384, "full: rpc-max-fragment 16k");
	is_int(c->rpc_max_reassembly, 4194304, "full: rpc-max-reassembly 4M");
	is_int(c->rpc_operations_capacity, 8192,
	    "full: rpc-operations-capacity 8192");
	is_int(c->nmonitored, 3,
	    "full: monitored-networks replaces the default, then appends");
	is_str(cidr_fmt(&c->monitored[2], buf, sizeof(buf)), "2001:db8::/32",
	    "full: third network from the second line");
	ok(c->alert_kind[0].enabled && c->alert_kind[0].severity == 5,
	    "full: alert severity set");
	ok(!c->alert_kind[1].enabled && c->alert_kind[1].severity == 3,
	    "full: alert off keeps the default severity");
	is_int(c->nignore, 5, "full: five alert-ignore rules");
	ok(c->ignore[0].has_cidr && c->ignore[0].port == 0,
	    "full: host-only rule");
	ok(!c->ignore[1].has_cidr && c->ignore[1].port == 8080 &&
	    c->ignore[1].transport == TRANSPORT_TCP, "full: port/tcp rule");
	ok(c->ignore[3].has_cidr && c->ignore[3].port == 161 &&
	    c->ignore[3].transport == TRANSPORT_UDP,
	    "full: port before host, udp");
	ok(c->ignore[4].port == 5985 && c->ignore[4].transport == 0,
	    "full: port without transport matches both");
	is_int(c->alert_learning_s, 0, "full: alert-learning-period 0");
	is_int(c->syslog_facility, LOG_LOCAL3, "full: facility local3");
	is_str(c->api_listen, "[::1]:9000", "full: api-listen IPv6");
	is_str(c->sensor, "dc-span-01", "full: sensor");
}

static void
test_files(void)
{
	char dir[1024], path[2048], text[512], *p;
	struct dirent **ents;
	struct config cfg;
	struct collect c;
	int i, n, ngood = 0, nbad = 0;

	snprintf(dir, sizeof(dir), "%s/tests/conf", srcdir());
	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		ok(0, "read %s", dir);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char expect[512] = "", *nl;
		int line = -1, errors = 1;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		config_defaults(&cfg);
		if (strncmp(name, "good-", 5) == 0) {
			ngood++;
			ok(load_file(&cfg, path, &c) == 0 && c.n == 0,
			    "%s loads", name);
			if (c.n != 0)
				printf("#   line %u: %s\n", c.first_line,
				    c.first);
			if (strcmp(name, "good-full.conf") == 0)
				check_full(&cfg);
			if (strcmp(name, "good-quoted.conf") == 0) {
				/* '#' in the sensor: pcap refuses it in a filter. */
				is_str(cfg.bpf, "tcp port 135 or (udp and "
				    "not port 53)", "quoted: filter, then a comment");
				is_str(cfg.sensor, "site A #2 \"north\" \\ rack 2",
				    "quoted: '#' inside quotes is text, escapes");
				is_str(cfg.user, "", "quoted: user \"\"");
			}
			if (strcmp(name, "good-bpf-escape.conf") == 0)
				is_str(cfg.bpf, "ether proto \\ip and not host "
				    "10.0.0.1", "unquoted bpf keeps backslash");
		} else if (strncmp(name, "bad-", 4) == 0) {
			nbad++;
			if ((fp = fopen(path, "r")) == NULL) {
				ok(0, "%s opens", name);
				continue;
			}
			while (fgets(text, sizeof(text), fp) != NULL &&
			    text[0] == '#') {
				if ((nl = strchr(text, '\n')) != NULL)
					*nl = '\0';
				if (strncmp(text, "# expect: ", 10) == 0)
					snprintf(expect, sizeof(expect), "%s",
					    text + 10);
				else if (strncmp(text, "# expect-line: ", 15)
				    == 0)
					line = atoi(text + 15);
				else if (strncmp(text, "# expect-errors: ", 17)
				    == 0)
					errors = atoi(text + 17);
			}
			fclose(fp);
			ok(expect[0] != '\0' && line >= 0,
			    "%s names its expected error", name);
			ok(load_file(&cfg, path, &c) == -1, "%s fails", name);
			ok(strstr(c.first, expect) != NULL,
			    "%s: error says \"%s\"", name, expect);
			if (strstr(c.first, expect) == NULL)
				printf("#   got \"%s\"\n", c.first);
			is_int(c.first_line, line, "%s: first error at line %d",
			    name, line);
			is_int(c.n, errors, "%s: %d error(s) reported", name,
			    errors);
		}
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	ok(ngood >= 3, "at least 3 good files (%d)", ngood);
	ok(nbad >= 15, "at least 15 bad files (%d)", nbad);

	/* config_load(): the public entry, its err text and open failures. */
	snprintf(path, sizeof(path), "%s/bad-duplicate.conf", dir);
	config_defaults(&cfg);
	is_int(config_load(&cfg, path, text, sizeof(text)), -1,
	    "config_load fails on bad-duplicate.conf");
	p = strstr(text, "bad-duplicate.conf:5: snaplen: duplicate");
	ok(p != NULL, "config_load err reads file:line: message");
	snprintf(path, sizeof(path), "%s/good-full.conf", dir);
	config_defaults(&cfg);
	is_int(config_load(&cfg, path, text, sizeof(text)), 0,
	    "config_load reads good-full.conf");
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	is_int(config_load(&cfg, path, text, sizeof(text)), -1,
	    "config_load fails on a missing file");
	snprintf(path, sizeof(path), "%s/absent.conf: No such file or "
	    "directory", dir);
	is_str(text, path, "missing file: \"file: strerror\"");
	is_int(config_load(&cfg, dir, text, sizeof(text)), -1,
	    "config_load fails on a directory");
	ok(strstr(text, ": not a regular file") != NULL,
	    "a directory: \"file: not a regular file\" (%s)", text);
}

static void
test_inline(void)
{
	static const char nul[] = "snaplen 1500\npromisc n\0o\nsnaplen 64\n";
	struct config cfg;
	struct collect c;
	FILE *fp;

	config_defaults(&cfg);
	memset(&c, 0, sizeof(c));
	fp = fmemopen((void *)(uintptr_t)nul, sizeof(nul) - 1, "r");
	ok(fp != NULL && config_load_stream(&cfg, fp, "nul", collect_fn,
	    &c) == -1, "a NUL byte fails the load");
	if (fp != NULL)
		fclose(fp);
	is_int(c.first_line, 2, "NUL byte: line");
	ok(strstr(c.first, "NUL byte") != NULL,
	    "NUL byte reported at its line");

	config_defaults(&cfg);
	is_int(load_text(&cfg, "snaplen 1500", &c), 0,
	    "last line without a newline");
	is_int(cfg.snaplen, 1500, "last line without a newline applies");

	config_defaults(&cfg);
	is_int(load_text(&cfg, "alert-ignore host 10.0.0.1 port 99999\n"
	    "alert-ignore port 53/udp\n", &c), -1, "bad rule rejected");
	ok(cfg.nignore == 1 && cfg.ignore[0].port == 53,
	    "a rejected rule leaves no partial entry");

	config_defaults(&cfg);
	is_int(load_text(&cfg, "bucket 1m\nbucket 1m\n", &c), -1,
	    "duplicate rejected even with the same value");
}

static void
print_to(const struct config *cfg, char *buf, size_t len)
{
	FILE *fp = fmemopen(buf, len, "w");

	memset(buf, 0, len);
	if (fp == NULL)
		return;
	config_print(cfg, fp);
	fclose(fp);
}

static void
test_roundtrip(void)
{
	static char t1[32768], t2[32768];
	const char *files[] = { "good-full.conf", "good-quoted.conf",
	    "good-empty.conf" };
	struct config a, b;
	struct collect c;
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/conf/%s", srcdir(),
		    files[i]);
		config_defaults(&a);
		if (load_file(&a, path, &c) != 0) {
			ok(0, "round trip: %s loads", files[i]);
			continue;
		}
		print_to(&a, t1, sizeof(t1));
		ok(strlen(t1) > 0 && strlen(t1) < sizeof(t1) - 1,
		    "round trip: %s prints", files[i]);
		config_defaults(&b);
		is_int(load_text(&b, t1, &c), 0,
		    "round trip: printed %s loads", files[i]);
		if (c.n != 0)
			printf("#   line %u: %s\n", c.first_line, c.first);
		is_int(differences(&a, &b, NULL), 0,
		    "round trip: %s loads back equal", files[i]);
		print_to(&b, t2, sizeof(t2));
		is_str(t2, t1, "round trip: %s prints the same twice",
		    files[i]);
	}
	/* Defaults print every directive, each on a line of its own. */
	config_defaults(&a);
	print_to(&a, t1, sizeof(t1));
	for (i = 0; i < NDIRECTIVES; i++) {
		char want[128];

		snprintf(want, sizeof(want), "\n%s ", directives[i].name);
		if (strstr(t1, want) == NULL) {
			snprintf(want, sizeof(want), "\n#%s (none)",
			    directives[i].name);
			if (strstr(t1, want) == NULL)
				break;
		}
	}
	is_int(i, NDIRECTIVES, "print lists every directive");
}

static void
test_reload(void)
{
	struct config running, fresh;
	struct collect c;

	config_defaults(&running);
	config_defaults(&fresh);
	is_int(config_apply_reload(&running, &fresh), 0,
	    "reload: same config, nothing ignored");
	is_int(load_text(&fresh, "snaplen 1500\ninterface eth9\n"
	    "flush-interval 1m\nmonitored-networks 10.9.0.0/16\n"
	    "alert new_service off\ntcp-idle-timeout 1h\n"
	    "api-listen off\n", &c), 0, "reload: new config loads");
	is_int(config_apply_reload(&running, &fresh), 3,
	    "reload: snaplen, interface and api-listen need a restart");
	is_int(running.snaplen, 65535, "reload: snaplen kept");
	is_int(running.ninterfaces, 0, "reload: interfaces kept");
	is_str(running.api_listen, "127.0.0.1:8135", "reload: api kept");
	is_int(running.flush_interval_s, 60, "reload: flush-interval applied");
	is_int(running.tcp_idle_s, 3600, "reload: timeout applied");
	ok(running.nmonitored == 1 && cidr_contains(&running.monitored[0],
	    &fresh.monitored[0].net), "reload: monitored networks applied");
	ok(!running.alert_kind[3].enabled, "reload: alert setting applied");
	is_int(differences(&running, &fresh, "snaplen interface api-listen"),
	    0, "reload: every reloadable setting now equal");
}

/*
 * data/svcmapd.conf writes each directive's default as "#name value"
 * (prose comments have a blank after '#').  Loading those lines must give
 * the defaults, except where the example shows a sample value instead
 * (no default, or a path that depends on configure's prefix).
 */
static void
test_example_and_manual(void)
{
	static const char samples[] = "interface bpf-filter alert-ignore "
	    "alert-operation "
	    "sensor database local-catalog";
	char path[1024], line[CONFIG_LINE_MAX + 2], *text;
	struct config def, ex;
	struct collect c;
	size_t i, len = 0, cap = 65536;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/data/svcmapd.conf", srcdir());
	if ((fp = fopen(path, "r")) == NULL || (text = calloc(1, cap)) ==
	    NULL) {
		ok(0, "example %s opens", path);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n = strlen(line);

		if (line[0] != '#' || line[1] < 'a' || line[1] > 'z' ||
		    len + n >= cap)
			continue;
		memcpy(text + len, line + 1, n - 1);
		len += n - 1;
	}
	fclose(fp);
	for (i = 0; i < NDIRECTIVES; i++) {
		char want[128];

		snprintf(want, sizeof(want), "%s ", directives[i].name);
		if (strncmp(text, want, strlen(want)) != 0) {
			snprintf(want, sizeof(want), "\n%s ",
			    directives[i].name);
			if (strstr(text, want) == NULL)
				break;
		}
	}
	ok(i == NDIRECTIVES, "example shows every directive (stopped at %s)",
	    i < NDIRECTIVES ? directives[i].name : "none");
	config_defaults(&def);
	config_defaults(&ex);
	is_int(load_text(&ex, text, &c), 0, "example's directives load");
	if (c.n != 0)
		printf("#   line %u: %s\n", c.first_line, c.first);
	is_int(differences(&def, &ex, samples), 0,
	    "example's commented values are the defaults");
	free(text);

	snprintf(path, sizeof(path), "%s/man/svcmapd.conf.5.in", srcdir());
	if ((fp = fopen(path, "r")) == NULL) {
		ok(0, "manual %s opens", path);
		return;
	}
	len = 0;
	if ((text = calloc(1, 4 * cap)) != NULL)
		len = fread(text, 1, 4 * cap - 1, fp);
	fclose(fp);
	if (text == NULL)
		return;
	for (i = 0; i < NDIRECTIVES; i++) {
		char want[128];

		snprintf(want, sizeof(want), "\n.It Ic %s ",
		    directives[i].name);
		if (strstr(text, want) == NULL)
			break;
	}
	ok(len > 0 && i == NDIRECTIVES,
	    "manual documents every directive (stopped at %s)",
	    i < NDIRECTIVES ? directives[i].name : "none");
	free(text);
}

/* alert-operation: syntax here, names against the catalog in opwatch.c. */
static void
test_watch(void)
{
	static const struct {
		const char	*line;
		const char	*why;
	} bad[] = {
		{ "alert-operation svcctl", "missing value" },
		{ "alert-operation svcctl 12 loud",
		    "expected not-dc and/or storm after the operation, not "
		    "\"loud\"" },
		{ "alert-operation svcctl 12 storm storm",
		    "expected not-dc and/or storm after the operation, not "
		    "\"storm\"" },
		{ "alert-operation svcctl 70000",
		    "\"70000\" is not an operation name, an opnum (0..65535) "
		    "or *" },
		{ "alert-operation svcctl 12x", "is not an operation name" },
		{ "alert-operation svcctl 12 not-dc storm x",
		    "unexpected \"x\" after the value" },
		{ "alert-operation-defaults none", "expected yes or no" },
		{ "alert-operation-storm 0", "out of range" },
		{ "alert-operation-storm-window 2d", "out of range" },
		{ "alert sensitive_operation loud", "expected on or off" },
	};
	char buf[65536];
	struct config cfg, back;
	struct collect c;
	size_t i;

	config_defaults(&cfg);
	is_int(load_text(&cfg, "alert-operation drsuapi IDL_DRSGetNCChanges\n"
	    "alert-operation SVCCTL 12 storm\n"
	    "alert-operation efsrpc * not-dc storm\n"
	    "alert-operation-defaults no\n"
	    "alert-operation-storm 100\n"
	    "alert-operation-storm-window 30s\n"
	    "alert sensitive_operation off severity 5\n", &c), 0,
	    "alert-operation lines load");
	if (c.n != 0)
		printf("#   line %u: %s\n", c.first_line, c.first);
	is_int(cfg.nwatch, 3, "three watch lines");
	ok(strcmp(cfg.watch[0].iface, "drsuapi") == 0 &&
	    strcmp(cfg.watch[0].op, "IDL_DRSGetNCChanges") == 0 &&
	    cfg.watch[0].flags == 0 && cfg.watch_line[0] == 1,
	    "a name, no qualifier, its line");
	ok(strcmp(cfg.watch[1].iface, "SVCCTL") == 0 &&
	    strcmp(cfg.watch[1].op, "12") == 0 &&
	    cfg.watch[1].flags == CATALOG_OP_STORM,
	    "an opnum, storm (names are matched later, any case)");
	ok(strcmp(cfg.watch[2].op, "*") == 0 && cfg.watch[2].flags ==
	    (CATALOG_OP_NOT_DC | CATALOG_OP_STORM), "*, not-dc and storm");
	ok(!cfg.watch_defaults && cfg.storm_calls == 100 &&
	    cfg.storm_window_s == 30, "defaults off, storm 100 in 30s");
	ok(!cfg.alert_kind[4].enabled && cfg.alert_kind[4].severity == 5,
	    "alert sensitive_operation off severity 5");

	/* What config_print() writes loads back the same. */
	print_to(&cfg, buf, sizeof(buf));
	ok(strstr(buf, "\nalert-operation efsrpc * not-dc storm\n") != NULL,
	    "printed with its qualifiers");
	config_defaults(&back);
	is_int(load_text(&back, buf, &c), 0, "printed watch lines load");
	ok(back.nwatch == 3 && back.watch[2].flags == cfg.watch[2].flags &&
	    strcmp(back.watch[1].op, "12") == 0, "and are the same lines");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&cfg);
		is_int(load_text(&cfg, bad[i].line, &c), -1, "refused: %s",
		    bad[i].line);
		ok(strstr(c.first, bad[i].why) != NULL, "... %s (%s)",
		    bad[i].why, c.first);
		is_int(cfg.nwatch, 0, "... and leaves no partial entry");
	}

	/* Past the bound: refused, the list stays whole. */
	config_defaults(&cfg);
	buf[0] = '\0';
	for (i = 0; i <= CONFIG_MAX_WATCH; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "alert-operation svcctl %zu\n", i);
	is_int(load_text(&cfg, buf, &c), -1, "more than %d lines refused",
	    CONFIG_MAX_WATCH);
	is_int(cfg.nwatch, CONFIG_MAX_WATCH, "the first %d kept",
	    CONFIG_MAX_WATCH);
}

int
main(void)
{
	test_defaults();
	test_numbers();
	test_words();
	test_files();
	test_inline();
	test_watch();
	test_roundtrip();
	test_reload();
	test_example_and_manual();
	return tap_done();
}
