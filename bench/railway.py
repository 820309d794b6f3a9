"""Benchmark: the original notebook's data pipeline against the railway lesson's, on the same tiles, network, epochs, seed and threads.

    python bench/railway.py                       # both runs, 5 epochs each way, the lesson's network (~10-15 min on 2 quiet cores)
    python bench/railway.py --runs pretrained --epochs 3
    python bench/railway.py --epochs 1            # a smoke test of the script
    python bench/railway.py --ablation            # also: one setting of the lesson pipeline changed at a time (1 epoch each)

Seed-style pipeline: `ImageDataLoaders` with `Resize(128)` as item transform on the scan-size (512 px JPEG) generated tiles,
fastai's default `num_workers` (one per core), a plain `vision_learner` (contiguous fp32). Its file list is sorted (otherwise
exactly `from_folder`) so that both pipelines split off the same 127 validation tiles.
Lesson pipeline: `course_tl.railway_compare` — tiles shrunk once into the cache (JPEG draft mode) and decoded once into memory
(`MemoryTiles`, `TileCrop`: the same crops as `Resize`), `num_workers=0`, channels-last activations, and mixed precision
where `callbacks.use_amp` says so (a GPU; on a CPU only with AMX bfloat16 units and only for the frozen pretrained run: the scratch
run is slower in bfloat16 on the CPU, see `--ablation`).
Both train with `train_run` — `fit_one_cycle(epochs)` under the same seed (same split, same head init, same batch order) — on the
same fixed number of torch threads (`--threads`, default `DEFAULT_THREADS`: one per core). Nothing is chosen by timing.

The FLOP bound: forward FLOPs of the network on one 128 px image counted with `torch.utils.flop_counter.FlopCounterMode`,
x3 for a training step (forward + backward; the frozen pretrained run skips the body's weight gradients, nearer x2, so its
"% of bound" flatters it); the CPU's peak is the best sustained `torch.mm` rate (2048 x 2048) on the same threads, in fp32, or
in bfloat16 for a run in mixed precision.
bound = peak / (3 x forward FLOPs) training images per second. Epoch times include validation, so the measured training
rate (training tiles / epoch seconds) is slightly pessimistic. Wall seconds are what a user waits; CPU seconds (this process
and its finished DataLoader workers) are printed too, as they depend less on other jobs sharing the machine. Run it alone:
other jobs on the cores make every number wrong (and hurt the pipeline with worker processes most).
"""
import os, resource, sys, tempfile, time, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
import torch
from fastai.vision.all import (Callback, ImageDataLoaders, Resize, Normalize, imagenet_stats, get_image_files, parent_label,
                               create_vision_model)
from course_tl.core import device_name, num_threads, DEFAULT_THREADS
from course_tl.callbacks import recorder_table
from course_tl.data import railway_path
from course_tl.models import pick_arch
from course_tl.images import resized_tiles, shrink_image
from course_tl.railway_compare import railway_dls, train_run, RUNS
from fastcore.script import call_parse, CliError


def peak_gflops(threads:int, n:int=2048, reps:int=10, tries:int=3, dtype=torch.float32) -> float:
    "Best sustained `dtype` matrix-multiply rate of this CPU (GFLOP/s) on `threads` torch threads"
    with num_threads(threads):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b
        best = 0.
        for _ in range(tries):
            t = time.perf_counter()
            for _ in range(reps): a @ b
            best = max(best, 2*n**3*reps/(time.perf_counter() - t)/1e9)
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
    def before_train(self): self.t0 = self._now()
    def after_epoch(self):
        if getattr(self, 't0', None) is None: return
        self.cpu.append(self._now() - self.t0); self.t0 = None


def seed_dls(path, size=128, bs=64, seed=42, num_workers=None):
    "The original notebook's DataLoaders: Resize(size) on every (large) tile in every epoch, fastai's default workers"
    files = sorted(get_image_files(path))
    kw = {} if num_workers is None else dict(num_workers=num_workers)
    return ImageDataLoaders.from_path_func(path, files, parent_label, valid_pct=0.2, seed=seed, item_tfms=Resize(size), bs=bs,
                                           batch_tfms=Normalize.from_stats(*imagenet_stats), **kw)


def summarise(df, n_train, cpu):
    "(mean seconds per epoch, final error rate, training images per second, mean CPU seconds per epoch)"
    s = df.seconds.mean()
    return s, df.error_rate.iloc[-1], n_train/s, sum(cpu)/len(cpu)


def ablation_runs(big, small, arch, seed, threads):
    "One pretrained epoch of the lesson pipeline with one setting changed at a time"
    def one(name, dls, channels_last=True, th=threads, amp=None, pretrained=True):
        learn = train_run(dls, arch, pretrained, 1, None, seed, channels_last=channels_last, cbs=[CPUTimer()], threads=th, amp=amp)
        print(f"| {name} | {learn.threads} | {learn.amp} | {learn.epoch_timer.seconds[0]:.1f} | {learn.cpu_timer.cpu[0]:.1f} |", flush=True)
    one("lesson", railway_dls(small))
    one("lesson, fp32 (no mixed precision)", railway_dls(small), amp=False)
    one("lesson, scratch run", railway_dls(small), pretrained=False)
    one("lesson, scratch run in mixed precision", railway_dls(small), pretrained=False, amp=True)
    one("lesson, PNG decoded per item each epoch (in_memory=False)", railway_dls(small, in_memory=False))
    for w in (1, 2): one(f"lesson, num_workers={w}", railway_dls(small, num_workers=w))
    for k in sorted({1, DEFAULT_THREADS} - {threads}): one(f"lesson, threads={k}", railway_dls(small), th=k)
    one("lesson, contiguous (no channels-last)", railway_dls(small), channels_last=False)
    one("lesson but 512 px JPEGs + Resize(128) each epoch, 0 workers", seed_dls(big, num_workers=0))


