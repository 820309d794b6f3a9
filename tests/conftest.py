import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('COURSE_TL_MODE', 'quick')
os.environ.setdefault('MPLBACKEND', 'Agg')

@pytest.fixture
def offline(monkeypatch):
    "Simulate a machine with no network"
    monkeypatch.setenv('COURSE_TL_OFFLINE', '1')

@pytest.fixture
def cli():
    "Run the `course-tl` console script in a fresh process; returns the CompletedProcess"
    import subprocess
    exe = Path(sys.executable).parent/'course-tl'
    def run(*args, timeout=600, env=None):
        e = {**os.environ, **(env or {})}
        return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=e, cwd=ROOT)
    return run
