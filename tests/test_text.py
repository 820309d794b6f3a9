"""course_tl.text through `course-tl imdb`: the console script and its exports in fresh processes, offline fail-fast, bad input refused in one line.

The helpers themselves are tested in nbs/05_text.ipynb."""
import json, os, sys
import pandas as pd, pytest

import course_tl.text
from course_tl.data import imdb_path
from course_tl.cli import main

LONG = "a truly great film " * 5_000  # 20,000 words


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    "Quick mode, a private cache (nothing written to the repo's data_cache) and no network"
    d = tmp_path_factory.mktemp('cache')
    return dict(COURSE_TL_MODE='quick', COURSE_TL_CACHE=str(d), COURSE_TL_OFFLINE='1', HF_HUB_OFFLINE='1')


@pytest.fixture(scope='module')
def tiny_csv(tmp_path_factory):
    "48 training and 16 validation reviews of the sample, both labels in each"
    df = pd.read_csv(imdb_path()/'texts.csv')
    parts = [df[(df.is_valid == v) & (df.label == l)].head(n) for v, n in ((False, 24), (True, 8)) for l in ('negative', 'positive')]
    f = tmp_path_factory.mktemp('data')/'tiny.csv'
    pd.concat(parts).to_csv(f, index=False)
    return f


@pytest.fixture
def no_data(monkeypatch):
    "Make reading any reviews a failure, to show that a refusal came before the data"
    def boom(*a, **k): raise AssertionError("read_reviews was called")
    monkeypatch.setattr(course_tl.text, 'read_reviews', boom)
    monkeypatch.setattr(course_tl.text, 'imdb_path', boom)


def one_error(capsys, rc, contains, name='imdb'):
    "`course-tl name` refused in exactly one line that says `contains`"
    err = capsys.readouterr().err
    assert rc == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f'course-tl {name}: error:') and contains in lines[0], err
    assert 'Traceback' not in err


# --- the console script -----------------------------------------------------------------------------------------------

def test_help(cli):
    r = cli('imdb', '--help')
    assert r.returncode == 0, r.stderr
    out = ' '.join(r.stdout.split())
    assert out.startswith('usage: course-tl imdb')
    for opt in ('--method {ulmfit,minilm}', '--fine-tune', '--csv', '--epochs', '--max-len', '--export', '--json', '--threads', '--seed', '--quick', '--full'):
        assert opt in out, opt
    assert 'load_learner(FILE).predict' in out and 'load_minilm_classifier(FILE).predict' in out


def test_ulmfit_export(cli, fresh_python, tiny_csv, env, tmp_path):
    "ULMFiT end to end in quick mode; its export loads and predicts in a fresh process"
    r = cli('imdb', '--quick', '--csv', tiny_csv, '--export', tmp_path/'models'/'clas.pkl', '--json', tmp_path/'out'/'r.json', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/'out'/'r.json').read_text())
    assert res['method'] == 'ulmfit' and res['quick'] is True and res['mode'] == 'quick'
    assert [s['stage'] for s in res['stages']] == ['LM: new embeddings (frozen)', 'LM: all layers', 'classifier: head only', 'classifier: freeze_to(-2)',
                                                  'classifier: freeze_to(-3)', 'classifier: unfreeze()']
    assert all(0 <= s['accuracy'] <= 1 and s['seconds'] >= 0 for s in res['stages'])
    assert 'classifier: freeze_to(-2)' in r.stdout and 'QUICK mode' in r.stdout and 'load_learner(FILE).predict' in r.stdout
    out = fresh_python("from fastai.text.all import load_learner; from course_tl.text import predict_reviews; l = load_learner(r'%s');"
                       "print('LABEL', l.predict('That movie was wicked cool!')[0]); labels, probs = predict_reviews(l, ['Loved it.', %r]);"
                       "print('PREDS', len(labels), tuple(probs.shape), bool(abs(probs.sum(1) - 1).max() < 1e-4))" % (tmp_path/'models'/'clas.pkl', LONG), env)
    assert ('LABEL negative' in out or 'LABEL positive' in out) and 'PREDS 2 (2, 2) True' in out


