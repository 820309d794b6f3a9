"""Benchmark of lesson 4 (14_imdb_ulmfit, IMDB sentiment): does ULMFiT transfer on a laptop? Offline, on the CPU.

Every classifier trains on the 800 training reviews of the embedded IMDB sample (`data_cache/imdb_sample`) and is scored
on the same fixed 5,000 reviews of IMDB's test folder that it never saw: drawn with a fixed seed from
`../shared/data/imdb.tgz` (the development copy of the full IMDB; read straight from the archive), leaving out any review
whose text is also in the sample (the sample came from the same pool).

    .venv/bin/python bench/imdb.py                 # ULMFiT and the one-call classifier, from the laptop LM and from scratch (~10 min)
    .venv/bin/python bench/imdb.py --minilm        # also the MiniLM routes (frozen features + head; fine-tuned)
    .venv/bin/python bench/imdb.py --lm-configs    # tokens/s and FLOP bound of candidate laptop-LM sizes (how LAPTOP_LM was chosen)
    .venv/bin/python bench/imdb.py --curve         # the data-efficiency curve (ULMFiT paper, Figure 3): out/imdb_curve.{json,png}
    .venv/bin/python bench/imdb.py --curve --sizes 100,400,1600 --awd-max 1600   # a shorter curve; a rerun adds the missing cells

The curve trains every route on 100, 400, 1,600 and 6,400 labelled reviews of IMDB's train folder (nested subsets of one
seeded, balanced draw that leaves out every review of the embedded sample; and on all of them for the routes that can
afford it: TF-IDF and MiniLM features), validates on the sample's 200 validation reviews and scores on the same 5,000 test
reviews. Routes: AWD-LSTM from scratch (the quick ULMFiT stages from random weights), ULMFiT from the laptop LM, MiniLM
frozen features + head, TF-IDF + logistic regression (scikit-learn). Each finished cell is kept in the JSON, so a rerun
only trains the cells that are missing (and MiniLM's features are cached), unless --fresh.

Routes: quick mode of `IMDB_MODES` (what the lesson and `course-tl imdb --quick` run). "laptop LM" = stage 1 is the
language model the course ships in `data_cache/laptop_lm` (pretrained by `course-tl pretrain-lm` on IMDB's unlabelled
reviews, see its MODEL_CARD.md); "scratch" = the same AWD-LSTM sizes from random weights. Targets (issue 13): quick
ULMFiT >= 82%, one-call from the laptop LM >= 75%, "That movie was wicked cool!" positive and a plainly negative
review negative. Prints the command, the device and one table; --json writes it.
"""
import json, os, re, shlex, sys, tarfile, time
from pathlib import Path
from types import SimpleNamespace
from fastcore.script import call_parse

SHARED = Path(__file__).resolve().parents[2]/'shared'/'data'
POSITIVE, NEGATIVE = "That movie was wicked cool!", "A dull, predictable mess: the worst film I have seen in years. Avoid it."


def labelled_reviews(folder:str, tgz:Path=SHARED/'imdb.tgz'):
    "IMDB's labelled reviews of `folder` ('train' or 'test') read from the archive, sorted by file, none whose text is also in the sample"
    import pandas as pd
    from course_tl.data import read_reviews
    if not tgz.is_file(): sys.exit(f"bench/imdb.py: {tgz} is not here (the development copy of the full IMDB); it is needed for the {folder} reviews")
    sample = {t.strip() for t in read_reviews(verbose=False).text}
    rows = []
    with tarfile.open(tgz) as tf:
        for m in tf:
            g = re.fullmatch(rf'imdb/{folder}/(pos|neg)/([^/]+)\.txt', m.name)
            if g and m.isfile():
                t = tf.extractfile(m).read().decode('utf-8', errors='replace')
                if t.strip() not in sample: rows.append(dict(file=m.name, text=t, label={'pos': 'positive', 'neg': 'negative'}[g.group(1)]))
    return pd.DataFrame(rows).sort_values('file').reset_index(drop=True)


def test_reviews(n:int=5000, seed:int=0):
    "The fixed scoring set: `n` reviews of IMDB's test folder (seeded draw, balanced by chance), none also in the sample"
    import numpy as np
    df = labelled_reviews('test')
    return df.iloc[np.random.RandomState(seed).permutation(len(df))[:n]].reset_index(drop=True)


def score(learn, test):
    "Accuracy of a fastai text classifier on the DataFrame `test` (columns text, label)"
    dl = learn.dls.test_dl(test.text.tolist(), bs=64)
    with learn.no_bar(): preds, _ = learn.get_preds(dl=dl)
    vocab = list(learn.dls.vocab[1])
    return float((preds.argmax(1).numpy() == test.label.map(vocab.index).values).mean())


