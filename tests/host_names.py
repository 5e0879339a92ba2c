#!/usr/bin/env python3
"""host_names.py SVCMAPCTL DB CAPTURE: tshark's names vs svcmap's, per source.

tshark is the oracle.  For each source the issue names (DNS answers, NBNS
answers, DHCP option 12, NTLM CHALLENGE target info), every (address,
name) pair tshark decodes from the capture must be among the `names` that
`svcmapctl host ADDRESS --json` gives for the address.  Prints one line
per source: "SOURCE WANT GOT REFUSED MISSING...", where REFUSED counts the
pairs whose name the name policy (include/svcmap/names.h) refuses, which
svcmap must not keep and tshark shows anyway.
"""
import json
import re
import subprocess
import sys

SEP = "|"


def tshark(cap, flt, fields):
    cmd = ["tshark", "-n", "-r", cap, "-Y", flt, "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=" + SEP,
           "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        yield [c.split(SEP) if c else [] for c in cols]


LABEL = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
NB = re.compile(r"^[A-Za-z0-9\-_.!#$%&'()@^{}~]{1,15}$")


def dns_name(s):
    """The policy's canonical DNS-style name, or None when refused."""
    s = s[:-1] if s.endswith(".") else s
    if not s or len(s) > 253:
        return None
    labels = s.split(".")
    for lab in labels:
        if not LABEL.match(lab):
            return None
    return s.lower()


def nb_name(s):
    s = s.rstrip(" ")
    return s.upper() if NB.match(s) else None


def dns_pairs(cap):
    # Standard query responses (and successful updates), port 53; each
    # A/AAAA record names its address with its owner name.
    for ip, ip6, types, names, a, aaaa in tshark(
            cap, "dns && dns.flags.response == 1 && dns.flags.rcode == 0"
            " && (udp.srcport == 53 || tcp.srcport == 53)"
            " && (dns.flags.opcode == 0 || dns.flags.opcode == 5)",
            ["ip.src", "ipv6.src", "dns.resp.type", "dns.resp.name",
             "dns.a", "dns.aaaa"]):
        a, aaaa = list(a), list(aaaa)
        for t, n in zip(types, names):
            if t == "1" and a:
                yield a.pop(0), n
            elif t == "28" and aaaa:
                yield aaaa.pop(0), n


def nbns_pairs(cap):
    # Positive answers: each name and the NB address(es) of the answer.
    for names, addrs, resp in tshark(
            cap, "nbns && nbns.flags.response == 1 && nbns.flags.rcode == 0"
            " && nbns.addr", ["nbns.name", "nbns.addr",
                              "nbns.flags.response"]):
        if not names:
            continue
        # The answer RR is the last name (a query response repeats it);
        # tshark writes "NAME<20> (Server service)".
        n = re.sub(r"<[0-9a-fA-F]{2}>.*$", "", names[-1])
        for ad in addrs:
            yield ad, n


def dhcp_pairs(cap):
    # Option 12 of a REQUEST (bound to option 50, else ciaddr), an ACK
    # (yiaddr) or an INFORM (ciaddr).
    for mt, req, ci, yi, hn in tshark(
            cap, "dhcp.option.hostname",
            ["dhcp.option.dhcp", "dhcp.option.requested_ip_address",
             "dhcp.ip.client", "dhcp.ip.your", "dhcp.option.hostname"]):
        if not mt or not hn:
            continue
        ad = None
        if mt[0] == "3":
            ad = req[0] if req else (ci[0] if ci else None)
        elif mt[0] == "5":
            ad = yi[0] if yi else None
        elif mt[0] == "8":
            ad = ci[0] if ci else None
        if ad and ad != "0.0.0.0":
            yield ad, hn[0]


def ntlm_pairs(cap):
    for ip, ip6, nb, dnsn in tshark(
            cap, "ntlmssp.messagetype == 2",
            ["ip.src", "ipv6.src",
             "ntlmssp.challenge.target_info.nb_computer_name",
             "ntlmssp.challenge.target_info.dns_computer_name"]):
        src = (ip or ip6 or [None])[0]
        if src is None:
            continue
        for n in nb:
            yield src, ("nb", n)
        for n in dnsn:
            yield src, ("dns", n)


def canon(src, n):
    if src == "nbns":
        return nb_name(n)
    if src == "ntlm":
        kind, n = n
        return nb_name(n) if kind == "nb" else dns_name(n)
    return dns_name(n)


def main():
    ctl, db, cap = sys.argv[1:4]
    cache = {}

    def names_of(ad):
        if ad not in cache:
            out = subprocess.run([ctl, "-d", db, "host", ad, "--json"],
                                 capture_output=True, text=True).stdout
            got = set()
            try:
                for h in json.loads(out)["hosts"]:
                    for n in h["names"]:
                        got.add(n["name"])
            except (ValueError, KeyError):
                pass
            cache[ad] = got
        return cache[ad]

    for src, fn in (("dns", dns_pairs), ("nbns", nbns_pairs),
                    ("dhcp", dhcp_pairs), ("ntlm", ntlm_pairs)):
        pairs = set()
        refused = 0
        for ad, n in fn(cap):
            c = canon(src, n)
            if c is None:
                refused += 1
            else:
                pairs.add((ad, c))
        missing = sorted("%s=%s" % p for p in pairs
                         if p[1] not in names_of(p[0]))
        print(src, len(pairs), len(pairs) - len(missing), refused,
              " ".join(missing[:8]))


if __name__ == "__main__":
    main()
