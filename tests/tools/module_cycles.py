#!/usr/bin/env python3
"""List the module pairs of the library that call each other both ways.

A module is one source file of lib/ or carriers/ (its object in the internal
static library). Module A depends on module B when A's object refers to a
symbol that B's object defines (a function or a table). Two modules that
depend on each other are a cycle: the layering the architecture promises
(HACKING.md) has none. Prints every pair and every dependency edge with
--edges; exits 1 when a pair exists.

    tests/tools/module_cycles.py build/libtsuiseki-internal.a [--edges]
"""
import re
import subprocess
import sys


def module_of(member):
    # meson names members after the source path: lib_context.c.o,
    # carriers_rest_rest.c.o (or with a hash directory prefix)
    base = member.rsplit('/', 1)[-1]
    base = re.sub(r'\.c\.o$', '', base)
    base = re.sub(r'^meson-generated_(\.\._)*', '', base)   # a generated source
    if base.startswith('lib_'):
        return base[4:]
    if base.startswith('carriers_'):
        return base[9:].replace('_', '/', 1)
    return base


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = subprocess.run(['nm', '-A', '--defined-only', argv[1]], capture_output=True,
                         text=True, check=True).stdout
    und = subprocess.run(['nm', '-A', '--undefined-only', argv[1]], capture_output=True,
                         text=True, check=True).stdout
    defined = {}
    for line in out.splitlines():
        m = re.match(r'^[^:]+:([^:]+):\S*\s+([TDRBCV])\s+(\S+)$', line)
        if m:
            defined[m.group(3)] = module_of(m.group(1))
    deps = {}
    for line in und.splitlines():
        m = re.match(r'^[^:]+:([^:]+):\s+U\s+(\S+)$', line)
        if not m or m.group(2) not in defined:
            continue
        a, b = module_of(m.group(1)), defined[m.group(2)]
        if a != b:
            deps.setdefault(a, {}).setdefault(b, set()).add(m.group(2))
    if '--edges' in argv:
        for a in sorted(deps):
            for b in sorted(deps[a]):
                print(f'{a} -> {b}: {", ".join(sorted(deps[a][b]))}')
    pairs = []
    for a in sorted(deps):
        for b in sorted(deps[a]):
            if a < b and a in deps.get(b, {}):
                pairs.append((a, b))
    for a, b in pairs:
        print(f'{a} <-> {b}: {a} uses {", ".join(sorted(deps[a][b]))}; '
              f'{b} uses {", ".join(sorted(deps[b][a]))}')
    print(f'{len(pairs)} module pairs call each other both ways')
    return 1 if pairs else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