def test_minilm_export(cli, fresh_python, tiny_csv, env, tmp_path):
    "MiniLM features, head and fine-tuning in quick mode, the JSON in a new folder; the export loads and predicts in a fresh process"
    r = cli('imdb', '--method', 'minilm', '--fine-tune', '--quick', '--csv', tiny_csv, '--max-len', 64,
            '--export', tmp_path/'m.pt', '--json', tmp_path/'out'/'newdir'/'r.json', env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path/'out'/'newdir'/'r.json').read_text())  # --json created its folder
    assert [s['stage'] for s in res['stages']] == ['MiniLM: frozen features + head', 'MiniLM: fine-tuned']
    assert res['accuracy'] >= 0.5  # 48 training reviews: not much, but better than nothing
    assert res['command'].startswith('course-tl imdb --method minilm --fine-tune')
    assert 'load_minilm_classifier(FILE).predict' in r.stdout and 'QUICK mode' in r.stdout
    out = fresh_python("from course_tl.text import load_minilm_classifier, predict_reviews; clf = load_minilm_classifier(r'%s');"
                       "labels, probs = predict_reviews(clf, ['Great!', %r]); print('LABELS', clf.fine_tuned, clf.max_len, len(labels), tuple(probs.shape))"
                       % (tmp_path/'m.pt', LONG), env)
    assert 'LABELS True 64 2 (2, 2)' in out


# --- offline -----------------------------------------------------------------------------------------------------------

def test_full_mode_offline_fails_fast(monkeypatch, capsys, tiny_csv, no_data):
    "Full-mode ULMFiT needs WikiText-103: offline, `course-tl imdb` says so before reading or tokenizing any review"
    if course_tl.text.wt103_cached(): pytest.skip("WikiText-103 weights are cached here")
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')
    one_error(capsys, main(['imdb', '--full', '--csv', tiny_csv]), 'no network')
    monkeypatch.setenv('COURSE_TL_MODE', 'full')
    rc = main(['imdb', '--csv', tiny_csv])
    err = capsys.readouterr().err
    assert rc == 1 and 'quick mode' in err and 'minilm' in err


# --- bad input, refused in one line --------------------------------------------------------------------------------------

@pytest.mark.parametrize('args, contains', [
    (['--epochs', '0'], '--epochs must be at least 1'),
    (['--method', 'minilm', '--max-len', '0'], '--max-len must be at least 1'),
    (['--threads', '0'], '--threads must be at least 1'),
    (['--fine-tune'], '--method minilm'),
    (['--quick', '--full'], 'not both'),
])
def test_bad_options_before_data(args, contains, capsys, no_data):
    one_error(capsys, main(['imdb', *args]), contains)


def test_unknown_method(capsys):
    with pytest.raises(SystemExit): main(['imdb', '--method', 'bert'])
    assert "invalid choice: 'bert'" in capsys.readouterr().err


@pytest.mark.parametrize('df, contains', [
    (pd.DataFrame(dict(review=['good', 'bad'], label=['positive', 'negative'])), "missing column(s) ['text', 'is_valid']"),
    (pd.DataFrame(dict(text=['good', 'fine', 'great'], label=['positive'] * 3, is_valid=[False, False, True])), 'two labels'),
    (pd.DataFrame(dict(text=['', ' ', None], label=['a', 'b', 'a'], is_valid=[False, True, True])), 'no usable review'),
    (pd.DataFrame(dict(text=['good', 'bad'], label=['positive', 'negative'], is_valid=['maybe', 'no'])), 'True/False'),
])
def test_bad_csv(df, contains, tmp_path, capsys):
    f = tmp_path/'bad.csv'
    df.to_csv(f, index=False)
    one_error(capsys, main(['imdb', '--method', 'minilm', '--quick', '--csv', f]), contains)


def test_missing_csv(tmp_path, capsys):
    one_error(capsys, main(['imdb', '--quick', '--csv', tmp_path/'none.csv']), 'not found')


# --- pretrain-lm: ULMFiT's stage 1 on a laptop ---------------------------------------------------------------------------