def one_call(df, q, pretrained, epochs):
    "fastai's one-call classifier: text_classifier_learner + fine_tune, its encoder from the laptop LM or random"
    from fastai.text.all import text_classifier_learner, AWD_LSTM, accuracy
    from course_tl.ulmfit import imdb_dls, awd_lstm_kwargs, laptop_lm
    from course_tl.callbacks import mixed_precision
    dls = imdb_dls(df, bs=q.one_call_bs, seq_len=q.seq_len, max_vocab=q.max_vocab, workers=q.workers)
    kw = awd_lstm_kwargs('laptop', lm=False)   # the laptop LM's sizes either way: scratch is the same network from random weights
    learn = mixed_precision(text_classifier_learner(dls, AWD_LSTM, drop_mult=0.5, metrics=accuracy, **kw))
    if pretrained: learn.load_pretrained(*laptop_lm().files, model=learn.model[0])
    with learn.no_logging(): learn.fine_tune(epochs, q.one_call_lr)
    return learn


def run_lm_configs(threads:int):
    "Training tokens/s of candidate laptop-LM sizes on random tokens (batch 64 x 72), beside the CPU's fp32 matmul peak"
    import torch
    from fastai.text.all import get_language_model, AWD_LSTM, awd_lstm_lm_config, CrossEntropyLossFlat
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from railway import peak_gflops    # the same fp32 matmul peak as the railway benchmark's FLOP bound
    peak = peak_gflops(threads)
    print(f"CPU peak: {peak:.0f} GFLOP/s (fp32 2048x2048 torch.mm, {threads} threads)\n")
    print("| vocab | emb | hidden | layers | parameters | MB fp16 | MFLOP / token (train) | tokens/s | GFLOP/s | % of peak | tokens in 1 h |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    bs, sl = 64, 72
    for V, E, H, L in [(6000, 64, 192, 2), (8000, 96, 256, 3), (8000, 112, 352, 3), (8000, 128, 256, 2), (8000, 128, 320, 3), (10000, 128, 384, 3)]:
        torch.manual_seed(0)
        m = get_language_model(AWD_LSTM, V, config=dict(awd_lstm_lm_config, emb_sz=E, n_hid=H, n_layers=L)).train()
        n = sum(p.numel() for p in m.parameters())
        opt, lf = torch.optim.Adam(m.parameters(), 1e-3), CrossEntropyLossFlat()
        x, y = torch.randint(0, V, (bs, sl)), torch.randint(0, V, (bs, sl))
        def step():
            loss = lf(m(x)[0], y); opt.zero_grad(); loss.backward(); opt.step()
        for _ in range(2): step()
        t = time.perf_counter()
        for _ in range(6): step()
        tps = bs*sl*6/(time.perf_counter() - t)
        dims = [(E if i == 0 else H, H if i < L-1 else E) for i in range(L)]          # (input, hidden) of each LSTM layer
        flop = 3*2*(E*V + sum(4*h*(i + h) for i, h in dims))                           # forward x3 for a training step
        print(f"| {V:,} | {E} | {H} | {L} | {n/1e6:.2f} M | {2*n/1e6:.1f} | {flop/1e6:.1f} | {tps:,.0f} | {tps*flop/1e9:.0f} | "
              f"{tps*flop/1e9/peak:.0%} | {tps*3600/1e6:.0f} M |", flush=True)


def train_pool(seed:int=0):
    "IMDB's labelled training reviews in one seeded order, positive and negative alternating, none also in the sample"
    import numpy as np
    df, rng = labelled_reviews('train'), np.random.RandomState(seed)
    idx = {lab: df.index[df.label == lab][rng.permutation((df.label == lab).sum())] for lab in ('positive', 'negative')}
    n = min(len(v) for v in idx.values())
    return df.loc[[idx[lab][i] for i in range(n) for lab in ('negative', 'positive')]].reset_index(drop=True)


def _tfidf(train, test):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1 if len(train) < 1000 else 2, sublinear_tf=True, max_features=200_000)
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(vec.fit_transform(train.text), train.label)
    return float((clf.predict(vec.transform(test.text)) == test.label.values).mean())


