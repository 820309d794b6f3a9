"""Write README.md from nbs/index.ipynb (nbdev-readme needs Quarto, which is not installable everywhere).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is out of date
"""
import sys
from pathlib import Path
import nbformat

root = Path(__file__).resolve().parent.parent

def render(nb_path=root/'nbs'/'index.ipynb') -> str:
    "README text: markdown cells as they are, visible code cells as python blocks"
    parts = []
    for c in nbformat.read(nb_path, as_version=4).cells:
        src = c.source.strip()
        if c.cell_type == 'markdown': parts.append(src)
        elif c.cell_type == 'code' and not src.startswith('#| hide'):
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
            if code.strip(): parts.append(f"```python\n{code}\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    txt, readme = render(), root/'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == txt
        print('README.md is up to date' if ok else 'README.md is out of date: run `make readme`')
        sys.exit(0 if ok else 1)
    readme.write_text(txt); print('wrote', readme)
