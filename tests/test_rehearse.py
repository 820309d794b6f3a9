"""tools/rehearse.py's own logic, in seconds: Colab's pins, the install cell pointed at a wheel, which lessons run in original
mode, how a run is judged (skips only for tagged AssertionErrors), the stand-in weights loading where fastai and torchvision
look for them, and the kernel that refuses the network."""
import json, os, socket, subprocess, sys, textwrap
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import rehearse as R


def test_colab_pins():
    pins = R.colab_pins("torch==2.11.0+cu128\nnvidia-cublas-cu12==12.8.4.1\ncuda-python==12.6\n"
                        "google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz\nFastai==2.8.8\n# comment\n"
                        "sentence_transformers==5.7.0\n")
    assert pins == {'torch': '2.11.0', 'fastai': '2.8.8', 'sentence-transformers': '5.7.0'}
    if R.COLAB_FREEZE.is_file():   # the shared record of Colab's runtime (../shared/colab), where this machine has it
        real = R.colab_pins()
        assert real['torch'] == '2.11.0' and real['fastai'] == '2.8.8' and not any(n.startswith('nvidia-') for n in real)
    assert R.preinstall({'torch': '2.11.0', 'nbclient': '0.10.4', 'course-tl': '1', 'pyyaml': '6'}, {'torch', 'course-tl'}) == \
        ['nbclient==0.10.4', 'torch==2.11.0']   # what the course needs and the runner needs, never course_tl itself


def test_install_cell_points_at_the_wheel(tmp_path):
    from course_tl.colab import colab_cells
    src = colab_cells('10_functions_learn_weights.ipynb', 't', 's')[1].source
    wheel = tmp_path/'course_tl-0.1-py3-none-any.whl'
    new = R.install_cell_source(src, wheel)
    assert f"'course_tl @ {wheel.as_uri()}'" in new and 'git+' not in new and "'google.colab' in sys.modules" in new
    with pytest.raises(ValueError): R.install_cell_source("print('no install here')", wheel)


def test_original_mode_runs_where_code_differs():
    from course_tl.recipes import RECIPE_MODES
    from course_tl.ulmfit import IMDB_MODES
    assert not R.original_differs(RECIPE_MODES)   # only longer schedules: the same code as full mode
    assert R.original_differs(IMDB_MODES)         # all texts, all test reviews: code paths full mode never takes
    assert not R.original_differs({'full': {}, 'quick': {}})
    assert R.lesson_modes(ROOT/'nbs'/'14_imdb_ulmfit.ipynb') == ['full', 'original']
    assert R.lesson_modes(ROOT/'nbs'/'12_dogs_cats.ipynb') == ['full']


def _cell(i, tags=(), ename=None):
    err = dict(ename=ename, evalue='boom', line='assert acc > 0.9') if ename else None
    return dict(index=i, id=f'c{i}', tags=list(tags), run=True, start=None, end=None, error=err, text='')

def test_judge_skips_only_tagged_assertions():
    ok = R.judge(dict(seconds=3.2, error=None, cells=[_cell(1), _cell(2, [R.SKIP_TAG], 'AssertionError')]))
    assert ok['result'] == 'ok' and ok['cells_run'] == 2 and [s['cell'] for s in ok['skipped']] == [2] and ok['skipped'][0]['line']
    for cells in ([_cell(1, (), 'AssertionError')],                 # an untagged assertion fails the lesson
                  [_cell(1, [R.SKIP_TAG], 'NameError')]):           # a tagged cell may only fail its assertions
        r = R.judge(dict(seconds=1, error=None, cells=cells))
        assert r['result'] == 'FAILED' and not r['skipped'] and len(r['failures']) == 1
    not_run = dict(_cell(2), run=False)
    assert R.judge(dict(seconds=1, error=None, cells=[_cell(1), not_run]))['result'] == 'FAILED'
    md = R.table_md([dict(lesson='14_imdb_ulmfit', mode='full', **ok)])
    assert md.splitlines()[2] == '| 14_imdb_ulmfit | full | 2/2 | 3 | 1 | ok |'


def test_freeze_diff():
    d = R.freeze_diff({'torch': '2.11.0', 'fastai': '2.8.8', 'x': '1'}, {'torch': '2.11.0', 'fastai': '2.8.12', 'course-tl': '0.1'})
    assert d == dict(added={'course-tl': '0.1'}, changed={'fastai': ('2.8.8', '2.8.12')}, removed={'x': '1'})


def test_resnet_standin_is_what_torchvision_loads(tmp_path, monkeypatch):
    import torch
    from course_tl import models
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')
    assert not models._tv_cached('resnet18')
    f, = R.make_resnet_standins(tmp_path, names=('resnet18',))
    assert f.name == 'resnet18-f37072fd.pth' and f.parent == tmp_path/'hub'/'checkpoints'
    assert models.weights_available('resnet18') and models.pick_arch('resnet18') == 'resnet18'
    m = models.resnet18(pretrained=True)   # torchvision's own loading code, from the cache, no network
    test = torch.load(f, weights_only=True)
    assert torch.equal(m.conv1.weight, test['conv1.weight']) and 'STAND-IN' in (f.parent/'STAND-IN.txt').read_text()


