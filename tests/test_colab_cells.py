"""Every lesson notebook (nbs/1*_*.ipynb) opens with the cells CONTRACT.md describes, exactly as `colab_cells` writes them: title
and an Open-in-Colab badge pointing at itself, a Colab-only install cell, and the mode banner. What those generated cells do
(the badge's URL from pyproject.toml, the install cell a no-op outside Colab, the mode cell's QUICK and its editable MODE line)
is the colab notebook's test (nbs/21_colab.ipynb), run once on `colab_cells`' output."""
import re
from pathlib import Path
import nbformat, pytest
from course_tl.colab import colab_cells, lesson_minutes

ROOT = Path(__file__).resolve().parent.parent
INTRO = ROOT/'nbs'/'10_functions_learn_weights.ipynb'
LESSONS = sorted({INTRO, *(ROOT/'nbs').glob('1*_*.ipynb')})

@pytest.fixture(params=LESSONS, ids=lambda p: p.stem)
def lesson(request):
    if not request.param.exists(): pytest.skip(f'{request.param.name} does not exist')
    return request.param, nbformat.read(request.param, as_version=4)

def test_intro_lesson_is_found():
    assert INTRO in LESSONS and INTRO.exists()

def test_colab_cells_makes_the_contract_cells(lesson):
    "`colab_cells` writes exactly the opening cells each lesson has (its own file name in the badge, its own minutes in the banner)"
    path, nb = lesson
    m = re.match(r'# (.+)\n+> (.+)', nb.cells[0].source)
    assert nb.cells[0].cell_type == 'markdown' and m, 'cell 1: a `# ` title line, then a `> summary` line'
    made = colab_cells(path.name, *m.groups(), minutes=lesson_minutes(nb.cells[2].source))   # cell 3: the mode cell, with the lesson's minutes
    assert [c.source for c in made] == [c.source for c in nb.cells[:3]]
    assert [c.cell_type for c in made] == [c.cell_type for c in nb.cells[:3]]
    assert nb.cells[1].metadata.get('tags') == made[1].metadata.tags == ['colab-install']

def test_one_title_and_one_install_cell(lesson):
    "Nothing after the opening cells repeats them: one `# ` title, one cell tagged `colab-install`"
    path, nb = lesson
    titles = [l for c in nb.cells if c.cell_type == 'markdown' for l in c.source.splitlines() if l.startswith('# ')]
    assert len(titles) == 1, f'exactly one `# ` title, found {titles}'
    assert [i for i, x in enumerate(nb.cells) if 'colab-install' in x.get('metadata', {}).get('tags', [])] == [1]

def test_lessons_export_nothing(lesson):
    "Lessons tell the story; the library notebooks (0x, 2x, 3x) hold the code"
    path, nb = lesson
    code = [c.source for c in nb.cells if c.cell_type == 'code']
    assert not [s for s in code if re.search(r'^\s*#\|\s*(export|exports|exporti|default_exp)\b', s, re.M)], \
        f'{path.name} has #| export or #| default_exp cells: move the helpers into a library notebook'
