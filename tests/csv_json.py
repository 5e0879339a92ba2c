#!/usr/bin/env python3
"""csv_json.py [--ordered] CSV JSON: does svcmapctl's CSV say what its JSON says?

CSV is one command's --csv output, JSON the same command's --json output
(an array of objects).  Checks, printing one line per problem and
exiting 1 if any:
  - every key of the objects is a column (with --ordered, in the
    objects' order: one record kind, whose CSV columns are its JSON
    keys; the catalog's two kinds share one header); the header may
    have more (a key JSON leaves out when null, such as an
    open alert's resolved_at; the other kind's keys in catalog output),
    and those cells are empty;
  - one CSV row per object, in order;
  - each cell is the JSON value as svcmapctl(8) documents it: null an
    empty cell, strings as they are (RFC 4180 quoting undone), numbers in
    decimal, booleans true/false, arrays joined with one space (an
    object in an array stands for its first field); a key an
    object lacks (the other kind's columns in catalog output) is empty.
"""
import csv
import json
import sys


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return " ".join(text(x) for x in v)
    if isinstance(v, dict):
        # An array of objects (a host's names): each one's first field.
        return text(next(iter(v.values()))) if v else ""
    return str(v)


def main():
    args = sys.argv[1:]
    ordered = args[0] == "--ordered"
    if ordered:
        args = args[1:]
    with open(args[0], newline="") as f:
        rows = list(csv.reader(f))
    with open(args[1]) as f:
        objs = json.load(f)
    bad = []
    if not rows:
        print("no header row")
        return 1
    header, rows = rows[0], rows[1:]
    keys = []
    for o in objs:
        for k in o:
            if k not in keys:
                keys.append(k)
    # Ordered: each object's keys in the header's order (an object may
    # leave out keys that are null, so the union's order says nothing).
    if sorted(k for k in header if k in keys) != sorted(keys) or \
            (ordered and any([k for k in header if k in o] != list(o)
                             for o in objs)):
        bad.append("header %s lacks or reorders JSON keys %s" % (header,
                                                                keys))
    if len(rows) != len(objs):
        bad.append("%d CSV rows, %d JSON objects" % (len(rows), len(objs)))
    for n, (row, o) in enumerate(zip(rows, objs)):
        if len(row) != len(header):
            bad.append("row %d: %d cells, %d columns" % (n, len(row),
                                                         len(header)))
            continue
        for k, cell in zip(header, row):
            want = text(o.get(k))
            if cell != want:
                bad.append("row %d %s: CSV %r, JSON %r" % (n, k, cell, want))
    for b in bad[:20]:
        print(b)
    return 1 if bad else 0


sys.exit(main())
