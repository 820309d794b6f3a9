"""Full mode's IMDB data path, exercised offline: the lesson's own `untar_data(URLs.IMDB)` (through `imdb_path(full=True)`)
finds the dataset where fastai's downloader keeps it, and fastai's folder DataLoaders read the real layout
(`train`/`test`/`unsup`), on a capped copy of the real archive (see the `full_imdb` fixture)."""
from functools import partial
import pytest
from course_tl.data import imdb_path


def test_untar_data_finds_it_offline(full_imdb, offline):
    p = imdb_path(full=True)
    assert p == full_imdb
    assert {'train', 'test', 'unsup'} <= {d.name for d in p.iterdir()}
    assert {d.name for d in (p/'train').iterdir() if d.is_dir()} == {'neg', 'pos'}


def test_classifier_dataloaders_on_the_real_layout(full_imdb, offline):
    from fastai.text.all import TextDataLoaders
    dls = TextDataLoaders.from_folder(imdb_path(full=True), valid='test', bs=8, seq_len=72, max_vocab=2000, num_workers=0)
    assert list(dls.vocab[1]) == ['neg', 'pos']
    assert len(dls.train_ds) == 80 and len(dls.valid_ds) == 80          # train/{neg,pos} and test/{neg,pos}, 40 each
    x, y = dls.one_batch()
    assert x.shape[0] == 8 and set(y.tolist()) <= {0, 1}


def test_language_model_dataloaders_read_unsup_too(full_imdb, offline):
    from fastai.text.all import DataBlock, TextBlock, RandomSplitter, get_text_files
    path = imdb_path(full=True)
    get = partial(get_text_files, folders=['train', 'test', 'unsup'])
    assert len(get(path)) == 200
    dls = DataBlock(blocks=TextBlock.from_folder(path, is_lm=True, max_vocab=2000), get_items=get,
                    splitter=RandomSplitter(0.1, seed=42)).dataloaders(path, bs=8, seq_len=72, num_workers=0)
    x, y = dls.one_batch()
    assert x.shape == (8, 72) and (x[:, 1:] == y[:, :-1]).all()    # the next word is the target


def test_full_mode_language_model_reads_a_seeded_subset(full_imdb, offline):
    "Full mode fine-tunes the language model on a seeded random `lm_texts` of train + test + unsup, through the library's `imdb_dls`"
    from course_tl.ulmfit import imdb_dls, lm_texts
    path = imdb_path(full=True)
    some = lm_texts(path, 50)
    assert len(some) == 50 and list(some) == list(lm_texts(path, 50)) and 'unsup' in {f.parent.name for f in some}
    dls = imdb_dls(path, is_lm=True, bs=4, seq_len=32, max_vocab=2000, workers=0, n_texts=50)
    assert len(dls.train_ds) + len(dls.valid_ds) == 50


def test_full_mode_ulmfit_validates_on_a_seeded_subset(full_imdb, offline, tmp_path):
    """Full mode's `ulmfit` end to end on the real layout (tiny models, no WikiText-103): the language model reads a seeded
    `lm_texts`, and the classifier trains on all of train/ and validates on a seeded `n_valid` of test/"""
    from fastai.text.all import awd_lstm_lm_config, awd_lstm_clas_config
    from course_tl.core import mode_config, set_seed
    from course_tl.ulmfit import IMDB_MODES, ulmfit, clas_files
    path = imdb_path(full=True)
    full = mode_config(IMDB_MODES, False)
    assert full.n_valid == 5000 and full.full_data
    tiny = dict(emb_sz=16, n_hid=32, n_layers=1)
    cfg = dict(full, pretrained=False, lm_config=dict(awd_lstm_lm_config, **tiny), clas_config=dict(awd_lstm_clas_config, **tiny),
               bs=8, seq_len=24, lm_seq_len=24, max_vocab=2000, workers=0, lm_texts=60, n_valid=30)
    set_seed(42)
    learn, table = ulmfit(path, cfg, path=tmp_path)
    assert (len(learn.dls.train_ds), len(learn.dls.valid_ds)) == (80, 30)
    valid = {f.name for f in learn.dls.valid_ds.items}
    assert valid == {f.name for f in clas_files(path, 30) if f.parent.parent.name == 'test'}   # the same seeded 30, every run
    assert list(table.stage)[-1].startswith('classifier')
    with learn.no_bar(): acc = learn.validate()[1]   # the table's accuracy is the classifier's, on those 30 reviews
    assert table.accuracy.iloc[-1] == round(float(acc), 4) and abs(acc * 30 - round(acc * 30)) < 1e-6, (table, acc)
