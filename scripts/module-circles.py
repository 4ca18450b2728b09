#!/usr/bin/env python3
"""Import circles between a crate's top-level modules (the files and folders under src/).

Usage: python3 scripts/module-circles.py [CRATE_SRC_DIR ...]
(default: tower-authy/src, mock-authy/src and demo/src). Exits 1 and names the modules of
every circle, with the edges inside it and the file and line of each, when there is one.

A module A depends on B when code under A names `crate::B::...`, or `crate::X` for a name
the crate root re-exports from B (read from lib.rs / main.rs). Comments (doc links
included) and `#[cfg(test)]` modules are ignored: a test may reach anywhere.
"""
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def strip(src):
    src = re.split(r"#\[cfg\(test\)\]\s*mod tests\b", src)[0]
    return "\n".join("" if l.lstrip().startswith("//") else l for l in src.split("\n"))


def split_top(s):
    out, depth, cur = [], 0, ""
    for ch in s:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def paths(src):
    """Every `crate::...` path named in `src`, with braces groups expanded, and its line."""
    found = []
    for m in re.finditer(r"crate::((?:\w+::)*)(\{[^;]*?\}|\w+)", src, re.S):
        line = src.count("\n", 0, m.start()) + 1
        head, tail = m.group(1), m.group(2)
        if tail.startswith("{"):
            for item in split_top(tail[1:-1]):
                item = item.strip()
                if item:
                    found.append((head + re.split(r"[\s:{]", item)[0] if not head else head.split("::")[0], line))
        else:
            found.append(((head + tail).split("::")[0], line))
    return found


def graph(src_dir):
    top = lambda rel: rel.split(os.sep)[0].removesuffix(".rs")
    reexport = {}
    for root_file in ("lib.rs", "main.rs"):
        p = os.path.join(src_dir, root_file)
        if os.path.exists(p):
            text = strip(open(p).read())
            for m in re.finditer(r"pub(?:\(crate\))?\s+use\s+(\w+)::([^;]*);", text, re.S):
                for name in re.findall(r"\b([A-Za-z_]\w*)\b", m.group(2)):
                    reexport.setdefault(name, m.group(1))
    edges = defaultdict(dict)
    for d, _, files in os.walk(src_dir):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(d, f), src_dir)
            me = top(rel)
            if me in ("lib", "main"):
                continue
            for name, line in paths(strip(open(os.path.join(d, f)).read())):
                target = reexport.get(name, name)
                if target != me and target not in ("self", "super", "crate"):
                    edges[me].setdefault(target, f"{rel}:{line}")
    return edges


def circles(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(set(edges) | {w for e in edges.values() for w in e}):
        if v not in index:
            visit(v)
    return out


def main():
    dirs = sys.argv[1:] or [os.path.join(ROOT, c, "src") for c in ("tower-authy", "mock-authy", "demo")]
    bad = False
    for src_dir in dirs:
        edges = graph(src_dir)
        found = circles(edges)
        name = os.path.relpath(src_dir, ROOT)
        if not found:
            print(f"{name}: no import circle between its {len(set(edges) | {w for e in edges.values() for w in e})} top-level modules")
        for comp in found:
            bad = True
            print(f"{name}: {len(comp)} modules in a circle: {' '.join(comp)}")
            for a in comp:
                for b, where in sorted(edges[a].items()):
                    if b in comp:
                        print(f"    {a} -> {b}  ({where})")
    sys.exit(1 if bad else 0)


main()
