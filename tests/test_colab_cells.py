"""Every lesson notebook (nbs/1*_*.ipynb) opens with the cells CONTRACT.md describes: title and an Open-in-Colab badge
pointing at itself in the repository of pyproject.toml, a Colab-only install cell, and the mode banner."""
import contextlib, io, re, subprocess, sys, types
from pathlib import Path
from unittest import mock
import nbformat, pytest
from course_tl.colab import colab_cells

ROOT = Path(__file__).resolve().parent.parent
INTRO = ROOT/'nbs'/'10_functions_learn_weights.ipynb'
LESSONS = sorted({INTRO, *(ROOT/'nbs').glob('1*_*.ipynb')})

def github_repo() -> tuple[str, str]:
    "(user, repo) from `[project.urls] Repository` in pyproject.toml"
    try:
        import tomllib
        url = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['urls']['Repository']
    except ImportError: url = re.search(r'^Repository\s*=\s*"([^"]+)"', (ROOT/'pyproject.toml').read_text(), re.M).group(1)
    m = re.fullmatch(r'https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?', url)
    assert m, f'[project.urls] Repository should be https://github.com/<user>/<repo>, not {url}'
    return m.group(1), m.group(2)

@pytest.fixture(params=LESSONS, ids=lambda p: p.stem)
def lesson(request):
    if not request.param.exists(): pytest.skip(f'{request.param.name} does not exist')
    return request.param, nbformat.read(request.param, as_version=4)

def run_cell(src:str) -> tuple[dict, str]:
    "Execute `src` in a fresh namespace; the namespace and what it printed"
    ns, out = {'__name__': '__lesson__'}, io.StringIO()
    with contextlib.redirect_stdout(out): exec(compile(src, '<cell>', 'exec'), ns)
    return ns, out.getvalue()

def _refuse(*args, **kwargs): raise AssertionError(f'subprocess.run called outside Colab: {args}')

def test_intro_lesson_is_found():
    assert INTRO in LESSONS and INTRO.exists()

def test_title_and_badge(lesson):
    path, nb = lesson
    c = nb.cells[0]
    assert c.cell_type == 'markdown'
    lines = [l for l in c.source.splitlines() if l.strip()]
    assert lines[0].startswith('# ') and lines[1].startswith('> '), 'title line, then a `> summary` line'
    titles = [l for cell in nb.cells if cell.cell_type == 'markdown' for l in cell.source.splitlines() if l.startswith('# ')]
    assert len(titles) == 1, f'exactly one `# ` title, found {titles}'
    badges = re.findall(r'\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]\(([^)\s]+)\)', c.source)
    assert len(badges) == 1, 'one Open-in-Colab badge in the first cell'
    user, repo = github_repo()
    assert badges[0] == f'https://colab.research.google.com/github/{user}/{repo}/blob/main/nbs/{path.name}'

def test_colab_install_cell(lesson):
    path, nb = lesson
    c = nb.cells[1]
    assert c.cell_type == 'code' and 'colab-install' in c.metadata.get('tags', []), 'cell 2: code tagged `colab-install`'
    assert [i for i, x in enumerate(nb.cells) if 'colab-install' in x.get('metadata', {}).get('tags', [])] == [1]
    assert re.search(r"""if\s+['"]google\.colab['"]\s+in\s+sys\.modules\s*:""", c.source), 'guarded by the google.colab check'
    # a no-op outside Colab
    assert 'google.colab' not in sys.modules
    with mock.patch('subprocess.run', _refuse): ns, out = run_cell(c.source)
    assert out == ''
    # in Colab it pip-installs this repository
    calls = []
    with mock.patch.dict(sys.modules, {'google': types.ModuleType('google'), 'google.colab': types.ModuleType('google.colab')}), \
         mock.patch('subprocess.run', lambda *a, **k: calls.append((a, k))): run_cell(c.source)
    assert len(calls) == 1
    cmd = calls[0][0][0]
    user, repo = github_repo()
    assert cmd[:4] == [sys.executable, '-m', 'pip', 'install'] and cmd[-1].endswith(f'git+https://github.com/{user}/{repo}')
    assert calls[0][1].get('check') is True

@pytest.mark.parametrize('mode,word,quick', [('quick', 'QUICK', True), ('full', 'FULL', False), ('original', 'ORIGINAL', False)])
def test_mode_cell(lesson, monkeypatch, mode, word, quick):
    path, nb = lesson
    c = nb.cells[2]
    assert c.cell_type == 'code'
    monkeypatch.setenv('COURSE_TL_MODE', mode)
    ns, out = run_cell(c.source)
    assert ns['QUICK'] is quick and f'{word} mode' in out

def test_lessons_export_nothing(lesson):
    "Lessons tell the story; the library notebooks (0x, 2x, 3x) hold the code"
    path, nb = lesson
    code = [c.source for c in nb.cells if c.cell_type == 'code']
    assert not [s for s in code if re.search(r'^\s*#\|\s*(export|exports|exporti|default_exp)\b', s, re.M)], \
        f'{path.name} has #| export or #| default_exp cells: move the helpers into a library notebook'

def test_colab_cells_makes_the_contract_cells(lesson):
    "`colab_cells` writes exactly the opening cells each lesson has (its own minutes in the banner)"
    path, nb = lesson
    title, summary = re.match(r'# (.+)\n+> (.+)', nb.cells[0].source).groups()
    minutes = tuple(int(m) for m in re.search(r'minutes=\((\d+), (\d+)\)', nb.cells[2].source).groups())
    made = colab_cells(path.name, title, summary, minutes=minutes)
    assert [c.source for c in made] == [c.source for c in nb.cells[:3]]
    assert made[1].metadata.tags == ['colab-install']

def test_mode_line_is_editable(lesson, monkeypatch):
    "The mode cell starts with `MODE = None`, which a student edits; 'quick'/'full' win over COURSE_TL_MODE, anything else is refused"
    path, nb = lesson
    src = nb.cells[2].source
    assert src.startswith('MODE = None'), 'the first line of the mode cell is the editable MODE line'
    monkeypatch.setenv('COURSE_TL_MODE', 'quick')
    ns, out = run_cell(src.replace('MODE = None', "MODE = 'full'", 1))
    assert ns['QUICK'] is False and 'FULL mode' in out and re.search(r'About \d+ min in quick mode .* about \d+ min in full mode', out), out
    from course_tl.core import InputError
    with pytest.raises(InputError): run_cell(src.replace('MODE = None', "MODE = 'fast'", 1))
