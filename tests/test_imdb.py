"""course_tl.imdb: bad input, offline behaviour, the pretrained-weights route, and `course-tl imdb` end to end (exports loaded in a fresh process)."""
import json, os, subprocess, sys, time
from pathlib import Path
import pandas as pd, pytest, torch

from course_tl.core import OfflineError
from course_tl.data import imdb_path
from course_tl.imdb import (MAX_WORDS, QUICK_LM, awd_lstm_kwargs, clean_text, clean_texts, read_reviews, wt103_cached,
                            save_pretrained, predict_reviews, imdb_main, load_minilm_classifier)

BIN = Path(sys.executable).parent
LONG = "a truly great film " * 12_500  # 50,000 words


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    "Quick mode, a private cache (nothing written to the repo's data_cache) and no network"
    d = tmp_path_factory.mktemp('cache')
    return dict(os.environ, COURSE_TL_MODE='quick', COURSE_TL_CACHE=str(d), COURSE_TL_OFFLINE='1', HF_HUB_OFFLINE='1')


@pytest.fixture(scope='module')
def tiny_csv(tmp_path_factory):
    "48 training and 16 validation reviews of the sample, both labels in each"
    df = pd.read_csv(imdb_path()/'texts.csv')
    parts = [df[(df.is_valid == v) & (df.label == l)].head(n) for v, n in ((False, 24), (True, 8)) for l in ('negative', 'positive')]
    f = tmp_path_factory.mktemp('data')/'tiny.csv'
    pd.concat(parts).to_csv(f, index=False)
    return f


def run(args, env, **kw):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, **kw)


# --- bad input -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('bad', ['', '   \n\t', float('nan'), 42, 3.5, None])
def test_bad_review_is_refused(bad):
    with pytest.raises(ValueError, match='review'): clean_text(bad)
    with pytest.raises(ValueError, match='review 1'): clean_texts(['fine', bad])


def test_long_review_is_cut():
    assert len(clean_text(LONG).split()) == MAX_WORDS
    assert clean_texts("short") == ["short"]


