#!/usr/bin/env python3
"""Check that libtsuiseki exports exactly the public API.

Every exported symbol starts with tsk_, and every function the public
headers mark TSK_API is exported (and nothing else is).
"""
import re
import subprocess
import sys
from pathlib import Path

lib, include_dirs = sys.argv[1], [Path(d) for d in sys.argv[2:]]
out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                     capture_output=True, text=True).stdout
exported = set()
for line in out.splitlines():
    parts = line.split()
    if len(parts) >= 3 and parts[1] in "TtDdBbRrWwVv" and parts[1] not in "Aa":
        exported.add(parts[2].split("@")[0])
declared = set()
for header in (h for d in include_dirs for h in d.rglob("*.h")):
    text = header.read_text(encoding="utf-8")
    for m in re.finditer(r"TSK_API\s+[^;(]*?\b(tsk_\w+)\s*\(", text):
        declared.add(m.group(1))
bad = sorted(s for s in exported if not s.startswith("tsk_"))
missing = sorted(declared - exported)
extra = sorted(exported - declared)
for name, items in (("not prefixed tsk_", bad), ("declared but not exported", missing),
                    ("exported but not declared TSK_API", extra)):
    for s in items:
        print(f"{name}: {s}")
print(f"{len(exported)} exported, {len(declared)} declared")
sys.exit(1 if bad or missing or extra else 0)