def test_pretrain_help(cli):
    r = cli('pretrain-lm', '--help')
    assert r.returncode == 0, r.stderr
    out = ' '.join(r.stdout.split())
    for opt in ('--text', '--epochs', '--max-tokens', '--out', '--resume', '--emb-sz', '--n-hid', '--n-layers', '--threads'):
        assert opt in out, opt


def _corpus(d, texts):
    d.mkdir(parents=True, exist_ok=True)
    for i, t in enumerate(texts): (d/f'{i:03d}.txt').write_text(t)
    return d


@pytest.mark.parametrize('make, contains', [
    (lambda d: d.mkdir() or d, 'no text files'),
    (lambda d: (d.mkdir(), (d/'a.md').write_text('# not text'))[0] or d, 'no text files'),
    (lambda d: _corpus(d, ['', '   ']), 'every text is empty'),
    (lambda d: _corpus(d, ['the the the', 'THE the']), 'single distinct word'),
    (lambda d: (pd.DataFrame(dict(review=['good film', 'bad film'])).to_csv(d.with_suffix('.csv'), index=False), d.with_suffix('.csv'))[1],
     "no column 'text'"),
    (lambda d: d/'missing', 'not found'),
])
def test_pretrain_bad_text(make, contains, tmp_path, capsys):
    src = make(tmp_path/'corpus')
    one_error(capsys, main(['pretrain-lm', '--text', src, '--out', tmp_path/'lm']), contains, 'pretrain-lm')
    assert not (tmp_path/'lm'/'lm.pth').exists()


@pytest.mark.parametrize('args, contains', [
    (['--epochs', '0'], '--epochs must be at least 1'),
    (['--max-tokens', '0'], '--max-tokens must be at least 1'),
    (['--resume'], 'no checkpoint'),
])
def test_pretrain_bad_options(args, contains, tmp_path, capsys):
    one_error(capsys, main(['pretrain-lm', '--text', _corpus(tmp_path/'c', ['a b', 'c d']), '--out', tmp_path/'lm', *args]), contains, 'pretrain-lm')


def test_pretrain_unwritable_out(tmp_path, capsys):
    "--out under a file (or in a read-only folder) is refused before any text is read"
    (tmp_path/'file').write_text('x')
    one_error(capsys, main(['pretrain-lm', '--text', tmp_path/'nothing-read', '--out', tmp_path/'file'/'lm']), "can't write there", 'pretrain-lm')


def test_pretrain_interrupted_then_resumed(tmp_path, monkeypatch, capsys):
    "A run stopped in its second epoch leaves epoch 1's checkpoint whole (and no weights, no temporary files); --resume finishes it"
    src = _corpus(tmp_path/'c', [f"review {i}: the film was {'good fun' if i % 2 else 'a dull bore'} and the cast {i % 7}" for i in range(200)])
    args = ['pretrain-lm', '--text', src, '--out', tmp_path/'lm', '--emb-sz', 8, '--n-hid', 16, '--n-layers', 2, '--bs', 4, '--epochs', 2]
    real = course_tl.text.LMCheckpoint.after_epoch
    def stop_after_first(self):
        real(self)
        if self.epoch == 0: raise KeyboardInterrupt
    monkeypatch.setattr(course_tl.text.LMCheckpoint, 'after_epoch', stop_after_first)
    assert main(args) == 130
    import torch
    ck = torch.load(tmp_path/'lm'/'checkpoint.pth', weights_only=False)
    assert ck['epochs_done'] == 1 and len(ck['history']) == 1
    assert sorted(p.name for p in (tmp_path/'lm').iterdir()) == ['checkpoint.pth']
    monkeypatch.setattr(course_tl.text.LMCheckpoint, 'after_epoch', real)
    assert main(['pretrain-lm', '--out', tmp_path/'lm', '--resume', '--epochs', 2]) == 0, capsys.readouterr().err
    card = json.loads((tmp_path/'lm'/'model_card.json').read_text())
    assert card['epochs_done'] == 2 and [h['epoch'] for h in card['history']] == [1, 2]
    assert card['command'] == f"course-tl pretrain-lm --epochs 2 --out {tmp_path/'lm'} --resume"