def test_csv_missing_columns(tmp_path):
    f = tmp_path/'bad.csv'
    pd.DataFrame(dict(review=['good', 'bad'], label=['positive', 'negative'])).to_csv(f, index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['text', 'is_valid'\]"): read_reviews(f)
    with pytest.raises(FileNotFoundError): read_reviews(tmp_path/'nope.csv')


def test_csv_bad_cells_are_dropped(tmp_path):
    f = tmp_path/'cells.csv'
    pd.DataFrame(dict(text=['good', '', '  ', None, 'bad', 'fine', 'meh'], label=['positive', 'negative', 'positive', 'negative', 'negative', 'positive', None],
                      is_valid=[False, False, False, False, True, True, True])).to_csv(f, index=False)
    df = read_reviews(f, verbose=False)
    assert list(df.text) == ['good', 'bad', 'fine'] and list(df.is_valid) == [False, True, True]
    # a column of numbers is no text at all
    pd.DataFrame(dict(text=[1, 2, 3, 4], label=['a', 'b', 'a', 'b'], is_valid=[0, 0, 1, 1])).to_csv(f, index=False)
    with pytest.raises(ValueError, match='no usable review'): read_reviews(f)
    pd.DataFrame(dict(text=['a', 'b'], label=['x', 'y'], is_valid=['maybe', 'no'])).to_csv(f, index=False)
    with pytest.raises(ValueError, match='True/False'): read_reviews(f)


def test_cli_bad_csv(tmp_path, capsys):
    "`course-tl imdb` reports bad input in one line, no traceback"
    from course_tl.cli import main
    f = tmp_path/'bad.csv'
    pd.DataFrame(dict(review=['good'], label=['positive'])).to_csv(f, index=False)
    assert main(['imdb', '--csv', str(f)]) == 1
    err = capsys.readouterr().err
    assert 'missing column' in err and 'Traceback' not in err
    assert main(['imdb', '--csv', str(tmp_path/'none.csv')]) == 1
    assert 'not found' in capsys.readouterr().err


# --- offline -----------------------------------------------------------------------------------------------------------

def test_wt103_offline_fails_fast(monkeypatch):
    if wt103_cached(): pytest.skip("WikiText-103 weights are cached here: nothing to download")
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')
    t = time.time()
    with pytest.raises(OfflineError, match='quick mode'): awd_lstm_kwargs(quick=False)
    assert time.time() - t < 5
    assert awd_lstm_kwargs(quick=True)['pretrained'] is False


def test_cli_full_mode_offline_fails_fast(monkeypatch, tiny_csv, capsys):
    "Full-mode ULMFiT needs WikiText-103: offline, `course-tl imdb` says so at once, before any tokenizing"
    if wt103_cached(): pytest.skip("WikiText-103 weights are cached here")
    from course_tl.cli import main
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1'); monkeypatch.setenv('COURSE_TL_MODE', 'full')
    t = time.time()
    assert main(['imdb', '--csv', str(tiny_csv)]) == 1
    assert time.time() - t < 5
    err = capsys.readouterr().err
    assert 'no network' in err and 'quick mode' in err and 'minilm' in err


# --- pretrained weights reach a new vocabulary --------------------------------------------------------------------------

def test_pretrained_fnames_route(tmp_path):
    "A tiny LM saved as fastai's pretrained files loads through `pretrained_fnames` into a different vocabulary"
    from fastai.text.all import DataBlock, TextBlock, ColReader, RandomSplitter, language_model_learner, AWD_LSTM
    from course_tl.core import set_seed
    set_seed(0)
    def lm_dls(texts):
        df = pd.DataFrame(dict(text=texts))
        return DataBlock(blocks=TextBlock.from_df('text', is_lm=True, min_freq=1), get_x=ColReader('text'),
                         splitter=RandomSplitter(0.2, seed=0)).dataloaders(df, bs=4, seq_len=16, num_workers=0)
    old = lm_dls([f"the cat sat on the mat and the dog ran {i} times" for i in range(40)])
    learn = language_model_learner(old, AWD_LSTM, config=QUICK_LM, pretrained=False, path=tmp_path)
    learn.fit(1, 1e-2)
    names = save_pretrained(learn, 'tiny')
    assert (tmp_path/'models'/'tiny.pth').exists() and (tmp_path/'models'/'tiny_vocab.pkl').exists()
    new = lm_dls([f"the zebra sat on the sofa and the dog ate {i} apples" for i in range(40)])
    learn2 = language_model_learner(new, AWD_LSTM, config=QUICK_LM, pretrained=True, pretrained_fnames=names, path=tmp_path)
    ov, nv = list(old.vocab), list(new.vocab)
    nvi = {w: i for i, w in enumerate(nv)}
    assert nv != ov
    sd_old, sd_new = learn.model.state_dict(), learn2.model.state_dict()
    ow, nw = sd_old['0.encoder.weight'], sd_new['0.encoder.weight']
    ob, nb = sd_old['1.decoder.bias'], sd_new['1.decoder.bias']
    nv = [w for w in nv if w != 'xxfake']  # padding entries that round the vocabulary up to a multiple of 8
    known, unknown = [w for w in nv if w in ov], [w for w in nv if w not in ov]
    assert {'cat', 'mat'} <= set(ov) - set(nv) and {'zebra', 'sofa', 'apples'} <= set(unknown) and {'the', 'dog', 'sat'} <= set(known)
    for w in known:
        i, j = nvi[w], ov.index(w)
        assert torch.equal(nw[i], ow[j]) and torch.equal(nb[i], ob[j])
    for w in unknown:
        assert torch.allclose(nw[nvi[w]], ow.mean(0), atol=1e-6) and torch.allclose(nb[nvi[w]], ob.mean(), atol=1e-6)
    assert torch.equal(sd_new['1.decoder.weight'], nw)  # tied weights
    # the LSTM weights come over unchanged
    k = '0.rnns.0.module.weight_ih_l0'
    assert torch.equal(sd_new[k], sd_old[k])


# --- the command line, exports loaded in a fresh process --------------------------------------------------------------

@pytest.fixture(scope='module')
def ulmfit_export(tmp_path_factory, tiny_csv, env):
    d = tmp_path_factory.mktemp('ulmfit')
    r = run([BIN/'course-tl', 'imdb', '--quick', '--csv', str(tiny_csv), '--export', str(d/'clas.pkl'), '--json', str(d/'r.json')], env)
    assert r.returncode == 0, r.stderr[-3000:]
    return d, r


def test_cli_ulmfit(ulmfit_export):
    d, r = ulmfit_export
    res = json.loads((d/'r.json').read_text())
    assert res['method'] == 'ulmfit' and res['quick'] is True
    stages = [s['stage'] for s in res['stages']]
    assert stages[0].startswith('LM') and stages[-1] == 'classifier: unfreeze()'
    assert all(0 <= s['accuracy'] <= 1 and s['seconds'] >= 0 for s in res['stages'])
    assert 'classifier: freeze_to(-2)' in r.stdout


def test_ulmfit_export_loads_in_fresh_process(ulmfit_export, env):
    d, _ = ulmfit_export
    code = ("from fastai.text.all import load_learner; l = load_learner(r'%s'); p = l.predict('That movie was wicked cool!');"
            "print('LABEL', p[0]); print('LONG', l.predict(%r)[0])") % (d/'clas.pkl', LONG[:20_000])
    r = run([sys.executable, '-c', code], env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert any(l in r.stdout for l in ('LABEL negative', 'LABEL positive'))


def test_predict_reviews_ulmfit(ulmfit_export):
    from fastai.text.all import load_learner
    learn = load_learner(ulmfit_export[0]/'clas.pkl')
    t = time.time()
    labels, probs = predict_reviews(learn, ["Loved it.", LONG])
    assert time.time() - t < 60
    assert set(labels) <= {'negative', 'positive'} and probs.shape == (2, 2) and torch.allclose(probs.sum(1), torch.ones(2))
    with pytest.raises(ValueError, match='review 1'): predict_reviews(learn, ["ok", float('nan')])


@pytest.fixture(scope='module')
def minilm_export(tmp_path_factory, tiny_csv, env):
    d = tmp_path_factory.mktemp('minilm')
    r = run([BIN/'course-tl', 'imdb', '--method', 'minilm', '--fine-tune', '--quick', '--csv', str(tiny_csv),
             '--export', str(d/'m.pt'), '--json', str(d/'r.json')], env)
    assert r.returncode == 0, r.stderr[-3000:]
    return d, r


def test_cli_minilm(minilm_export):
    d, r = minilm_export
    res = json.loads((d/'r.json').read_text())
    assert [s['stage'] for s in res['stages']] == ['MiniLM: frozen features + head', 'MiniLM: fine-tuned']
    assert res['accuracy'] >= 0.5  # 48 training reviews: not much, but better than nothing
    assert 'load_minilm_classifier(FILE).predict' in r.stdout


def test_minilm_export_loads_in_fresh_process(minilm_export, env):
    d, _ = minilm_export
    code = ("from course_tl.imdb import load_minilm_classifier; labels, probs = load_minilm_classifier(r'%s').predict(['Great!', 'Awful.']);"
            "print('LABELS', labels, probs.shape)") % (d/'m.pt')
    r = run([sys.executable, '-c', code], env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'LABELS' in r.stdout and 'torch.Size([2, 2])' in r.stdout


def test_predict_reviews_minilm(minilm_export):
    clf = load_minilm_classifier(minilm_export[0]/'m.pt')
    assert clf.fine_tuned
    t = time.time()
    labels, probs = predict_reviews(clf, [LONG, "Terrible acting, boring plot."])
    assert time.time() - t < 30 and len(labels) == 2 and probs.shape == (2, 2)
    for bad in ([''], [' '], [None], [7], []):
        with pytest.raises(ValueError): predict_reviews(clf, bad)
    with pytest.raises(FileNotFoundError): load_minilm_classifier(minilm_export[0]/'missing.pt')


def test_help_documents_loading(capsys):
    with pytest.raises(SystemExit): imdb_main(['--help'])
    out = capsys.readouterr().out
    assert 'load_learner(FILE).predict' in out and 'load_minilm_classifier(FILE).predict' in out


def test_folder_dls(tmp_path):
    "The full-mode data path (fastai's IMDB folder layout, `unsup/` for the language model only) on a tiny fake folder"
    from course_tl.imdb import imdb_dls
    words = {'neg': 'bad awful boring dull', 'pos': 'great superb lovely fun'}
    for split in ('train', 'test'):
        for lab, w in words.items():
            (tmp_path/split/lab).mkdir(parents=True)
            for i in range(6): (tmp_path/split/lab/f'{i}_1.txt').write_text(f"This film was {w} and {w} again, number {i}.")
    (tmp_path/'unsup').mkdir()
    for i in range(6): (tmp_path/'unsup'/f'{i}_0.txt').write_text(f"An unlabelled zebra review {i}.")
    dls_lm = imdb_dls(tmp_path, is_lm=True, quick=True, bs=4, seq_len=8)
    assert 'zebra' in dls_lm.vocab  # the language model reads unsup/
    dls = imdb_dls(tmp_path, vocab=dls_lm.vocab, quick=True, bs=4)
    assert dls.vocab[0] == dls_lm.vocab and list(dls.vocab[1]) == ['neg', 'pos']
    assert len(dls.train_ds) == 12 and len(dls.valid_ds) == 12
    x, y = dls.one_batch()
    assert x.shape[0] == 4 and y.shape == (4,)
