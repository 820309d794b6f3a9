"""Benchmark: the seed's data pipeline against the railway lesson's, on the same tiles, network, epochs and seed.

    python bench/railway.py                       # the pretrained run, 5 epochs, the lesson's network (~5-10 min on 2 cores)
    python bench/railway.py --runs pretrained,scratch   # both runs (twice as long)
    python bench/railway.py --runs pretrained --epochs 3
    python bench/railway.py --ablation            # also: num_workers 0/1/2, channels-last on/off, 1 vs 2 threads (1 epoch each)

Seed-style pipeline: `ImageDataLoaders` with `Resize(128)` as item transform on the scan-size (512 px JPEG) generated tiles,
fastai's default `num_workers` (one per core), a plain `vision_learner` (contiguous fp32). Its file list is sorted (otherwise
exactly `from_folder`) so that both pipelines split off the same 127 validation tiles.
Lesson pipeline: `course_tl.railway` — tiles shrunk once into the cache (JPEG draft mode), `num_workers=0`, channels-last,
1 or all torch threads (`fastest_threads`: whichever runs a small convolution faster right now).
Both train with `fit_one_cycle(epochs)` under the same seed (same split, same head init, same batch order).

The FLOP bound: forward FLOPs of the network on one 128 px image counted with `torch.utils.flop_counter.FlopCounterMode`,
x3 for a training step (forward + backward; the frozen pretrained run skips the body's weight gradients, nearer x2, so its
"% of bound" flatters it);
the CPU's peak is the best sustained fp32 `torch.mm` rate (2048 x 2048) on 1 thread and on all cores, whichever is higher.
bound = peak / (3 x forward FLOPs) training images per second. Epoch times include validation, so the measured training
rate (training tiles / epoch seconds) is slightly pessimistic. Wall seconds are what a user waits; CPU seconds (this process
and its finished DataLoader workers) are printed too, as they depend less on other jobs sharing the machine.
"""
import argparse, os, resource, sys, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import (Callback, ImageDataLoaders, Resize, Normalize, imagenet_stats, get_image_files, parent_label,
                               create_vision_model)
from course_tl.core import device_name
from course_tl.data import railway_path
from course_tl.models import pick_arch
from course_tl.railway import resized_tiles, shrink_image, railway_dls, train_run, run_frame, RUNS, _ALL_THREADS


def peak_gflops(threads:int, n:int=2048, reps:int=10, tries:int=3) -> float:
    "Best sustained fp32 matrix-multiply rate of this CPU (GFLOP/s) on `threads` torch threads"
    old = torch.get_num_threads(); torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.
    for _ in range(tries):
        t = time.perf_counter()
        for _ in range(reps): a @ b
        best = max(best, 2*n**3*reps/(time.perf_counter() - t)/1e9)
    torch.set_num_threads(old)
    return best


def forward_gflops(arch:str, size:int=128) -> float:
    "Forward GFLOPs per image of `arch` with a 2-class fastai head at `size` pixels"
    from torch.utils.flop_counter import FlopCounterMode
    from course_tl.models import get_arch
    m = create_vision_model(get_arch(arch), 2, pretrained=False).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fc: m(torch.randn(2, 3, size, size))
    return fc.get_total_flops()/2/1e9


class CPUTimer(Callback):
    "CPU seconds (this process + its finished DataLoader workers) of each epoch: less sensitive than wall time to other jobs"
    def before_fit(self): self.cpu = []
    def _now(self): return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                               for f in ('ru_utime', 'ru_stime'))
    def before_epoch(self): self.t0 = self._now()
    def after_epoch(self): self.cpu.append(self._now() - self.t0)


def seed_dls(path, size=128, bs=64, seed=42, num_workers=None):
    "The seed's DataLoaders: Resize(size) on every (large) tile in every epoch, fastai's default workers"
    files = sorted(get_image_files(path))
    kw = {} if num_workers is None else dict(num_workers=num_workers)
    return ImageDataLoaders.from_path_func(path, files, parent_label, valid_pct=0.2, seed=seed, item_tfms=Resize(size), bs=bs,
                                           batch_tfms=Normalize.from_stats(*imagenet_stats), **kw)


def seed_run(dls, arch, pretrained, epochs, seed):
    "The seed's training: vision_learner, fit_one_cycle(epochs), torch's default threads, no channels-last (the timers only measure)"
    return train_run(dls, arch, pretrained, epochs, None, seed, channels_last=False, cbs=[CPUTimer()], threads=_ALL_THREADS)


def summarise(df, n_train, cpu):
    "(mean seconds per epoch, final error rate, training images per second, mean CPU seconds per epoch)"
    s = df.seconds.mean()
    return s, df.error_rate.iloc[-1], n_train/s, sum(cpu)/len(cpu)


