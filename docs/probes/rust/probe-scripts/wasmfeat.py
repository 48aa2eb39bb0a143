#!/usr/bin/env python3
"""Prints the target_features section of wasm objects/modules (or of every member of .rlib/.a)."""
import sys, subprocess, tempfile, os

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80:
            return r, i

def features(b):
    if b[:4] != b"\0asm":
        return None
    i = 8
    while i < len(b):
        sid = b[i]; i += 1; n, i = leb(b, i); body = b[i:i + n]; i += n
        if sid == 0:
            nl, j = leb(body, 0)
            if body[j:j + nl] == b"target_features":
                tf = body[j + nl:]; c, k = leb(tf, 0); out = []
                for _ in range(c):
                    pre = chr(tf[k]); k += 1; l, k = leb(tf, k); out.append(pre + tf[k:k + l].decode()); k += l
                return out
    return []

for p in sys.argv[1:]:
    if p.endswith((".rlib", ".a")):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["ar", "x", os.path.abspath(p)], cwd=d, check=True)
            seen = set()
            for f in sorted(os.listdir(d)):
                fs = features(open(os.path.join(d, f), "rb").read())
                if fs is not None:
                    seen.add(tuple(fs))
            print(p, sorted(seen))
    else:
        print(p, features(open(p, "rb").read()))
