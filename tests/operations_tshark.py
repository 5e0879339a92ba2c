#!/usr/bin/env python3
"""tshark's count of DCE/RPC calls per operation, the oracle of
tests/operations.sh.

Usage: operations_tshark.py CAPTURE

Prints one line per (server, port, transport, interface UUID, opnum):
"SERVER PORT TRANSPORT UUID OPNUM CALLS", sorted.  A call is a request's
first fragment: connection-oriented requests with PFC_FIRST_FRAG
(dcerpc.cn_flags & 0x01), connectionless ones with fragment number 0.
The interface of a connection-oriented request is the abstract syntax
its presentation context was bound to (dcerpc.cn_bind_to_uuid of the
bind or alter_context item with its dcerpc.cn_ctx_id), tracked per TCP
stream and, inside SMB, per file id (smb2.fid, smb.fid): each pipe has
contexts of its own.  A connectionless request names its interface
(dcerpc.dg_if_id).  Requests on a context whose bind is not in the
capture are left out (svcmap cannot name them either).  The last line,
on stderr, is "requests R unbound U": the request PDUs tshark saw, and
those left out as unbound.
"""
import subprocess
import sys
from collections import Counter

FIELDS = ["frame.number", "ip.dst", "ipv6.dst", "tcp.stream", "tcp.dstport",
          "udp.dstport", "dcerpc.pkt_type", "dcerpc.cn_flags",
          "dcerpc.cn_ctx_id", "dcerpc.opnum", "dcerpc.cn_bind_to_uuid",
          "dcerpc.dg_if_id", "dcerpc.dg_frag_num", "smb2.fid", "smb.fid"]


def split(v):
    return [x for x in v.split(",") if x != ""] if v else []


def main():
    cap = sys.argv[1]
    cmd = ["tshark", "-n", "-r", cap, "-Y",
           "dcerpc.pkt_type == 0 || dcerpc.pkt_type == 11 || "
           "dcerpc.pkt_type == 14", "-T", "fields", "-E", "separator=\t",
           "-E", "aggregator=,", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True,
                         universal_newlines=True).stdout
    ctx = {}            # (stream, fid, ctx_id) -> uuid
    calls = Counter()
    unbound = 0
    requests = 0
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        server = v["ip.dst"] or v["ipv6.dst"]
        types = split(v["dcerpc.pkt_type"])
        requests += types.count("0")
        fids = set(split(v["smb2.fid"]) + split(v["smb.fid"]))
        # One pipe per frame is what the join below can tell apart.
        fid = fids.pop() if len(fids) == 1 else ""
        stream = v["tcp.stream"]
        if v["udp.dstport"]:
            ifs = split(v["dcerpc.dg_if_id"])
            ops = split(v["dcerpc.opnum"])
            frags = split(v["dcerpc.dg_frag_num"])
            for i, t in enumerate(types):
                if t == "0" and i < len(frags) and int(frags[i]) == 0:
                    calls[(server, v["udp.dstport"], "udp", ifs[i],
                           ops[i])] += 1
            continue
        if "11" in types or "14" in types:
            # Every item of every bind/alter_context in the frame.
            for c, u in zip(split(v["dcerpc.cn_ctx_id"]),
                            split(v["dcerpc.cn_bind_to_uuid"])):
                ctx[(stream, fid, c)] = u
            continue
        flags = split(v["dcerpc.cn_flags"])
        ctxs = split(v["dcerpc.cn_ctx_id"])
        ops = split(v["dcerpc.opnum"])
        for i, t in enumerate(types):
            if t != "0" or i >= len(flags) or not int(flags[i], 16) & 1:
                continue
            u = ctx.get((stream, fid, ctxs[i]))
            if u is None:
                unbound += 1
                continue
            calls[(server, v["tcp.dstport"], "tcp", u, ops[i])] += 1
    for k in sorted(calls):
        print(*k, calls[k])
    print("requests", requests, "unbound", unbound, file=sys.stderr)


if __name__ == "__main__":
    main()
