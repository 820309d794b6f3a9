"course_tl.recipes beyond its notebook: export -> load_learner in a fresh process, and `course-tl dogs-cats` on bad input"
import json, shutil
import pytest
from course_tl.core import cache_dir
from course_tl.data import dogs_cats_path
from course_tl.cli import main

@pytest.fixture(autouse=True)
def _cleanup():
    "Remove what a test adds to the cache (features, prepared copies)"
    before = set(cache_dir('generated').iterdir())
    yield
    for p in set(cache_dir('generated').iterdir()) - before:
        if p.is_dir(): shutil.rmtree(p, ignore_errors=True)
        else: p.unlink(missing_ok=True)

def _one_error(capsys, rc):
    "The single error line `course-tl dogs-cats` printed, after checking the exit code and that there is no traceback"
    err = capsys.readouterr().err
    assert rc == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('course-tl dogs-cats: error:') and 'Traceback' not in err, err
    return lines[0]

def test_export_loads_in_a_fresh_process(tmp_path, capsys, fresh_python):
    f, j = tmp_path/'models'/'dc.pkl', tmp_path/'out'/'dc.json'   # folders that don't exist yet
    rc = main(['dogs-cats', '--recipe', 'frozen', '--arch', 'efficientnet_lite0', '--limit', '4', '--size', '64', '--bs', '4',
               '--epochs', '1', '--quick', '--export', f, '--json', j])
    out = capsys.readouterr().out
    assert rc == 0 and '| frozen body + head |' in out and 'QUICK mode' in out, out
    assert json.loads(j.read_text())['rows'][0]['epochs'] == 1
    img = sorted((dogs_cats_path()/'valid'/'dogs').iterdir())[0]
    code = f"from fastai.learner import load_learner; print(load_learner({str(f)!r}).predict({str(img)!r})[0])"  # no course_tl import
    assert fresh_python(code).strip().splitlines()[-1] in ('cats', 'dogs')

def test_missing_folder(tmp_path, capsys):
    assert 'does not exist' in _one_error(capsys, main(['dogs-cats', '--data', tmp_path/'nowhere']))

def test_one_class_only(tmp_path, capsys):
    src = dogs_cats_path()
    for s in ('train', 'valid'): shutil.copytree(src/s/'cats', tmp_path/'split'/s/'cats')   # train/valid layout with only cats
    assert 'at least two' in _one_error(capsys, main(['dogs-cats', '--data', tmp_path/'split']))
    shutil.copytree(src/'train'/'cats', tmp_path/'plain'/'cats')   # plain class folder with one class
    assert 'at least two' in _one_error(capsys, main(['dogs-cats', '--data', tmp_path/'plain']))

def test_mismatched_classes(tmp_path, capsys):
    src = dogs_cats_path()
    for c in ('cats', 'dogs'): shutil.copytree(src/'train'/c, tmp_path/'train'/c)
    shutil.copytree(src/'valid'/'cats', tmp_path/'valid'/'cats'); shutil.copytree(src/'valid'/'dogs', tmp_path/'valid'/'horses')
    assert 'must match' in _one_error(capsys, main(['dogs-cats', '--data', tmp_path]))

def test_unknown_recipe(capsys):
    with pytest.raises(SystemExit) as e: main(['dogs-cats', '--recipe', 'transfer'])
    assert e.value.code == 2 and 'invalid choice' in capsys.readouterr().err

def test_bad_epochs_before_any_download(offline, monkeypatch, capsys):
    "Full mode would download 800 MB of photos: `--epochs -1` is refused first"
    monkeypatch.delenv('COURSE_TL_DATA', raising=False)
    line = _one_error(capsys, main(['dogs-cats', '--full', '--epochs', '-1']))
    assert '--epochs' in line and 'network' not in line and 'download' not in line.lower(), line

def test_offline_arch_before_any_download(offline, monkeypatch, capsys):
    "An explicit body whose weights can't be had offline is refused before the photos are downloaded"
    from course_tl.models import weights_available
    if weights_available('resnet34'): pytest.skip('resnet34 weights are cached here')
    monkeypatch.delenv('COURSE_TL_DATA', raising=False)
    line = _one_error(capsys, main(['dogs-cats', '--full', '--arch', 'resnet34']))
    assert 'resnet34' in line and 'efficientnet_lite0' in line and 'dogs-vs-cats' not in line, line

def test_help_in_a_fresh_process(cli):
    r = cli('dogs-cats', '--help')
    assert r.returncode == 0 and r.stdout.startswith('usage: course-tl dogs-cats'), r.stderr
    for opt in ('--recipe', '--data', '--arch', '--size', '--bs', '--epochs', '--limit', '--quick', '--full', '--export', '--json'):
        assert opt in r.stdout, opt
    assert 'one recipe, or all of them' in r.stdout and 'efficientnet_lite0' in r.stdout
