#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# What OSmosis's scripts require of a model-state CSV, and its metrics, as
# ../../../../../shared/design/model-state-osmosis.md describes them,
# written independently of kmaptool's C code so that each checks the other.
#
#   osmosis.py check PREFIX        modelstate's files, as OSmosis's readers
#                                  read them; prints the node and edge counts
#   osmosis.py metrics CSV PD1 PD2 RSI per type and FR, metrics.py's way
import csv
import json
import re
import sys
from collections import deque

import pandas as pd

COLUMNS = ["NODE_TYPE", "NODE_ID", "DATA", "EDGE_TYPE", "EDGE_FROM", "EDGE_TO", "EXTRA"]
NODE_TYPES = ["PD", "RESOURCE", "RESOURCE_SPACE"]
EDGE_TYPES = ["HOLD", "SUBSET", "MAP", "REQUEST"]
RSI_TYPES = ["VMR", "MO", "VCPU", "PCPU", "FILE", "BLOCK"]
# metrics.py reads an MO's pages as the first digits between underscores
PAGES = re.compile(r"(?<=_)\d+(?=_)")


def check(prefix):
    # by header name, as pandas reads it for metrics.py (default dtypes)
    ms = pd.read_csv(prefix + ".csv", on_bad_lines="skip")
    assert list(ms.columns) == COLUMNS, list(ms.columns)
    assert ms.EXTRA.dtype == object, "pandas reads EXTRA as %s" % ms.EXTRA.dtype
    assert ms.EXTRA.notna().all(), "an empty EXTRA"
    node = ms.NODE_TYPE.notna()
    edge = ms.EDGE_TYPE.notna()
    assert (node ^ edge).all(), "a row is both or neither node and edge"
    nodes, edges = ms[node], ms[edge]
    assert set(nodes.NODE_TYPE) <= set(NODE_TYPES), set(nodes.NODE_TYPE)
    assert set(edges.EDGE_TYPE) <= set(EDGE_TYPES), set(edges.EDGE_TYPE)
    ids = set(nodes.NODE_ID)
    assert len(ids) == len(nodes), "duplicate NODE_IDs"
    assert set(edges.EDGE_FROM) <= ids and set(edges.EDGE_TO) <= ids, "an edge to no node"
    req = edges[edges.EDGE_TYPE == "REQUEST"]
    assert req.DATA.notna().all(), "a REQUEST without its type"

    # by position, as neo4j_shard_csv.py reads it
    with open(prefix + ".csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == COLUMNS
    for row in rows[1:]:
        assert len(row) == 7, row
        if row[6] != "":
            json.loads(row[6])
        if row[0] not in NODE_TYPES:
            assert row[3] in EDGE_TYPES, row
        if row[0] == "RESOURCE" and row[2] == "MO":
            extra = json.loads(row[6])
            pages = int(PAGES.search(row[6]).group(0))
            assert pages == int(extra["mo"].split("_")[1]), row

    # neo4j-admin: node files, then relationships between their IDs
    n = pd.read_csv(prefix + "_nodes.csv", keep_default_na=False, dtype=str)
    s = pd.read_csv(prefix + "_spaces.csv", keep_default_na=False, dtype=str)
    r = pd.read_csv(prefix + "_relationships.csv", keep_default_na=False, dtype=str)
    assert list(n.columns) == ["ID:ID", ":LABEL", "DATA", "EXTRA:long"], list(n.columns)
    assert list(s.columns) == ["ID:ID", ":LABEL", "DATA", "EXTRA"], list(s.columns)
    assert list(r.columns) == [":START_ID", ":END_ID", ":TYPE", "READS:long", "WRITES:long"]
    nids = list(n["ID:ID"]) + list(s["ID:ID"])
    assert set(nids) == ids and len(nids) == len(ids)
    assert len(r) == len(edges)
    assert set(r[":START_ID"]) <= ids and set(r[":END_ID"]) <= ids
    for e in s.EXTRA:
        json.loads(e)

    t = nodes.NODE_TYPE.value_counts()
    e = edges.EDGE_TYPE.value_counts()
    print(*[t.get(k, 0) for k in NODE_TYPES], *[e.get(k, 0) for k in EDGE_TYPES])


def metrics(path, pd1, pd2):
    ms = pd.read_csv(path, on_bad_lines="skip")
    ntype, ndata, nextra = {}, {}, {}
    out = {}
    for row in ms.itertuples(index=False):
        if pd.notna(row.NODE_TYPE):
            ntype[row.NODE_ID] = row.NODE_TYPE
            ndata[row.NODE_ID] = row.DATA
            nextra[row.NODE_ID] = row.EXTRA
        elif pd.notna(row.EDGE_TYPE):
            out.setdefault(row.EDGE_FROM, []).append((row.EDGE_TO, row.EDGE_TYPE, row.DATA))

    # RSI: RESOURCE nodes 1 to 4 HOLD or MAP edges away
    def reach(p):
        seen, frontier = set(), {p}
        for _ in range(4):
            nxt = set()
            for v in frontier:
                for dst, et, _ in out.get(v, []):
                    if et in ("HOLD", "MAP"):
                        nxt.add(dst)
            seen |= nxt
            frontier = nxt
        return {v for v in seen if ntype.get(v) == "RESOURCE"}

    r1, r2 = reach(pd1), reach(pd2)
    for t in RSI_TYPES:
        a = {v for v in r1 if ndata[v] == t}
        b = {v for v in r2 if ndata[v] == t}
        union, inter = a | b, a & b
        rsi = 0
        if t == "MO":
            w = lambda vs: sum(float(PAGES.search(nextra[v]).group(0)) for v in vs)
            # metrics.py divides by zero when the union weighs nothing;
            # kmaptool prints 0 there, as for an empty union
            if w(union) > 0:
                rsi = float(w(inter)) / w(union)
        elif union:
            rsi = len(inter) / len(union)
        print(f"RSI {t}: {rsi}")

    # FR: spaces are SUBSET targets; a space's type maps to the types of
    # the spaces it MAPs (the last space of a type decides)
    spaces = {dst for u in out for dst, et, _ in out[u] if et == "SUBSET"}
    space_map = {}
    for v in spaces:
        space_map[ndata[v]] = {ndata[d] for d, et, _ in out.get(v, []) if et == "MAP"}

    def bfs(p):
        acc = {}
        start = {ndata[d] for d, et, _ in out.get(p, []) if et == "HOLD"}
        q = deque([(p, 0, start)])
        while q:
            v, d, types = q.popleft()
            acc.setdefault(v, d)
            for dst, et, data in out.get(v, []):
                if et == "REQUEST" and data in types:
                    q.append((dst, d + 1, types | space_map.get(data, set())))
        return acc

    a1, a2 = bfs(pd1), bfs(pd2)
    both = [min(a1[v], a2[v]) for v in a1 if v in a2]
    print(f"FR: {min(both) if both else float('inf')}")


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        metrics(sys.argv[2], sys.argv[3], sys.argv[4])
