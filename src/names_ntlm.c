/* \summary: server names from NTLMSSP CHALLENGE target information */
/*
 * specification: [MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE, 2.2.2.1 AV_PAIR;
 * RFC 4559 (HTTP Negotiate/NTLM: "WWW-Authenticate: NTLM <base64>").
 *
 *   Signature "NTLMSSP\0"(8) MessageType(4) = 2
 *   TargetNameFields: Len(2) MaxLen(2) BufferOffset(4)       @12
 *   NegotiateFlags(4) ServerChallenge(8) Reserved(8)         @20
 *   TargetInfoFields: Len(2) MaxLen(2) BufferOffset(4)       @40
 *   Version(8) ... payload; offsets count from the signature.
 *   AV_PAIR: AvId(2) AvLen(2) Value (UTF-16LE), until MsvAvEOL (0).
 *     1 NbComputerName, 2 NbDomainName, 3 DnsComputerName,
 *     4 DnsDomainName, 5 DnsTreeName.
 *
 * The CHALLENGE comes from the server (SMB session setup response, HTTP
 * 401, DCE/RPC bind_ack auth verifier): facts are bound to its sender.
 * Caveat (names.h): a relaying attacker forwards someone else's challenge.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "svcmap/addr.h"
#include "svcmap/decode.h"
#include "svcmap/names.h"
#include "svcmap/rd.h"
#include "names_int.h"

#define NTLM_SIG	"NTLMSSP"	/* and its NUL: 8 bytes */
#define NTLM_SIG_LEN	8
#define NTLM_CHALLENGE	2
#define NTLM_SCAN_MAX	4		/* messages per buffer */
#define HTTP_TOKEN_MAX	4096		/* decoded bytes of one token */
#define HTTP_HEAD_MAX	8192		/* header bytes looked at */

/*
 * UTF-16LE value -> UTF-8 in out (at most NAMES_NAME_MAX bytes).
 * Returns the byte count, or -(1 + reason) when refused.
 */
static int
utf16_to_utf8(const uint8_t *v, size_t n, uint8_t *out)
{
	size_t i, o = 0;
	uint32_t c, lo;

	if (n % 2 != 0)
		return -(1 + NAME_REJ_BAD_UTF8);
	/* Some servers NUL-terminate the value: the terminator is no name. */
	while (n >= 2 && v[n - 2] == 0 && v[n - 1] == 0)
		n -= 2;
	if (n == 0)
		return -(1 + NAME_REJ_EMPTY);
	if (n / 2 > NAMES_NAME_MAX)
		return -(1 + NAME_REJ_TOO_LONG);
	for (i = 0; i < n; i += 2) {
		c = (uint32_t)v[i] | (uint32_t)v[i + 1] << 8;
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 3 >= n)
				return -(1 + NAME_REJ_BAD_UTF8);
			lo = (uint32_t)v[i + 2] | (uint32_t)v[i + 3] << 8;
			if (lo < 0xdc00 || lo > 0xdfff)
				return -(1 + NAME_REJ_BAD_UTF8);
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (c >= 0xdc00 && c <= 0xdfff)
			return -(1 + NAME_REJ_BAD_UTF8);
		if (c == 0)
			return -(1 + NAME_REJ_CONTROL);
		if (o + 4 > NAMES_NAME_MAX)
			return -(1 + NAME_REJ_TOO_LONG);
		if (c < 0x80)
			out[o++] = (uint8_t)c;
		else if (c < 0x800) {
			out[o++] = (uint8_t)(0xc0 | c >> 6);
			out[o++] = (uint8_t)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			out[o++] = (uint8_t)(0xe0 | c >> 12);
			out[o++] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (uint8_t)(0x80 | (c & 0x3f));
		} else {
			out[o++] = (uint8_t)(0xf0 | c >> 18);
			out[o++] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
			out[o++] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
			out[o++] = (uint8_t)(0x80 | (c & 0x3f));
		}
	}
	return (int)o;
}