def run_curve(a, q, test, cmd, n_threads):
    "The data-efficiency curve: each route on nested subsets of IMDB's training reviews, all scored on `test`"
    import numpy as np, pandas as pd, torch
    from course_tl.core import set_seed, write_json, device_name
    from course_tl.data import read_reviews; from course_tl.ulmfit import ulmfit, laptop_lm; from course_tl.minilm import minilm_features, train_head; from course_tl.imdb import curve_table, plot_curve, CURVE_ROUTES as ROUTES, CURVE_ANCHORS
    out = Path(a.curve_json)
    done = {} if a.fresh or not out.exists() else {(c['route'], c['n']): c for c in json.loads(out.read_text())['cells']}
    pool, valid = train_pool(), read_reviews(verbose=False).query('is_valid')
    if a.pool_max: pool = pool.iloc[:a.pool_max]
    sizes = [int(x) for x in a.sizes.split(',')]
    plan = ([(r, n) for r in ROUTES[:1:-1] for n in sizes + [len(pool)]] +          # the cheap routes first, then the AWD-LSTM by size
            [(r, n) for n in sizes if n <= a.awd_max for r in ROUTES[1::-1]])
    card = laptop_lm().card
    def save():
        cells = sorted(done.values(), key=lambda c: (ROUTES.index(c['route']), c['n']))
        write_json(out, dict(command=cmd, device=device_name(), threads=n_threads, n_test=len(test), pool=len(pool), sizes=sizes,
                             anchors=CURVE_ANCHORS, cells=cells))
    test_feats = None
    for route, n in plan:
        if (route, n) in done: continue
        df = pd.concat([pool.iloc[:n].assign(is_valid=False), valid]).reset_index(drop=True)[['text', 'label', 'is_valid']]
        if route == ROUTES[2] and test_feats is None: test_feats = minilm_features(test.text, q.max_len)   # scoring, not training: untimed
        set_seed(42); t = time.perf_counter()
        if route == ROUTES[3]: acc = _tfidf(df[~df.is_valid], test)
        elif route == ROUTES[2]:
            X = minilm_features(df.text, q.max_len)
            learn, _ = train_head(X, df)
            labels = sorted(df.label.unique())
            with torch.no_grad(): p = learn.model.eval()(test_feats).argmax(1).numpy()
            acc = float((np.array(labels)[p] == test.label.values).mean())
        else:
            pre = route == ROUTES[1]
            learn, _ = ulmfit(df, _ulmfit_cfg(q, card, pre))
            acc = score(learn, test)
        done[(route, n)] = c = dict(route=route, n=n, accuracy=round(acc, 4), seconds=round(time.perf_counter() - t, 1))
        print(c, flush=True); save()
    save()
    res = json.loads(out.read_text())
    tab, secs = curve_table(res), curve_table(res, 'seconds')
    cell = lambda acc, s: '' if pd.isna(acc) else f"{acc:.1%} ({s:.0f} s)"
    print(f"\n$ {cmd}\n{device_name()}, {n_threads} torch thread(s); accuracy on {len(test):,} test reviews (seconds to train, features included)\n")
    print("| training reviews | " + " | ".join(tab.columns) + " |\n" + "|---" * (len(tab.columns) + 1) + "|")
    for n_, r in tab.iterrows(): print(f"| {n_:,} | " + " | ".join(cell(r[c], secs.loc[n_, c]) for c in tab.columns) + " |")
    print("\nFor scale (all 25,000 training reviews, a GPU): " + "; ".join(f"{k} {v:.1%}" for k, v in CURVE_ANCHORS))
    import matplotlib; matplotlib.use('Agg')
    ax = plot_curve(res); ax.figure.text(0.01, 0.01, '$ ' + res['command'], fontsize=7, color='grey')
    ax.figure.tight_layout(rect=(0, 0.03, 1, 1)); ax.figure.savefig(out.with_suffix('.png'), dpi=110)
    print(f"\nwrote {out} and {out.with_suffix('.png')}")


def _sizes(card, lm:bool):
    "The laptop LM's AWD-LSTM configuration, for the same network from scratch"
    from fastai.text.all import awd_lstm_lm_config, awd_lstm_clas_config
    return dict(awd_lstm_lm_config if lm else awd_lstm_clas_config, **card['config'])


def _ulmfit_cfg(q, card, pretrained:bool) -> dict:
    "Quick mode's ULMFiT sizes from the laptop LM, or the same network from random weights (nothing to freeze: all LM epochs unfrozen)"
    if pretrained: return dict(q, pretrained='laptop')
    return dict(q, pretrained=False, lm_config=_sizes(card, lm=True), clas_config=_sizes(card, lm=False),
                lm_frozen_epochs=0, lm_epochs=q.lm_epochs + q.lm_frozen_epochs)


