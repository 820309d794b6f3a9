"""Benchmark of lesson 11 (IMDB sentiment): the four routes on the same split, offline, on the CPU.

The 1,000-review IMDB sample: trained on its 800 training reviews, scored on its 200 `is_valid` reviews.

    .venv/bin/python bench/imdb.py                  # about 8-10 minutes on 2 CPU cores
    .venv/bin/python bench/imdb.py --ft-epochs 1 --json out/imdb_bench.json   # faster, below 80%

Prints the command that produced it, the device and a table: method, accuracy, seconds (each route's own total,
features included: nothing is read from the feature cache).
"""
import argparse, os, shlex, sys, time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog='bench/imdb.py', description=__doc__.splitlines()[0])
    p.add_argument('--threads', type=int, default=1, help='PyTorch CPU threads (default: %(default)s, fastest for these models on a small shared CPU)')
    p.add_argument('--clas-epochs', type=int, default=2, help='unfrozen epochs of the one-call AWD-LSTM (fine_tune) (default: %(default)s)')
    p.add_argument('--lm-epochs', type=int, default=2, help='epochs of the quick ULMFiT language model (default: %(default)s)')
    p.add_argument('--max-len', type=int, default=256, help='MiniLM word pieces per review (default: %(default)s)')
    p.add_argument('--ft-epochs', type=int, default=2, help='MiniLM fine-tuning epochs (default: %(default)s)')
    p.add_argument('--json', metavar='FILE', help='also write the table as JSON')
    a = p.parse_args(argv)
    from course_tl.core import num_threads
    with num_threads(a.threads): return bench(a)


def bench(a) -> int:
    "The four routes, one after the other; prints and returns 0"
    import pandas as pd
    from fastai.text.all import text_classifier_learner, AWD_LSTM, accuracy
    from course_tl.core import set_seed, device_name, mode_config, write_json
    from fastai.basics import defaults
    from course_tl.text import IMDB_MODES, read_reviews, imdb_dls, ulmfit, minilm_route
    q = mode_config(IMDB_MODES, quick=True)  # the sample and the small AWD-LSTM; the MiniLM sizes come from the options
    defaults.callbacks = [c for c in defaults.callbacks if c.__name__ != 'ProgressCallback']  # one line per epoch, no bars

    cmd = shlex.join([os.path.relpath(sys.executable), *sys.argv])
    print(f"$ {cmd}\n{device_name()}, {a.threads} torch thread(s); IMDB sample: 800 training, 200 validation reviews\n", flush=True)
    df, rows = read_reviews(), []

    set_seed(42); t = time.perf_counter()
    dls = imdb_dls(df, bs=q.bs, seq_len=q.seq_len, max_vocab=q.max_vocab, workers=q.workers)
    learn = text_classifier_learner(dls, AWD_LSTM, drop_mult=0.5, metrics=accuracy, config=q.clas_config, pretrained=False)
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(a.clas_epochs, 1e-2)
    rows.append(dict(method=f'AWD-LSTM from scratch, one call (fine_tune({a.clas_epochs}))', accuracy=float(learn.recorder.values[-1][2]),
                     seconds=time.perf_counter() - t))
    print(rows[-1], flush=True)

    set_seed(42); t = time.perf_counter()
    learn, table = ulmfit(df, q, lm_epochs=a.lm_epochs)
    rows.append(dict(method=f'ULMFiT quick (LM from scratch, {a.lm_epochs} epochs; gradual unfreezing)', accuracy=float(table.accuracy.iloc[-1]),
                     seconds=time.perf_counter() - t))
    print(table.to_string(index=False), flush=True)

    set_seed(42)
    clf, table = minilm_route(df, max_len=a.max_len, fine_tune=True, epochs=a.ft_epochs, cache=False)
    print(table.to_string(index=False), flush=True)
    feats, ft = table.iloc[0], table.iloc[1]
    rows.append(dict(method=f'MiniLM frozen features + head ({a.max_len} word pieces)', accuracy=float(feats.accuracy), seconds=float(feats.seconds)))
    rows.append(dict(method=f'MiniLM fine-tuned ({a.ft_epochs} epoch(s), {a.max_len} word pieces)', accuracy=float(ft.accuracy),
                     seconds=float(feats.seconds + ft.seconds)))

    res = pd.DataFrame(rows).round(dict(accuracy=3, seconds=1))
    print(f"\n$ {cmd}\n{res.to_string(index=False)}")
    if a.json: write_json(a.json, dict(command=cmd, device=device_name(), threads=a.threads, rows=res.to_dict('records')))
    return 0


if __name__ == '__main__': sys.exit(main())
