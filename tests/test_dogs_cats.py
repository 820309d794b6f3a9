"Dogs vs cats recipes: a row per recipe on a tiny subset, export -> load_learner in a fresh process, CLI bad input"
import json, subprocess, sys, shutil
from pathlib import Path
import pytest
from course_tl.core import cache_dir
from course_tl.data import dogs_cats_path
from course_tl.dogs_cats import run_recipes, dogs_cats_main, RECIPES, COLUMNS

TINY = dict(arch='efficientnet_lite0', size=64, bs=4, epochs={k: 1 for k in RECIPES}, n_train=4, n_valid=3, lr_find_its=10)

@pytest.fixture(autouse=True)
def _cleanup():
    "Remove what a test adds to the cache (features, prepared copies)"
    before = set(cache_dir('generated').iterdir())
    yield
    for p in set(cache_dir('generated').iterdir()) - before:
        if p.is_dir(): shutil.rmtree(p, ignore_errors=True)
        else: p.unlink(missing_ok=True)

def test_every_recipe_gives_a_row():
    rows, res = run_recipes(dogs_cats_path(), RECIPES, **TINY)
    assert [r['recipe'] for r in rows] == ['scratch convnet', 'feature extraction + head', 'frozen body + head',
                                           'later layers + head', 'fine-tuned (1cycle)', 'fine-tuned (SGDR)', 'plain PyTorch (SGD + StepLR)']
    for r in rows:
        assert set(COLUMNS) <= set(r) and 0 <= r['valid_accuracy'] <= 1 and r['seconds'] > 0 and r['trainable_params'] > 0
        assert len(r['curve']) == r['epochs']
    by = {r['recipe']: r for r in rows}
    assert by['frozen body + head']['trainable_params'] < by['later layers + head']['trainable_params'] < by['fine-tuned (1cycle)']['trainable_params']
    assert by['feature extraction + head']['trainable_params'] < by['frozen body + head']['trainable_params']
    assert by['fine-tuned (1cycle)']['epochs'] == 1 + 1 + 1  # frozen, later layers, all layers
    assert set(res) == {'scratch', 'features', 'finetune', 'plain'}
    assert len(res['plain'].dls.valid_ds) == 6

def test_export_loads_in_a_fresh_process(tmp_path, capsys):
    f, j = tmp_path/'dc.pkl', tmp_path/'dc.json'
    assert dogs_cats_main(['--recipe', 'frozen', '--limit', '4', '--size', '64', '--bs', '4', '--epochs', '1',
                           '--export', str(f), '--json', str(j)]) == 0
    assert '| frozen body + head |' in capsys.readouterr().out
    assert json.loads(j.read_text())['rows'][0]['epochs'] == 1
    img = sorted((dogs_cats_path()/'valid'/'dogs').iterdir())[0]
    code = f"from fastai.learner import load_learner; print(load_learner({str(f)!r}).predict({str(img)!r})[0])"  # no course_tl import
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] in ('cats', 'dogs')

def test_cli_missing_folder(cli, tmp_path):
    r = cli('dogs-cats', '--data', tmp_path/'nowhere')
    assert r.returncode == 1 and 'does not exist' in r.stderr and len(r.stderr.strip().splitlines()) == 1

def test_cli_one_class_only(tmp_path):
    src = dogs_cats_path()
    for s in ('train', 'valid'):  # train/valid layout with only cats
        shutil.copytree(src/s/'cats', tmp_path/'split'/s/'cats')
    with pytest.raises(ValueError, match='at least two'): dogs_cats_main(['--data', str(tmp_path/'split')])
    shutil.copytree(src/'train'/'cats', tmp_path/'plain'/'cats')  # plain class folder with one class
    with pytest.raises(ValueError, match='at least two'): dogs_cats_main(['--data', str(tmp_path/'plain')])

def test_cli_mismatched_classes(cli, tmp_path):
    src = dogs_cats_path()
    for c in ('cats', 'dogs'): shutil.copytree(src/'train'/c, tmp_path/'train'/c)
    shutil.copytree(src/'valid'/'cats', tmp_path/'valid'/'cats'); shutil.copytree(src/'valid'/'dogs', tmp_path/'valid'/'horses')
    r = cli('dogs-cats', '--data', tmp_path)
    assert r.returncode == 1 and 'must match' in r.stderr

def test_cli_unknown_recipe(cli):
    r = cli('dogs-cats', '--recipe', 'transfer')
    assert r.returncode == 2 and 'invalid choice' in r.stderr
