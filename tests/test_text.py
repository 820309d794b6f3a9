"""course_tl.imdb (and the ULMFiT, MiniLM and pretraining modules) through `course-tl imdb` and `course-tl pretrain-lm`, in
process through `cli.main`: ULMFiT's export loaded in a fresh process, offline fail-fast, bad input refused in one line before
any data is read.

The helpers themselves are tested in nbs/05a_ulmfit.ipynb, 05b_minilm, 05c_lm_pretrain and 05d_imdb, right below each one:
the MiniLM route end to end through `imdb` (JSON in a new folder, export, reload), a fine-tuned MiniLM saved and reloaded,
`read_reviews`' refusals, and pretraining interrupted in its second epoch, then resumed."""
import json, os, sys
import pandas as pd, pytest

import course_tl.imdb, course_tl.ulmfit, course_tl.lm_pretrain
from course_tl.data import imdb_path
from course_tl.cli import main

LONG = "a truly great film " * 5_000  # 20,000 words


@pytest.fixture
def env(tmp_path, monkeypatch):
    "Quick mode, a private cache (nothing written to the repo's data_cache) and no network, here and in the fresh processes started from here"
    e = dict(COURSE_TL_MODE='quick', COURSE_TL_CACHE=str(tmp_path/'cache'), COURSE_TL_OFFLINE='1', HF_HUB_OFFLINE='1')
    for k, v in e.items(): monkeypatch.setenv(k, v)
    return e


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
    monkeypatch.setattr(course_tl.imdb, 'read_reviews', boom)
    monkeypatch.setattr(course_tl.imdb, 'imdb_path', boom)


# --- the command -------------------------------------------------------------------------------------------------------

def test_help(help_text):
    out = help_text('imdb')
    for opt in ('--method {ulmfit,minilm}', '--fine-tune', '--csv', '--epochs', '--max-len', '--export', '--json', '--threads', '--seed', '--quick', '--full'):
        assert opt in out, opt
    assert 'load_learner(FILE).predict' in out and 'load_minilm_classifier(FILE).predict' in out


@pytest.fixture
def tiny_laptop_lm(env, tiny_csv, tmp_path):
    """A tiny stand-in for the shipped laptop language model (`pretrain_lm` on the CSV's 64 reviews, 16-wide embeddings), in the
    private cache where quick mode looks first: `course-tl imdb --quick` takes the same path (stage 1 loaded, its new embeddings
    trained frozen, then all of it, then the classifier) in seconds. The shipped model itself is lesson 4's, in CI's quick run."""
    import contextlib, io
    from course_tl.lm_pretrain import pretrain_lm
    corpus = tmp_path/'corpus'; corpus.mkdir()
    for i, t in enumerate(pd.read_csv(tiny_csv).text): (corpus/f'{i:03d}.txt').write_text(t)
    with contextlib.redirect_stdout(io.StringIO()):
        pretrain_lm(corpus, epochs=1, out=tmp_path/'cache'/'laptop_lm', bs=4, emb_sz=16, n_hid=32, n_layers=2)
    assert course_tl.ulmfit.laptop_lm().path == tmp_path/'cache'/'laptop_lm'
    return tmp_path/'cache'/'laptop_lm'