def test_wt103_standin_loads_like_fastais(tmp_path, monkeypatch):
    "fastai's own `language_model_learner(..., pretrained=True)` finds the stand-in and maps its vocabulary onto a new one"
    import pickle, torch, pandas as pd
    from fastai.data.external import fastai_cfg
    from fastai.text.all import TextBlock, DataBlock, ColReader, RandomSplitter, language_model_learner, AWD_LSTM
    from course_tl.ulmfit import wt103_cached
    monkeypatch.setenv('FASTAI_HOME', str(tmp_path))
    fastai_cfg.cache_clear()
    try:
        assert not wt103_cached()
        d = R.make_wt103_standin(tmp_path, words=['movie', 'film'])
        assert wt103_cached() and sorted(p.name for p in d.iterdir()) == ['STAND-IN.txt', 'itos_wt103.pkl', 'lstm_fwd.pth']
        vocab = pickle.load(open(d/'itos_wt103.pkl', 'rb'))
        assert len(vocab) == 60_000 and vocab[:2] == ['xxunk', 'xxpad'] and {'movie', 'film'} <= set(vocab)
        sd = torch.load(d/'lstm_fwd.pth', weights_only=True)
        assert sd['0.encoder.weight'].shape == (60_000, 400) and '0.rnns.0.module.weight_hh_l0' in sd
        df = pd.DataFrame(dict(text=['a good movie , a fine film .'] * 40))
        dls = DataBlock(blocks=TextBlock.from_df('text', is_lm=True, min_freq=1), get_x=ColReader('text'),
                        splitter=RandomSplitter(0.2, seed=0)).dataloaders(df, bs=4, seq_len=8)
        learn = language_model_learner(dls, AWD_LSTM, pretrained=True)
        emb = learn.model[0].encoder.weight.detach()
        i = list(dls.vocab).index('movie')
        assert torch.equal(emb[i], sd['0.encoder.weight'][vocab.index('movie')])   # a known word keeps its stand-in row
    finally: fastai_cfg.cache_clear()


def test_kernel_refuses_the_network(tmp_path):
    "The rehearsal kernel's startup: google.colab is the stand-in, a connection off the machine fails at once and is logged"
    (tmp_path/'google'/'colab').mkdir(parents=True)
    (tmp_path/'google'/'colab'/'__init__.py').write_text(R._COLAB_STANDIN)
    log = tmp_path/'net.log'
    code = R._KERNEL_STARTUP + textwrap.dedent("""
        import time
        assert 'google.colab' in sys.modules and google.colab.STAND_IN
        t = time.perf_counter()
        try: socket.create_connection(('10.255.255.1', 443), timeout=30); print('connected')
        except OSError as e: print('refused', round(time.perf_counter() - t, 1), e)
        srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
        socket.create_connection(srv.getsockname(), timeout=5).close(); print('local ok')
    """)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(tmp_path), COURSE_TL_REHEARSE_NETLOG=str(log), COURSE_TL_REHEARSE_COLAB='1'))
    assert r.returncode == 0, r.stderr
    out = r.stdout.split('\n')
    assert out[0].startswith('refused 0.0') and 'rehearsal: no network' in out[0] and out[1] == 'local ok'
    assert '10.255.255.1' in log.read_text()


def test_stage_imdb_cut_whole_and_restaged(tmp_path):
    "IMDB staged where fastai looks, complete or absent (core.atomic_folder), redone only when the archive or the cut changes"
    import tarfile, io
    tgz = tmp_path/'imdb.tgz'
    with tarfile.open(tgz, 'w:gz') as tf:
        for folder in R.IMDB_FOLDERS:
            for i in range(3):
                data = f"review {i} of {folder} with some more words".encode()
                info = tarfile.TarInfo(f"imdb/{folder}/{i}_1.txt"); info.size = len(data); tf.addfile(info, io.BytesIO(data))
    cache, said = tmp_path/'cache', []
    dest = R.stage_imdb(cache, tgz, log=said.append, cut=dict(per_folder=2, words=3))
    assert dest == cache/'downloads'/'data'/'imdb' and (dest/'.done').is_file()
    assert sorted(p.name for p in (dest/'unsup').iterdir()) == ['0_1.txt', '1_1.txt']
    assert (dest/'train'/'pos'/'0_1.txt').read_text() == 'review 0 of'
    assert R.stage_imdb(cache, tgz, log=said.append, cut=dict(per_folder=2, words=3)) == dest and len(said) == 1   # done: kept
    R.stage_imdb(cache, tgz, log=said.append)   # the whole archive replaces the cut
    assert len(said) == 2 and len(list((dest/'test'/'neg').iterdir())) == 3
    assert (dest/'unsup'/'2_1.txt').read_text() == 'review 2 of unsup with some more words'
    assert not list(dest.parent.glob('.imdb*.tmp'))   # no temporary folder left behind