@call_parse
def main(n_test:int=5000, # reviews of the scoring set
         minilm:bool=False, # also the MiniLM routes
         lm_configs:bool=False, # only: throughput of candidate laptop-LM sizes
         curve:bool=False, # only: the data-efficiency curve
         sizes:str='100,400,1600,6400', # --curve: training-set sizes
         awd_max:int=6400, # --curve: largest size for the AWD-LSTM routes
         curve_json:str='out/imdb_curve.json', # --curve: results (kept between runs) and, beside it, the plot
         pool_max:int=None, # --curve: use at most this many training reviews (default: all; for a smoke test)
         fresh:bool=False, # --curve: retrain every cell instead of keeping the finished ones
         threads:int=None, # torch threads (default: quick mode's rule)
         json:str=None, # also write the table as JSON to this file
        ) -> int:
    "Benchmark of lesson 4 (14_imdb_ulmfit, IMDB sentiment): does ULMFiT transfer on a laptop? Offline, on the CPU."
    import pandas as pd
    from fastai.basics import defaults
    from course_tl.core import num_threads, set_seed, device_name, mode_config, write_json
    from course_tl.ulmfit import IMDB_MODES, ulmfit, laptop_lm; from course_tl.data import read_reviews; from course_tl.minilm import minilm_route; from course_tl.imdb import predict_reviews
    q = mode_config(IMDB_MODES, quick=True)
    cmd = shlex.join(['python', os.path.relpath(__file__), *sys.argv[1:]])
    if lm_configs:
        with num_threads(threads or 2) as n: print(f"$ {cmd}\n{device_name()}, {n} torch threads"); run_lm_configs(n)
        return 0
    defaults.callbacks = [c for c in defaults.callbacks if c.__name__ != 'ProgressCallback']  # no bars in the log
    t0 = time.perf_counter()
    test = test_reviews(n_test)
    if curve:
        a = SimpleNamespace(sizes=sizes, awd_max=awd_max, curve_json=curve_json, pool_max=pool_max, fresh=fresh)
        with num_threads(threads or q.threads) as n: run_curve(a, q, test, cmd, n)
        print(f"wall time {time.perf_counter() - t0:.0f} s"); return 0
    df = read_reviews(verbose=False)
    card = laptop_lm().card
    print(f"$ {cmd}\n{device_name()}; trained on the sample's {(~df.is_valid).sum()} training reviews, scored on {len(test):,} test reviews "
          f"({(test.label == 'positive').mean():.1%} positive) none of which is in the sample\nlaptop LM: {card['corpus']}, "
          f"{card['tokens']:,} tokens, AWD-LSTM {card['config']}, held-out perplexity {card['perplexity']:.1f}\n", flush=True)
    rows = []
    def row(method, learn, seconds):
        labels, _ = predict_reviews(learn, [POSITIVE, NEGATIVE])
        r = dict(method=method, accuracy=round(score(learn, test), 4), seconds=round(seconds, 1), wicked_cool=labels[0], negative_review=labels[1])
        rows.append(r); print(r, flush=True)
    with num_threads(threads or q.threads) as n:
        for pre in ('laptop', False):
            name = 'laptop LM' if pre else 'scratch'
            set_seed(42); t = time.perf_counter()
            learn, table = ulmfit(df, _ulmfit_cfg(q, card, bool(pre)))
            print(table.to_string(index=False), flush=True)
            row(f'ULMFiT quick ({name}: LM fine-tuned on the sample, gradual unfreezing)', learn, time.perf_counter() - t)
            set_seed(42); t = time.perf_counter()
            learn = one_call(df, q, bool(pre), q.one_call_epochs)
            row(f'one call, text_classifier_learner + fine_tune({q.one_call_epochs}) ({name})', learn, time.perf_counter() - t)
        if minilm:
            set_seed(42)
            clf, table = minilm_route(df, max_len=q.max_len, fine_tune=True, epochs=q.ft_epochs, cache=False)
            labels, probs = predict_reviews(clf, test.text.tolist())
            acc = float((pd.Series(labels) == test.label).mean())
            rows.append(dict(method=f'MiniLM fine-tuned ({q.max_len} word pieces, {q.ft_epochs} epoch(s))', accuracy=round(acc, 4),
                             seconds=round(float(table.seconds.sum()), 1), wicked_cool=predict_reviews(clf, [POSITIVE])[0][0],
                             negative_review=predict_reviews(clf, [NEGATIVE])[0][0]))
    res = pd.DataFrame(rows)
    print(f"\n$ {cmd}\n{device_name()}, {n} torch thread(s); {len(test):,} test reviews\n\n{res.to_string(index=False)}\n\n"
          f"wall time {time.perf_counter() - t0:.0f} s")
    if json: write_json(json, dict(command=cmd, device=device_name(), threads=n, n_test=len(test), laptop_lm=card, rows=rows))
    return 0