int
names_ntlm(const uint8_t *p, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	struct rd r, ti, av;
	struct name_fact f;
	uint8_t text[NAMES_NAME_MAX + 4];
	uint16_t tlen, id, alen;
	uint32_t type, toff;
	const uint8_t *val;
	int facts = 0, n, why, kind;

	rd_init(&r, p, len);
	if (rd_left(&r) < NTLM_SIG_LEN || memcmp(p, NTLM_SIG, NTLM_SIG_LEN))
		return 0;
	rd_skip(&r, NTLM_SIG_LEN);
	type = rd_le32(&r);
	if (!rd_ok(&r))
		goto bad;
	if (type != NTLM_CHALLENGE)
		return 0;
	rd_skip(&r, 8 + 4 + 8 + 8);		/* target name, flags, challenge */
	tlen = rd_le16(&r);
	rd_skip(&r, 2);
	toff = rd_le32(&r);
	if (!rd_ok(&r))
		goto bad;
	/* The target info lies inside the message, after the fixed part. */
	if (toff < 48 || toff > len) {
		if (tlen == 0)
			goto done;
		rd_invalid(&r);
		goto bad;
	}
	rd_init(&ti, p + toff, len - toff);
	av = rd_sub(&ti, tlen);
	if (!rd_ok(&ti)) {
		r.err = ti.err;
		goto bad;
	}
	while (rd_left(&av) >= 4) {
		id = rd_le16(&av);
		alen = rd_le16(&av);
		if ((val = rd_ptr(&av, alen)) == NULL) {
			r.err = av.err;
			goto bad;
		}
		if (id == 0)
			break;
		switch (id) {
		case 1:
			kind = NAME_KIND_NETBIOS;
			break;
		case 2:
			kind = NAME_KIND_NB_DOMAIN;
			break;
		case 3:
			kind = NAME_KIND_HOST;
			break;
		case 4:
			kind = NAME_KIND_DOMAIN;
			break;
		case 5:
			kind = NAME_KIND_FOREST;
			break;
		default:
			continue;
		}
		if (pkt == NULL || pkt->src == NULL)
			continue;
		if ((n = utf16_to_utf8(val, alen, text)) < 0) {
			names_count_reject(st, -n - 1);
			continue;
		}
		names_fact_init(&f, NAME_SRC_NTLM, (enum name_kind)kind);
		if (kind == NAME_KIND_NETBIOS || kind == NAME_KIND_NB_DOMAIN)
			why = names_nb_check(text, (size_t)n, f.name);
		else
			why = names_text_check(text, (size_t)n, f.name);
		if (why != NAMES_OK) {
			names_count_reject(st, why);
			continue;
		}
		f.addr = *pkt->src;
		f.has_addr = true;
		names_emit(s, st, &f);
		facts++;
	}
done:
	st->messages[NAME_SRC_NTLM]++;
	return facts;
bad:
	names_count_error(st, NAME_SRC_NTLM, &r);
	return facts > 0 ? facts : -1;
}

static int
b64_value(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 at s (n bytes, stops at the first non-alphabet byte). */
static size_t
b64_decode(const uint8_t *s, size_t n, uint8_t *out, size_t max)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if ((v = b64_value(s[i])) < 0)
			break;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o == max)
				return 0;	/* longer than any real token */
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

static bool
prefix_ci(const uint8_t *p, size_t n, const char *word)
{
	size_t k = strlen(word);

	return n >= k && strncasecmp((const char *)p, word, k) == 0;
}

/*
 * An HTTP response's WWW-Authenticate / Proxy-Authenticate headers with
 * an NTLM or Negotiate token: decode each, scan it for a CHALLENGE.
 */
static int
http_auth(const uint8_t *buf, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	uint8_t tok[HTTP_TOKEN_MAX];
	const uint8_t *line, *eol, *v, *end;
	size_t n, k, t;
	int facts = 0, m;

	if (len > HTTP_HEAD_MAX)
		len = HTTP_HEAD_MAX;
	end = buf + len;
	for (line = buf; line < end; line = eol + 1) {
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		n = (size_t)(eol - line);
		if (n == 0 || (n == 1 && line[0] == '\r'))
			break;			/* end of the header */
		if (prefix_ci(line, n, "WWW-Authenticate:"))
			k = 17;
		else if (prefix_ci(line, n, "Proxy-Authenticate:"))
			k = 19;
		else
			continue;
		v = line + k;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (prefix_ci(v, (size_t)(eol - v), "NTLM "))
			v += 5;
		else if (prefix_ci(v, (size_t)(eol - v), "Negotiate "))
			v += 10;
		else
			continue;
		if ((t = b64_decode(v, (size_t)(eol - v), tok, sizeof(tok))) ==
		    0)
			continue;
		if ((m = names_ntlm_scan(tok, t, pkt, s, st)) > 0)
			facts += m;
		if (eol == end)
			break;
	}
	return facts;
}

int
names_ntlm_scan(const uint8_t *buf, size_t len, const struct names_pkt *pkt,
    const struct names_sink *s, struct names_stats *st)
{
	const uint8_t *p = buf, *hit;
	size_t left = len;
	int facts = 0, n, found = 0;

	if (buf == NULL)
		return 0;
	if (len >= 7 && memcmp(buf, "HTTP/1.", 7) == 0)
		return http_auth(buf, len, pkt, s, st);
	while (left >= NTLM_SIG_LEN + 4 && found < NTLM_SCAN_MAX) {
		if ((hit = memmem(p, left, NTLM_SIG, NTLM_SIG_LEN)) == NULL)
			break;
		left -= (size_t)(hit - p);
		p = hit;
		found++;
		if ((n = names_ntlm(p, left, pkt, s, st)) > 0)
			facts += n;
		p += NTLM_SIG_LEN;
		left -= NTLM_SIG_LEN;
	}
	return facts;
}
