"course_tl.recipes beyond its notebook: export -> load_learner in a fresh process, and `course-tl dogs-cats` on bad input"
import json, shutil
import pytest
from course_tl.core import cache_dir
from course_tl.data import dogs_cats_path
from course_tl.cli import main

@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    "Prepared copies and features go to a private cache (the samples are still found in the checkout's data_cache/): the repo's cache is neither written nor cleaned, so notebooks may run beside these tests"
    monkeypatch.setenv('COURSE_TL_CACHE', str(tmp_path/'cache'))

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

def test_missing_folder(tmp_path, refused):
    refused('dogs-cats', '--data', tmp_path/'nowhere', contains='does not exist')

def test_unknown_recipe(capsys):
    with pytest.raises(SystemExit) as e: main(['dogs-cats', '--recipe', 'transfer'])
    assert e.value.code == 2 and 'invalid choice' in capsys.readouterr().err

def test_bad_epochs_before_any_download(offline, monkeypatch, refused):
    "Full mode would download 800 MB of photos: `--epochs -1` is refused first"
    monkeypatch.delenv('COURSE_TL_DATA', raising=False)
    line = refused('dogs-cats', '--full', '--epochs', '-1', contains='--epochs')
    assert 'network' not in line and 'download' not in line.lower(), line

def test_offline_arch_before_any_download(offline, monkeypatch, refused):
    "An explicit body whose weights can't be had offline is refused before the photos are downloaded"
    from course_tl.models import weights_available
    if weights_available('resnet34'): pytest.skip('resnet34 weights are cached here')
    monkeypatch.delenv('COURSE_TL_DATA', raising=False)
    line = refused('dogs-cats', '--full', '--arch', 'resnet34', contains='resnet34')
    assert 'efficientnet_lite0' in line and 'dogs-vs-cats' not in line, line

def test_help(help_text):
    "The dispatcher finds the command and its docments make the help (the options list is the recipes notebook's test)"
    out = help_text('dogs-cats')
    assert 'one recipe, or all of them' in out and 'efficientnet_lite0' in out and '--export' in out


def test_too_few_photos_refused_before_training(tmp_path, refused):
    "A train/ + valid/ folder with 3 photos of each class to validate on: one line saying what is missing, nothing trained"
    src = dogs_cats_path()
    for split, n in (('train', 12), ('valid', 3)):
        for c in ('cats', 'dogs'):
            (tmp_path/'few'/split/c).mkdir(parents=True)
            for f in sorted((src/split/c).iterdir())[:n]: shutil.copy(f, tmp_path/'few'/split/c/f.name)
    refused('dogs-cats', '--data', tmp_path/'few', '--recipe', 'frozen', '--json', tmp_path/'r.json', contains='6 validation images')
    assert not (tmp_path/'r.json').exists()
