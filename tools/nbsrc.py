"""Author notebooks as plain text and turn them into .ipynb (and back).

The `.ipynb` files in `nbs/` are the source of truth. This tool only makes writing them easier:

    python tools/nbsrc.py to-nb  lesson.txt nbs/03_railway.ipynb   # text -> notebook
    python tools/nbsrc.py to-txt nbs/03_railway.ipynb lesson.txt   # notebook -> text

Text format: cells start with a marker line `%% md`, `%% code` or `%% raw`, optionally followed by
`tags=a,b` (cell tags, e.g. `tags=notes` for speaker notes). Everything up to the next marker is the cell.
"""
import re, sys
from pathlib import Path
import nbformat

_marker = re.compile(r'^%% (md|code|raw)(?:\s+tags=(\S+))?\s*$')

def txt2nb(txt):
    cells, kind, tags, buf = [], None, [], []
    def flush():
        if kind is None: return
        src = '\n'.join(buf).strip('\n')
        mk = {'md': nbformat.v4.new_markdown_cell, 'code': nbformat.v4.new_code_cell, 'raw': nbformat.v4.new_raw_cell}[kind]
        c = mk(src)
        if tags: c.metadata['tags'] = tags
        cells.append(c)
    for line in txt.splitlines():
        m = _marker.match(line)
        if m:
            flush()
            kind, tags, buf = m.group(1), (m.group(2).split(',') if m.group(2) else []), []
        else: buf.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata['kernelspec'] = {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}
    return nb

def nb2txt(nb):
    out = []
    for c in nb.cells:
        kind = {'markdown': 'md', 'code': 'code', 'raw': 'raw'}[c.cell_type]
        tags = c.get('metadata', {}).get('tags', [])
        out.append(f"%% {kind}" + (f" tags={','.join(tags)}" if tags else ''))
        out.append(c.source)
    return '\n'.join(out) + '\n'

if __name__ == '__main__':
    cmd, src, dst = sys.argv[1:4]
    if cmd == 'to-nb':
        nb = txt2nb(Path(src).read_text())
        if Path(dst).exists():  # keep outputs of unchanged code cells
            old = {c.source: c for c in nbformat.read(dst, as_version=4).cells if c.cell_type == 'code'}
            for c in nb.cells:
                if c.cell_type == 'code' and c.source in old:
                    c.outputs, c.execution_count = old[c.source].outputs, old[c.source].execution_count
        nbformat.write(nb, dst)
    elif cmd == 'to-txt': Path(dst).write_text(nb2txt(nbformat.read(src, as_version=4)))
    else: sys.exit(f"unknown command {cmd}")
