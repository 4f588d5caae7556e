#!/usr/bin/env python3
"""Every public declaration of include/tsuiseki/ says since when it exists.

A public declaration is a TSK_API function, a typedef, or a public macro
(#define TSK_..., not TSK__..., not an include guard or TSK_API itself). Its
Doxygen comment, the one just above it or the /**< */ on its line, must say
`@since X.Y`.

    tests/tools/since.py HEADER|DIR...      list declarations without @since; exit 1 if any
    tests/tools/since.py --add V HEADER...  add `@since V` where it is missing
    tests/tools/since.py --add-by-rev REV V_OLD V_NEW HEADER...
                                            V_OLD for names the headers at REV declared, else V_NEW
"""
import glob
import os
import re
import subprocess
import sys

SKIP_MACROS = {'TSK_API', 'TSK_BEGIN_DECLS', 'TSK_END_DECLS'}


def declarations(lines):
    """(first line, last line, name) of each public declaration."""
    out = []
    i, n = 0, len(lines)
    in_comment = False
    while i < n:
        line = lines[i]
        if in_comment:
            if '*/' in line:
                in_comment = False
            i += 1
            continue
        stripped = line.strip()
        if stripped.startswith('/*') and '*/' not in stripped:
            in_comment = True
            i += 1
            continue
        m = re.match(r'^#\s*define\s+(TSK_[A-Za-z0-9_]+)', line)
        if m and not m.group(1).startswith('TSK__') and m.group(1) not in SKIP_MACROS \
                and not m.group(1).endswith('_H'):
            j = i
            while lines[j].rstrip().endswith('\\'):
                j += 1
            out.append((i, j, m.group(1)))
            i = j + 1
            continue
        if re.match(r'^TSK_API\b', line):
            j = i
            text = line
            while ';' not in lines[j]:
                j += 1
                text += lines[j]
            name = re.search(r'(\w+)\s*\(', text.replace('TSK_API', '')).group(1)
            out.append((i, j, name))
            i = j + 1
            continue
        if re.match(r'^typedef\b', line):
            j, depth, text = i, 0, ''
            while True:
                text += lines[j]
                depth += lines[j].count('{') - lines[j].count('}')
                if depth == 0 and ';' in lines[j]:
                    break
                j += 1
            fn = re.search(r'\(\s*\*\s*(\w+)\s*\)', text)
            if fn and '{' not in text:
                name = fn.group(1)
            else:
                name = re.findall(r'(\w+)\s*;', text)[-1]
            out.append((i, j, name))
            i = j + 1
            continue
        i += 1
    return out


def doc_of(lines, first):
    """(start, end) of the comment just above line first, or None."""
    k = first - 1
    if k < 0 or not lines[k].rstrip().endswith('*/'):
        return None
    start = k
    while '/*' not in lines[start]:
        start -= 1
    if re.match(r'^\s*/\*\s*-{3,}', lines[start]):   # a section rule, not a doc comment
        return None
    return start, k


def missing(lines):
    """Declarations without @since: (first, last, name, doc)."""
    res = []
    for first, last, name in declarations(lines):
        if '/**<' in lines[first]:
            if '@since' not in lines[first]:
                res.append((first, last, name, 'trailing'))
            continue
        doc = doc_of(lines, first)
        if doc and any('@since' in lines[x] for x in range(doc[0], doc[1] + 1)):
            continue
        res.append((first, last, name, doc))
    return res


def add(lines, version_of):
    """Add @since to every declaration missing it, bottom up."""
    for first, last, name, doc in reversed(missing(lines)):
        v = version_of(name)
        if doc == 'trailing':
            lines[first] = re.sub(r'\s*\*/', f' @since {v} */', lines[first], count=1)
        elif doc is None:
            indent = re.match(r'^\s*', lines[first]).group(0)
            lines.insert(first, f'{indent}/** @since {v} */\n')
        else:
            start, end = doc
            if start == end:
                lines[end] = re.sub(r'\s*\*/\s*$', f' @since {v} */\n', lines[end])
            elif lines[end].strip() == '*/':
                indent = lines[end][:lines[end].index('*')]
                lines.insert(end, f'{indent}* @since {v}\n')
            else:
                lines[end] = re.sub(r'\s*\*/\s*$', f' @since {v} */\n', lines[end])
            if lines[start].lstrip().startswith('/*') and not lines[start].lstrip().startswith('/**'):
                lines[start] = lines[start].replace('/*', '/**', 1)
    return lines


def names_at(rev, paths):
    names = set()
    for p in paths:
        p = p.split('include/', 1)[-1]
        r = subprocess.run(['git', 'show', f'{rev}:include/{p}'], capture_output=True, text=True)
        if r.returncode == 0:
            names |= {d[2] for d in declarations(r.stdout.splitlines(True))}
    return names


def expand(paths):
    """A directory stands for its *.h and *.h.in files."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(glob.glob(os.path.join(p, '*.h')) + glob.glob(os.path.join(p, '*.h.in')))
        else:
            out.append(p)
    return out


def main(argv):
    args = argv[1:]
    if args and args[0] == '--add':
        v, paths = args[1], args[2:]
        version_of = lambda name: v
    elif args and args[0] == '--add-by-rev':
        rev, old, new, paths = args[1], args[2], args[3], args[4:]
        known = names_at(rev, paths)
        version_of = lambda name: old if name in known else new
    else:
        paths, version_of = args, None
    paths = expand(paths)
    bad = 0
    for p in paths:
        with open(p, encoding='utf-8') as f:
            lines = f.readlines()
        if version_of:
            with open(p, 'w', encoding='utf-8') as f:
                f.writelines(add(lines, version_of))
            continue
        for first, last, name, doc in missing(lines):
            print(f'{p}:{first + 1}: {name} has no @since')
            bad += 1
    if not version_of:
        total = 0
        for p in paths:
            with open(p, encoding='utf-8') as f:
                total += len(declarations(f.readlines()))
        print(f'{total} public declarations, {bad} without @since')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