def test_ulmfit_export(fresh_python, tiny_csv, env, tiny_laptop_lm, tmp_path, capsys):
    "ULMFiT end to end in quick mode through the command; its export loads and predicts in a fresh process (nothing of the training process needed)"
    rc = main(['imdb', '--quick', '--csv', tiny_csv, '--export', tmp_path/'models'/'clas.pkl', '--json', tmp_path/'out'/'r.json'])
    out = capsys.readouterr().out
    assert rc == 0, out[-3000:]
    res = json.loads((tmp_path/'out'/'r.json').read_text())
    assert res['method'] == 'ulmfit' and res['quick'] is True and res['mode'] == 'quick'
    assert [s['stage'] for s in res['stages']] == ['LM: new embeddings (frozen)', 'LM: all layers', 'classifier: head only', 'classifier: freeze_to(-2)',
                                                  'classifier: freeze_to(-3)', 'classifier: unfreeze()']
    # the headline accuracy is the last stage's, measured on the CSV's 16 validation reviews (so a multiple of 1/16)
    assert res['accuracy'] == res['stages'][-1]['accuracy'] and abs(res['accuracy'] * 16 - round(res['accuracy'] * 16)) < 1e-3, res
    assert res['seconds'] == pytest.approx(sum(s['seconds'] for s in res['stages']))
    assert 'classifier: freeze_to(-2)' in out and 'QUICK mode' in out and 'load_learner(FILE).predict' in out
    code = ("from fastai.text.all import load_learner; from course_tl.imdb import predict_reviews; l = load_learner(r'%s');"
            "print('LABEL', l.predict('That movie was wicked cool!')[0]); labels, probs = predict_reviews(l, ['Loved it.', %r]);"
            "print('PREDS', len(labels), tuple(probs.shape), bool(abs(probs.sum(1) - 1).max() < 1e-4))" % (tmp_path/'models'/'clas.pkl', LONG))
    out = fresh_python(code, env)
    assert ('LABEL negative' in out or 'LABEL positive' in out) and 'PREDS 2 (2, 2) True' in out


# --- offline -----------------------------------------------------------------------------------------------------------

def test_full_mode_offline_fails_fast(monkeypatch, capsys, refused, tiny_csv, no_data):
    "Full-mode ULMFiT needs WikiText-103: offline, `course-tl imdb` says so before reading or tokenizing any review"
    if course_tl.ulmfit.wt103_cached(): pytest.skip("WikiText-103 weights are cached here")
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')
    refused('imdb', '--full', '--csv', tiny_csv, contains='no network')
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
def test_bad_options_before_data(args, contains, refused, no_data):
    refused('imdb', *args, contains=contains)


def test_unknown_method(capsys):
    with pytest.raises(SystemExit): main(['imdb', '--method', 'bert'])
    assert "invalid choice: 'bert'" in capsys.readouterr().err


def test_bad_csv(tmp_path, refused):
    "A CSV `read_reviews` refuses, refused in one line (its other refusals, two labels, no usable review, True/False, are the notebook's test of `read_reviews`)"
    pd.DataFrame(dict(review=['good', 'bad'], label=['positive', 'negative'])).to_csv(tmp_path/'bad.csv', index=False)
    refused('imdb', '--method', 'minilm', '--quick', '--csv', tmp_path/'bad.csv', contains="missing column(s) ['text', 'is_valid']")


def test_missing_csv(tmp_path, refused):
    refused('imdb', '--quick', '--csv', tmp_path/'none.csv', contains='not found')


# --- pretrain-lm: ULMFiT's stage 1 on a laptop ---------------------------------------------------------------------------

def test_pretrain_help(help_text):
    out = help_text('pretrain-lm')
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
def test_pretrain_bad_text(make, contains, tmp_path, refused):
    src = make(tmp_path/'corpus')
    refused('pretrain-lm', '--text', src, '--out', tmp_path/'lm', contains=contains)
    assert not (tmp_path/'lm'/'lm.pth').exists()


@pytest.mark.parametrize('args, contains', [
    (['--epochs', '0'], '--epochs must be at least 1'),
    (['--max-tokens', '0'], '--max-tokens must be at least 1'),
    (['--resume'], 'no checkpoint'),
])
def test_pretrain_bad_options(args, contains, tmp_path, refused):
    refused('pretrain-lm', '--text', _corpus(tmp_path/'c', ['a b', 'c d']), '--out', tmp_path/'lm', *args, contains=contains)


def test_pretrain_unwritable_out(tmp_path, refused):
    "--out under a file (or in a read-only folder) is refused before any text is read"
    (tmp_path/'file').write_text('x')
    refused('pretrain-lm', '--text', tmp_path/'nothing-read', '--out', tmp_path/'file'/'lm', contains="can't write there")
