import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('COURSE_TL_MODE', 'quick')
os.environ.setdefault('MPLBACKEND', 'Agg')

@pytest.fixture
def offline(monkeypatch):
    "Simulate a machine with no network"
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')

def fresh(*cmd, timeout=600, env=None):
    "Run `cmd` in a fresh process (the one subprocess helper of the suite); returns the CompletedProcess"
    import subprocess
    e = {**os.environ, **(env or {})}
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, env=e, cwd=ROOT)

@pytest.fixture
def cli():
    "Run the `course-tl` console script in a fresh process: `cli('activations', '--image', IMG)` (one smoke test of the entry point; everything else goes through `cli.main` in process)"
    exe = Path(sys.executable).parent/'course-tl'
    return lambda *args, **kw: fresh(exe, *args, **kw)

@pytest.fixture
def fresh_python():
    "Run Python `code` in a fresh process; asserts it succeeded and returns what it printed"
    def run(code, env=None, timeout=600):
        r = fresh(sys.executable, '-c', code, env=env, timeout=timeout)
        assert r.returncode == 0, r.stderr[-3000:]
        return r.stdout
    return run

@pytest.fixture
def refused(capsys):
    """`refused(command, *args, contains='...')`: run `course-tl command args` in this process (`cli.main`) and check that it
    refused them as a user should see it: exit code 1, one line `course-tl command: error: ...` holding `contains` on stderr,
    no traceback. Returns that line."""
    from course_tl.cli import main
    def run(command, *args, contains=''):
        rc = main([command, *args])
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert rc == 1 and len(lines) == 1 and lines[0].startswith(f'course-tl {command}: error:'), f'exit code {rc}: {err}'
        assert 'Traceback' not in err and contains in lines[0], err
        return lines[0]
    return run

@pytest.fixture
def help_text(capsys):
    "`help_text(command)`: what `course-tl command --help` prints, through `cli.main` in this process, whitespace collapsed"
    from course_tl.cli import main
    def run(command):
        with pytest.raises(SystemExit) as e: main([command, '--help'])
        out = capsys.readouterr().out
        assert e.value.code == 0 and out.startswith(f'usage: course-tl {command}'), out
        return ' '.join(out.split())
    return run

SHARED = ROOT.parent/'shared'/'data'
IMDB_CAP = 40  # reviews kept per folder (train/neg, train/pos, test/neg, test/pos, unsup) of the real archive

@pytest.fixture(scope='session')
def full_imdb():
    """fastai's full IMDB layout where `untar_data(URLs.IMDB)` looks for it (the course's cache as fastai's base), made
    from the development copy `../shared/data/imdb.tgz` with the course's safe extraction, capped at IMDB_CAP reviews
    per folder so tokenizing it takes seconds. The library's own call, `imdb_path(full=True)`, then finds it offline."""
    import re, shutil
    from fastai.data.external import URLs
    from course_tl.core import fastai_data_path
    from course_tl.data import safe_extract
    tgz = SHARED/'imdb.tgz'
    if not tgz.is_file(): pytest.skip(f'{tgz} is not here (the development copy of the full IMDB)')
    dest = fastai_data_path(URLs.IMDB)
    mark = dest/'.course_tl_test_copy'
    if mark.exists() and mark.read_text() == str(IMDB_CAP): return dest
    if dest.exists() and not mark.exists(): return dest   # a real download: use it as it is
    seen = {}
    def keep(name):
        m = re.fullmatch(r'imdb/(train/neg|train/pos|test/neg|test/pos|unsup)/[^/]+\.txt', name)
        if not m: return name == 'imdb/README'
        seen[m.group(1)] = seen.get(m.group(1), 0) + 1
        return seen[m.group(1)] <= IMDB_CAP
    tmp = dest.with_name(dest.name + '.tmp'); shutil.rmtree(tmp, ignore_errors=True)
    safe_extract(tgz, tmp, keep=keep)
    shutil.rmtree(dest, ignore_errors=True); shutil.rmtree(dest.with_name(dest.name + '_tok'), ignore_errors=True)
    (tmp/'imdb').rename(dest); tmp.rmdir()
    mark.write_text(str(IMDB_CAP))
    return dest