@call_parse
def main(arch:str=None, # network (default: pick_arch("resnet18"))
         epochs:int=5, # epochs of each run
         runs:str='pretrained,scratch', # comma-separated: pretrained, scratch
         seed:int=42, # seed of the split and of every run
         threads:int=DEFAULT_THREADS, # torch threads for every run, one per core
         ablation:bool=False, # also time single settings (1 epoch each)
        ):
    "Benchmark: the original notebook's data pipeline against the railway lesson's, on the same tiles, network, epochs, seed and threads."
    runs = [r for r in runs.split(',') if r]
    if not set(runs) <= set(RUNS): raise CliError(f"railway.py: error: --runs: choose from {', '.join(RUNS)}")
    if epochs < 1 or threads < 1: raise CliError("railway.py: error: --epochs and --threads must be at least 1")
    t_start = time.perf_counter()
    arch = arch or pick_arch('resnet18')
    print(f"device: {device_name()} | torch {torch.__version__} | load average {os.getloadavg()[0]:.1f} (1 min)", flush=True)
    big = railway_path()
    small = resized_tiles(big)
    with tempfile.TemporaryDirectory() as d:   # what building the cache costs, once (timed afresh even when it exists)
        t = time.perf_counter()
        for f in get_image_files(big): shrink_image(f, Path(d)/f.relative_to(big).with_suffix('.png'), 128)
        once = time.perf_counter() - t
    print(f"tiles: {big} -> cached 128 px copies {small} (building them costs {once:.1f}s once)", flush=True)
    peak, peak16, fwd = peak_gflops(threads), peak_gflops(threads, dtype=torch.bfloat16), forward_gflops(arch)
    bound, bound16 = peak/(3*fwd), peak16/(3*fwd)
    print(f"{arch}: {fwd:.3f} GFLOPs forward per 128 px image; CPU peak {peak:.0f} GFLOP/s fp32, {peak16:.0f} GFLOP/s bf16 "
          f"(2048x2048 torch.mm, {threads} threads) -> bound {bound:.0f} (fp32) / {bound16:.0f} (bf16) training images/s", flush=True)
    print(f"threads: {threads} for every run of both pipelines", flush=True)
    res, amp = {}, {}
    for name, make in (('seed', lambda: seed_dls(big)), ('lesson', lambda: railway_dls(small))):
        t = time.perf_counter(); dls = make(); built = time.perf_counter() - t
        for run in runs:
            learn = train_run(dls, arch, run == 'pretrained', epochs, None, seed, channels_last=name == 'lesson',
                              cbs=[CPUTimer()], threads=threads, amp=None if name == 'lesson' else False)
            amp[name, run] = learn.amp
            df = recorder_table(learn, run=run)
            res[name, run] = summarise(df, len(dls.train_ds), learn.cpu_timer.cpu)
            print(f"  {name:6s} {run:10s} DataLoaders built in {built:.1f}s, seconds per epoch {[round(s, 1) for s in df.seconds]}, "
                  f"CPU seconds {[round(c, 1) for c in learn.cpu_timer.cpu]}, error rates {[round(e, 3) for e in df.error_rate]}", flush=True)
    print(f"\n{len(dls.train_ds)} training / {len(dls.valid_ds)} validation tiles, {epochs} epochs, {arch}, seed {seed}, "
          f"{threads} threads\n")
    print("| run | pipeline | mixed precision | s / epoch | speed-up | CPU s / epoch | CPU speed-up | final error | train img/s | FLOP bound img/s | % of bound |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        for name in ('seed', 'lesson'):
            s, e, ips, cpu = res[name, run]
            b = bound16 if amp[name, run] else bound
            up = f"{res['seed', run][0]/s:.2f}x" if name == 'lesson' else '1.00x'
            cup = f"{res['seed', run][3]/cpu:.2f}x" if name == 'lesson' else '1.00x'
            print(f"| {run} | {name} | {'bf16' if amp[name, run] else 'fp32'} | {s:.1f} | {up} | {cpu:.1f} | {cup} | {e:.1%} | {ips:.1f} | {b:.0f} | {ips/b:.0%} |")
    if ablation:
        print("\nablation: one pretrained epoch each, the lesson pipeline with one thing changed\n")
        print("| setting | threads | mixed precision | s / epoch | CPU s / epoch |\n|---|---|---|---|---|")
        ablation_runs(big, small, arch, seed, threads)
    print(f"\ncommand: python bench/railway.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"wall time {time.perf_counter()-t_start:.0f}s | load average {os.getloadavg()[0]:.1f} (1 min) at the end")
    return 0
