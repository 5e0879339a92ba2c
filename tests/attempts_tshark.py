#!/usr/bin/env python3
"""attempts.sh's oracle: TCP attempts per (server, port) from tshark.

Reads `tshark -T fields` lines (tcp.stream, ip/ipv6 src and dst, ports,
SYN, ACK, RST flags) on standard input.  A stream whose first packet is a
bare SYN is oriented by it (the SYN's sender is the client).  A stream is answered when the server
sent any packet without RST; else refused when the server sent RSTs,
else unanswered (see below for retries and streams picked up mid-way).  Only streams
to a server in the monitored networks (svcmapd's default: RFC 1918, ULA,
link-local) count: a monitored client's attempts at an outside server
are outbound use (issue 14 item 4), not attempts.  Prints one line
per (server, port) with any unanswered attempt, sorted:
SERVER PORT REFUSED UNANSWERED.
"""
import ipaddress
import sys

MONITORED = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
    "fe80::/10", "169.254.0.0/16")]


def monitored(a):
    ip = ipaddress.ip_address(a)
    return any(ip in n for n in MONITORED)


def flag(v):
    return v in ("1", "True")


# Per stream: its attempts, oldest first.  A stream opened by a bare SYN
# is oriented by it; a bare SYN from the client after the server's RST is
# the client trying again (svcmapd ends the closed flow there): a new
# attempt on the same 5-tuple.  A stream picked up mid-way is kept only
# when one side never sent anything but RSTs and has the lower port: that
# side is the server nobody heard from (svcmapd orients such a flow by
# its listener, else the lower port; a stream with data both ways was
# answered whoever serves, and a lone FIN from a web server to a client
# port is the server talking, left out).
streams = {}
order = []
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 10 or f[0] == "":
        continue
    sid, src4, dst4, src6, dst6, sport, dport, syn, ack, rst = f[:10]
    src, dst = src4 or src6, dst4 or dst6
    if not src or not dst:
        continue
    a = (src, int(sport))
    b = (dst, int(dport))
    bare_syn = flag(syn) and not flag(ack)
    s = streams.get(sid)
    if s is None:
        s = streams[sid] = {"tries": [], "mid": None}
    t = s["tries"][-1] if s["tries"] else None
    if bare_syn and (t is None or (t["client"] == a and t["rst"] and
                                   not t["answered"])):
        s["tries"].append({"client": a, "server": b, "answered": False,
                           "rst": False})
        continue
    if t is None:
        # Mid-stream: which ends sent something other than RSTs.
        m = s["mid"]
        if m is None:
            m = s["mid"] = {"ends": {}, "first": (a, b)}
        e = m["ends"].setdefault(a, {"data": False, "rst": False})
        m["ends"].setdefault(b, {"data": False, "rst": False})
        if flag(rst):
            e["rst"] = True
        else:
            e["data"] = True
        continue
    if a == t["server"]:
        if flag(rst):
            t["rst"] = True
        else:
            t["answered"] = True

out = {}


def count(client, server, rst):
    if not monitored(server[0]):
        return
    r = out.setdefault(server, [0, 0])
    r[0 if rst else 1] += 1


for s in streams.values():
    for t in s["tries"]:
        if not t["answered"]:
            count(t["client"], t["server"], t["rst"])
    m = s["mid"]
    if m is not None and not s["tries"]:
        silent = [k for k, v in m["ends"].items() if not v["data"]]
        talk = [k for k, v in m["ends"].items() if v["data"]]
        if len(silent) == 1 and len(talk) == 1 and \
                silent[0][1] < talk[0][1]:
            count(talk[0], silent[0], m["ends"][silent[0]]["rst"])
for (ip, port), (ref, una) in sorted(out.items()):
    print(ip, port, ref, una)
