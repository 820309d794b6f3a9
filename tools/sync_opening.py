"""Rewrite the opening cells of lesson notebooks (title + badge, Colab install, MODE line and banner) from `course_tl.colab.colab_cells`,
keeping each lesson's title, summary and minutes, so that a change to the shared cells reaches every lesson at once.

    python tools/sync_opening.py                 # every lesson, nbs/1*_*.ipynb
    python tools/sync_opening.py nbs/11_railway.ipynb

Only the cells' sources change (outputs stay until the lesson is run again); tests/test_colab_cells.py checks they match.
"""
import re, sys
from pathlib import Path
import nbformat
from course_tl.colab import colab_cells, lesson_minutes

ROOT = Path(__file__).resolve().parent.parent

def sync(p:Path) -> bool:
    "Rewrite `p`'s three opening cells from `colab_cells`; True if anything changed"
    nb = nbformat.read(p, as_version=4)
    title, summary = re.match(r'# (.+)\n+> (.+)', nb.cells[0].source).groups()
    minutes = lesson_minutes(nb.cells[2].source)
    made = colab_cells(p.name, title, summary, minutes=minutes)
    old = [c.source for c in nb.cells[:3]]
    nb.cells[0].source = made[0].source   # the first cell is exactly title, summary and badge
    for i in (1, 2): nb.cells[i].source = made[i].source
    nb.cells[1].metadata['tags'] = ['colab-install']
    if old == [c.source for c in nb.cells[:3]]: return False
    nbformat.write(nb, p); return True

if __name__ == '__main__':
    for p in [Path(a) for a in sys.argv[1:]] or sorted((ROOT/'nbs').glob('1*_*.ipynb')):
        print(f"{p.name}: {'rewritten' if sync(p) else 'already in sync'}")
