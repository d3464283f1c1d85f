#!/usr/bin/env python3
"""Cut the overlay into the patch series that harness/series.txt describes.

The overlay holds every file in its final form; the spec names, per patch,
its subject, its message and the changes it takes. A change ("chunk") is
one block of lines that differs between the base file and the overlay
file (difflib), an inserted block further cut where a new top-level item
begins, so that one new function is one chunk. A spec line takes chunks:

  Take: PATH           every chunk of PATH no other patch names below
  Take: PATH:SYMBOL    the chunks of PATH that define or sit in SYMBOL
                       (a function, struct, macro or variable name)
  Take: PATH/REGEX/    the chunks of PATH whose lines match REGEX

A chunk goes to the first patch naming it by SYMBOL or REGEX, else to the
patch that takes its whole file. A chunk nobody takes is an error, as is
a file taken whole by two patches. Patch N's tree is the base with the
chunks of patches 1..N applied, so the last tree is the overlay itself.

usage: series.py list SPEC BASE_DIR REPO_DIR FILE...
       series.py write SPEC BASE_DIR REPO_DIR OUT_DIR FILE...
  list:  every chunk with its symbols and its patch
  write: OUT_DIR/NN/ holds patch NN's message (msg) and the tree's files
         (tree/PATH; a file absent at that step is absent), OUT_DIR/cover
         the cover letter's text, OUT_DIR/count the number of patches
"""
import difflib
import os
import re
import sys

TOPLEVEL = re.compile(r'^[A-Za-z_#]')
IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def parse_spec(path):
    patches, cover, cur, mode = [], [], None, None
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('#'):
                continue
            if line == '%cover':
                mode, cur = 'cover', None
                continue
            if line.startswith('%patch '):
                cur = {'subject': line[len('%patch '):].strip(),
                       'take': [], 'msg': []}
                patches.append(cur)
                mode = 'head'
                continue
            if mode == 'cover':
                cover.append(line)
            elif mode == 'head':
                if line.startswith('Take:'):
                    cur['take'].extend(line[5:].split())
                elif line == '':
                    mode = 'msg'
                else:
                    sys.exit('series: %s: bad header line: %s' % (path, line))
            elif mode == 'msg':
                cur['msg'].append(line)
    for p in patches:
        while p['msg'] and p['msg'][-1] == '':
            p['msg'].pop()
    while cover and cover[-1] == '':
        cover.pop()
    return patches, '\n'.join(cover) + '\n'


def symbol_of(line):
    """The name a top-level line defines, or None."""
    if not TOPLEVEL.match(line):
        return None
    s = line.strip()
    m = re.match(r'#\s*define\s+([A-Za-z0-9_]+)', s)
    if m:
        return m.group(1)
    if s.startswith('#'):
        return None
    if s.startswith(('EXPORT_SYMBOL', 'module_', 'MODULE_', 'kunit_test_suite',
                     'late_initcall', 'subsys_initcall', 'device_initcall')):
        m = re.search(r'\(\s*([A-Za-z0-9_]+)', s)
        return m.group(1) if m else None
    if '(' in s:
        head = s.split('(')[0]
        ids = IDENT.findall(head)
        return ids[-1] if ids else None
    m = re.match(r'(?:static\s+)?(?:const\s+)?(struct|union|enum)\s+'
                 r'([A-Za-z0-9_]+)\s*(\{|$)', s)
    if m:
        return m.group(1) + ' ' + m.group(2)
    if '=' in s or s.endswith(';') or s.endswith('{'):
        head = s.split('=')[0].split('[')[0].rstrip(' ;{')
        ids = IDENT.findall(head)
        return ids[-1] if ids else None
    return None


def context(lines, upto):
    """The top-level symbol whose body holds line index upto."""
    for i in range(min(upto, len(lines) - 1), -1, -1):
        sym = symbol_of(lines[i])
        if sym:
            return sym
        if lines[i].startswith('}') and i < upto:
            # after the end of an item, before the next one
            return None
    return None


def chunks_of(a, b):
    """[(i1, i2, j1, j2, symbols)] for base lines a and overlay lines b."""
    out = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == 'equal':
            continue
        pieces = [(i1, i2, j1, j2)]
        if tag == 'insert':
            # a new top-level item (with its comment) starts after a blank line
            pieces, start = [], j1
            for j in range(j1 + 1, j2):
                if b[j - 1].strip() == '' and b[j].strip() != '' and \
                   not b[j][0].isspace() and b[j][0] != '}':
                    # the blank line goes with the item it introduces
                    if j - 1 > start:
                        pieces.append((i1, i1, start, j - 1))
                    start = j - 1
            pieces.append((i1, i1, start, j2))
            if context(b, j1) and all(b[j][:1].isspace() or b[j].strip() == ''
                                      for j in range(j1, j2)):
                # inside a body: statement by statement (a comment with
                # the statement it precedes, a block whole), for
                # PATH/REGEX/
                pieces, start, depth, incom, done = [], j1, 0, False, False
                for j in range(j1, j2):
                    code = b[j]
                    if incom:
                        if '*/' not in code:
                            code = ''
                        else:
                            code, incom = code.split('*/', 1)[1], False
                    code = re.sub(r'/\*.*?\*/|//.*$', '', code)
                    if '/*' in code:
                        code, incom = code.split('/*', 1)[0], True
                    code = code.strip()
                    depth += code.count('{') - code.count('}')
                    if code == '' and not incom and start == j and pieces \
                       and b[j].strip() == '':
                        # a blank line after a statement goes with it
                        pieces[-1] = pieces[-1][:3] + (j + 1,)
                        start = j + 1
                        continue
                    if code:
                        done = depth <= 0 and code[-1] in ';}'
                    if done and not incom:
                        # a statement ends, with the comment it ends in
                        pieces.append((i1, i1, start, j + 1))
                        start, depth, done = j + 1, 0, False
                if start < j2:
                    pieces.append((i1, i1, start, j2))
        for p in pieces:
            syms = set()
            for j in range(p[2], p[3]):
                s = symbol_of(b[j])
                if s:
                    syms.add(s)
            c = context(b, p[2])
            first = next((b[j] for j in range(p[2], p[3]) if b[j].strip()),
                         a[p[0]] if p[1] > p[0] else '')
            if c and (not syms or first[:1].isspace()):
                syms.add(c)
            out.append(p + (syms,))
    return out


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines(keepends=True)


