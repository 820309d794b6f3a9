"""Write README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which is not installable everywhere).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is out of date
"""
import sys
from pathlib import Path
from fastcore.nbio import read_nb

root = Path(__file__).resolve().parent.parent

def render(nb_path=root/'nbs'/'index.ipynb') -> str:
    "README text: markdown cells as they are, visible code cells (nbdev's directives read and removed by nbdev's own `NbCell`) as python blocks"
    parts = []
    for c in read_nb(nb_path).cells:
        if c.cell_type == 'markdown': parts.append(c.source.strip())
        elif c.cell_type == 'code' and not c.has_directive('hide'):
            c.remove_directives(); code = c.source.strip()
            if code: parts.append(f"```python\n{code}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    txt, readme = render(), root/'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == txt
        print('README.md is up to date' if ok else 'README.md is out of date: run `make readme`')
        sys.exit(0 if ok else 1)
    readme.write_text(txt); print('wrote', readme)