def ablation(big, small, arch, seed):
    "One pretrained epoch of the lesson pipeline with one setting changed at a time"
    rows = []
    def one(name, dls, channels_last=True, threads=None):
        learn = train_run(dls, arch, True, 1, None, seed, channels_last=channels_last, cbs=[CPUTimer()], threads=threads)
        rows.append((name, learn.threads, learn.epoch_timer.seconds[0], learn.cpu_timer.cpu[0]))
        print("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in rows[-1]) + " |", flush=True)
    for w in (0, 1, 2): one(f"lesson, num_workers={w}", railway_dls(small, num_workers=w))
    for k in sorted({1, _ALL_THREADS}): one(f"lesson, threads={k}", railway_dls(small), threads=k)
    one("lesson, contiguous (no channels-last)", railway_dls(small), channels_last=False)
    one("lesson, bs 32", railway_dls(small, bs=32))
    one("lesson but 512 px JPEGs + Resize(128) each epoch", seed_dls(big, num_workers=0))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', help='network (default: pick_arch("resnet18"))')
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--runs', default='pretrained', help='comma-separated: pretrained, scratch (default pretrained: the seed pipeline is slow)')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--ablation', action='store_true', help='also time single settings (1 epoch each)')
    a = p.parse_args(argv)
    runs = [r for r in a.runs.split(',') if r]
    if not set(runs) <= set(RUNS): p.error(f"--runs: choose from {', '.join(RUNS)}")
    t_start = time.perf_counter()
    arch = a.arch or pick_arch('resnet18')
    print(f"device: {device_name()} | torch {torch.__version__} | load average {os.getloadavg()[0]:.1f} (1 min)", flush=True)
    big = railway_path()
    small = resized_tiles(big)
    with tempfile.TemporaryDirectory() as d:   # what building the cache costs, once (timed afresh even when it exists)
        t = time.perf_counter()
        for f in get_image_files(big): shrink_image(f, Path(d)/f.relative_to(big).with_suffix('.png'), 128)
        once = time.perf_counter() - t
    print(f"tiles: {big} -> cached 128 px copies {small} (building them costs {once:.1f}s once)", flush=True)
    peaks, fwd = {k: peak_gflops(k) for k in sorted({1, _ALL_THREADS})}, forward_gflops(arch)
    peak = max(peaks.values()); bound = peak/(3*fwd)
    print(f"{arch}: {fwd:.3f} GFLOPs forward per 128 px image; CPU peak {peak:.0f} GFLOP/s (fp32 2048x2048 torch.mm; "
          + ', '.join(f"{k} thread{'s' if k > 1 else ''}: {v:.0f}" for k, v in peaks.items()) + f") -> bound {bound:.0f} training images/s",
          flush=True)
    print(f"threads: seed pipeline {_ALL_THREADS} (torch's default), lesson pipeline 1 or {_ALL_THREADS} (fastest_threads, before each run)", flush=True)
    res = {}
    for name, make in (('seed', lambda: seed_dls(big)), ('lesson', lambda: railway_dls(small))):
        dls = make()
        for run in runs:
            if name == 'seed': learn = seed_run(dls, arch, run == 'pretrained', a.epochs, a.seed)
            else: learn = train_run(dls, arch, run == 'pretrained', a.epochs, None, a.seed, cbs=[CPUTimer()])
            df = run_frame(learn, run)
            res[name, run] = summarise(df, len(dls.train_ds), learn.cpu_timer.cpu)
            print(f"  {name:6s} {run:10s} {learn.threads} threads, seconds per epoch {[round(s, 1) for s in df.seconds]}, "
                  f"CPU seconds {[round(c, 1) for c in learn.cpu_timer.cpu]}, error rates {[round(e, 3) for e in df.error_rate]}", flush=True)
    print(f"\n{len(dls.train_ds)} training / {len(dls.valid_ds)} validation tiles, {a.epochs} epochs, {arch}, seed {a.seed}\n")
    print("| run | pipeline | s / epoch | speed-up | CPU s / epoch | CPU speed-up | final error | train img/s | FLOP bound img/s | % of bound |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        for name in ('seed', 'lesson'):
            s, e, ips, cpu = res[name, run]
            up = f"{res['seed', run][0]/s:.2f}x" if name == 'lesson' else '1.00x'
            cup = f"{res['seed', run][3]/cpu:.2f}x" if name == 'lesson' else '1.00x'
            print(f"| {run} | {name} | {s:.1f} | {up} | {cpu:.1f} | {cup} | {e:.1%} | {ips:.1f} | {bound:.0f} | {ips/bound:.0%} |")
    if a.ablation:
        print("\nablation: one pretrained epoch each, the lesson pipeline with one thing changed\n")
        print("| setting | threads | s / epoch | CPU s / epoch |\n|---|---|---|---|")
        ablation(big, small, arch, a.seed)
    print(f"\ncommand: python bench/railway.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"wall time {time.perf_counter()-t_start:.0f}s | load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    return 0


if __name__ == '__main__': sys.exit(main())