def assign(patches, base, repo, files):
    whole, special = {}, []
    for n, p in enumerate(patches):
        for t in p['take']:
            rf = [f for f in files
                  if t.startswith(f + '/') and t.endswith('/') and
                  len(t) > len(f) + 2]
            if rf:
                f = rf[0]
                special.append((n, f, 're', re.compile(t[len(f) + 1:-1],
                                                      re.M)))
            elif ':' in t:
                f, sym = t.split(':', 1)
                special.append((n, f, 'sym', sym.replace('+', ' ')))
            else:
                if t in whole:
                    sys.exit('series: %s taken whole by patches %d and %d' %
                             (t, whole[t] + 1, n + 1))
                whole[t] = n
    result, used, errors = {}, set(), []
    for f in files:
        a = read_lines(os.path.join(base, f))
        b = read_lines(os.path.join(repo, f))
        cl = []
        for c in chunks_of(a, b):
            text = ''.join(a[c[0]:c[1]] + b[c[2]:c[3]])
            owner = None
            for k, (n, sf, kind, what) in enumerate(special):
                if sf != f:
                    continue
                if (kind == 'sym' and what in c[4]) or \
                   (kind == 're' and what.search(text)):
                    owner = n
                    used.add(k)
                    break
            if owner is None:
                owner = whole.get(f)
            if owner is None:
                errors.append('%s: chunk at line %d (%s) is taken by no patch'
                              % (f, c[2] + 1, ','.join(sorted(c[4])) or '-'))
            cl.append(c + (owner,))
        result[f] = (a, b, cl)
    for k, (n, sf, kind, what) in enumerate(special):
        if k not in used:
            errors.append('patch %d: %s %s takes nothing' %
                          (n + 1, sf, what if kind == 'sym' else what.pattern))
    for f in whole:
        if f not in files:
            errors.append('%s: not in the overlay' % f)
    return result, errors


def tree_at(a, b, cl, n):
    """Lines of the file with the chunks of patches 0..n applied."""
    out, ai = [], 0
    for i1, i2, j1, j2, syms, owner in cl:
        out.extend(a[ai:i1])
        if owner is not None and owner <= n:
            out.extend(b[j1:j2])
        else:
            out.extend(a[i1:i2])
        ai = i2
    out.extend(a[ai:])
    return out


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ('list', 'write'):
        sys.exit(__doc__)
    cmd, spec, base, repo = sys.argv[1:5]
    rest = sys.argv[5:]
    outdir = None
    if cmd == 'write':
        outdir, rest = rest[0], rest[1:]
    patches, cover = parse_spec(spec)
    result, errors = assign(patches, base, repo, rest)
    if cmd == 'list':
        for f in rest:
            a, b, cl = result[f]
            for c in cl:
                first = b[c[2]].rstrip() if c[3] > c[2] else \
                    '-' + a[c[0]].rstrip()
                print('%s:%d +%d -%d [%s] -> %s | %s' %
                      (f, c[2] + 1, c[3] - c[2], c[1] - c[0],
                       ','.join(sorted(c[4])),
                       'NONE' if c[5] is None else c[5] + 1, first[:60]))
    for e in errors:
        print('series: ' + e, file=sys.stderr)
    if errors:
        sys.exit(1)
    if cmd == 'list':
        return
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, 'cover'), 'w') as fo:
        fo.write(cover)
    with open(os.path.join(outdir, 'count'), 'w') as fo:
        fo.write('%d\n' % len(patches))
    for n, p in enumerate(patches):
        d = os.path.join(outdir, '%02d' % (n + 1))
        with open(os.path.join(d + '.msg'), 'w') as fo:
            fo.write(p['subject'] + '\n\n' + '\n'.join(p['msg']) + '\n')
        for f in rest:
            a, b, cl = result[f]
            exists = os.path.exists(os.path.join(base, f)) or \
                any(c[5] is not None and c[5] <= n for c in cl)
            if not exists:
                continue
            t = os.path.join(d, f)
            os.makedirs(os.path.dirname(t), exist_ok=True)
            with open(t, 'w') as fo:
                fo.write(''.join(tree_at(a, b, cl, n)))
            st = os.stat(os.path.join(repo, f))
            os.chmod(t, st.st_mode & 0o777)


if __name__ == '__main__':
    main()
