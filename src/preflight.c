/*
 * preflight.c - `svcmapd -t`: what a start would hit, checked without
 * starting.
 *
 * The start opens the capture handles (filter compiled for each
 * interface's link type), writes the pidfile, drops to "user", then opens
 * the database and the alert file as that user.  A check run as root
 * therefore forks a child that drops to the user the same way and tries
 * access(2) there: that sees ownership, modes, ACLs and read-only mounts
 * (ProtectSystem=strict) as the daemon will.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "svcmap/capture.h"
#include "svcmap/config.h"
#include "svcmap/decode.h"
#include "svcmap/log.h"
#include "preflight.h"

/*
 * The link type a live capture on iface would have: activate a handle as
 * the start does (which needs the capture rights -t runs with under the
 * unit).  -1 when the interface is absent or may not be opened here.
 */
static int
iface_linktype(const char *iface, char *why, size_t whylen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	int rc, lt = -1;

	ebuf[0] = '\0';
	if ((p = pcap_create(iface, ebuf)) == NULL) {
		snprintf(why, whylen, "%s", ebuf);
		return -1;
	}
	/* A small buffer: nothing is read, only the link type asked. */
	pcap_set_buffer_size(p, 64 * 1024);
	rc = pcap_activate(p);
	if (rc < 0)
		snprintf(why, whylen, "%s", rc == PCAP_ERROR_NO_SUCH_DEVICE ?
		    "no such interface (yet)" : pcap_statustostr(rc));
	else
		lt = pcap_datalink(p);
	pcap_close(p);
	return lt;
}

static int
compile_for(const struct config *cfg, int linktype, const char *what)
{
	struct bpf_program prog;
	pcap_t *dead;
	int bad = 0;

	if ((dead = pcap_open_dead(linktype, (int)cfg->snaplen)) == NULL) {
		log_warnx("bpf-filter: cannot check for %s", what);
		return 1;
	}
	if (pcap_compile(dead, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) ==
	    -1) {
		log_warnx("bpf-filter \"%s\" (%s): %s", cfg->bpf, what,
		    pcap_geterr(dead));
		bad = 1;
	} else
		pcap_freecode(&prog);
	pcap_close(dead);
	return bad;
}

int
preflight_capture(const struct config *cfg)
{
	char why[PCAP_ERRBUF_SIZE + 32], what[128];
	size_t i;
	int lt, bad = 0;

	if (cfg->ninterfaces == 0)
		return cfg->bpf[0] != '\0' ?
		    compile_for(cfg, DLT_EN10MB, "Ethernet") : 0;
	for (i = 0; i < cfg->ninterfaces; i++) {
		why[0] = '\0';
		lt = iface_linktype(cfg->interfaces[i], why, sizeof(why));
		if (lt == -1) {
			log_info("interface %s: %s: filter checked for Ethernet",
			    cfg->interfaces[i], why);
			lt = DLT_EN10MB;
		} else if (!decode_linktype_supported(lt)) {
			log_warnx("interface %s: link type %s (%d) is not one "
			    "svcmapd decodes", cfg->interfaces[i],
			    capture_linktype_name(lt), lt);
			bad++;
		}
		snprintf(what, sizeof(what), "interface %s, link type %s",
		    cfg->interfaces[i], capture_linktype_name(lt));
		if (cfg->bpf[0] != '\0')
			bad += compile_for(cfg, lt, what);
	}
	return bad;
}

/*
 * Whether the daemon could create or append to path: an existing file
 * must be writable, and its directory too when the -wal/-shm files of a
 * database go beside it (or when the file does not exist yet).
 */
static int
check_writable(const char *directive, const char *path, bool need_dir,
    const char *who)
{
	char copy[CONFIG_PATH_LEN];
	const char *dir;
	int bad = 0;

	if (access(path, F_OK) == 0) {
		if (access(path, W_OK) == -1) {
			log_warnx("%s %s: not writable by %s: %s", directive,
			    path, who, strerror(errno));
			bad++;
		}
		if (!need_dir)
			return bad;
	} else if (errno != ENOENT) {
		log_warnx("%s %s: %s: %s", directive, path, who,
		    strerror(errno));
		return 1;
	}
	snprintf(copy, sizeof(copy), "%s", path);
	dir = dirname(copy);
	if (access(dir, W_OK | X_OK) == -1) {
		log_warnx("%s %s: directory %s not writable by %s: %s",
		    directive, path, dir, who, strerror(errno));
		bad++;
	}
	return bad;
}

static int
check_outputs(const struct config *cfg, const char *who)
{
	int bad = 0;

	bad += check_writable("database", cfg->db_path, true, who);
	if (cfg->alert_jsonl[0] != '\0')
		bad += check_writable("alert-jsonl", cfg->alert_jsonl, false,
		    who);
	return bad;
}

int
preflight_runtime(const struct config *cfg)
{
	struct passwd *pw;
	pid_t pid;
	int bad = 0, status;
	char who[96];

	if (cfg->ninterfaces == 0)
		return 0;
	if (cfg->pidfile[0] != '\0')
		bad += check_writable("pidfile", cfg->pidfile, false,
		    "the starting user");
	/* Started as another user, svcmapd keeps that user. */
	if (getuid() != 0 || cfg->user[0] == '\0')
		return bad + check_outputs(cfg, "the starting user");
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_warnx("user \"%s\" does not exist: a start as root would "
		    "fail", cfg->user);
		return bad + 1;
	}
	snprintf(who, sizeof(who), "user %s", cfg->user);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		log_warn("cannot check the outputs as %s", who);
		return bad + 1;
	}
	if (pid == 0) {
		if (setgroups(1, &pw->pw_gid) == -1 ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
			log_warn("cannot become %s", who);
			_exit(1);
		}
		_exit(check_outputs(cfg, who) > 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			log_warn("waitpid");
			return bad + 1;
		}
	return bad + (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}
