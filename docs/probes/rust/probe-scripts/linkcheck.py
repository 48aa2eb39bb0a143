#!/usr/bin/env python3
"""Lists a side module's imports and checks them the way kiln's src/wheel/linkcheck.rs does.

usage: linkcheck.py exports.txt module.so [...]
"""
import sys

LOADER_PROVIDED = {"memory", "__indirect_function_table", "__stack_pointer", "__memory_base",
                   "__table_base", "__cpp_exception", "__c_longjmp"}

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80:
            return r, i

def name(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode(), i + n

def parse(b):
    assert b[:4] == b"\0asm"
    i = 8; imports = []; exports = set(); weak = set(); needed = []; mem = None
    while i < len(b):
        sid = b[i]; i += 1; n, i = leb(b, i); body = b[i:i + n]; i += n
        if sid == 0:
            nm, j = name(body, 0)
            if nm == "dylink.0":
                while j < len(body):
                    t = body[j]; j += 1; ln, j = leb(body, j); sub = body[j:j + ln]; j += ln
                    if t == 1:  # mem info
                        ms, k = leb(sub, 0); ma, k = leb(sub, k); ts, k = leb(sub, k); ta, k = leb(sub, k)
                        mem = dict(memsize=ms, memalign=ma, tablesize=ts, tablealign=ta)
                    elif t == 2:  # needed
                        c, k = leb(sub, 0)
                        for _ in range(c):
                            s, k = name(sub, k); needed.append(s)
                    elif t == 4:  # import info
                        c, k = leb(sub, 0)
                        for _ in range(c):
                            m, k = name(sub, k); f, k = name(sub, k); fl, k = leb(sub, k)
                            if fl & 1:
                                weak.add((m, f))
        elif sid == 2:
            c, j = leb(body, 0)
            for _ in range(c):
                m, j = name(body, j); f, j = name(body, j); kind = body[j]; j += 1
                if kind == 0:
                    _, j = leb(body, j)
                elif kind == 1:
                    j += 1; fl, j = leb(body, j); _, j = leb(body, j)
                    if fl & 1: _, j = leb(body, j)
                elif kind == 2:
                    fl, j = leb(body, j); _, j = leb(body, j)
                    if fl & 1: _, j = leb(body, j)
                elif kind == 3:
                    j += 2
                elif kind == 4:
                    j += 1; _, j = leb(body, j)
                imports.append((m, f, "func table mem global tag".split()[kind]))
        elif sid == 7:
            c, j = leb(body, 0)
            for _ in range(c):
                f, j = name(body, j); j += 1; _, j = leb(body, j); exports.add(f)
    return imports, exports, weak, needed, mem

provided = set(open(sys.argv[1]).read().split())
for path in sys.argv[2:]:
    imports, exports, weak, needed, mem = parse(open(path, "rb").read())
    print(f"== {path}: {len(imports)} imports, {len(exports)} exports, needed={needed}, {mem}")
    by = {}
    for m, f, k in imports:
        by.setdefault(m, []).append((f, k))
    for m, fs in sorted(by.items()):
        print(f"  {m}: {len(fs)}")
    missing = []
    for m, f, k in imports:
        if (m, f) in weak:
            continue
        if m == "env" and f in LOADER_PROVIDED:
            continue
        sym = f if m in ("env", "wasi_snapshot_preview1", "GOT.mem", "GOT.func") else f"{m}.{f}"
        if sym in exports or sym in provided:
            continue
        missing.append(sym)
    print("  exports:", sorted(exports)[:20])
    print("  env imports:", " ".join(sorted(f for m, f, k in imports if m == "env")))
    print("  GOT imports:", " ".join(sorted(f"{m}:{f}" for m, f, k in imports if m.startswith("GOT"))))
    print("  MISSING:", sorted(set(missing)) or "none")
