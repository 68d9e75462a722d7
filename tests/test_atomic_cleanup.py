"""Atomic writes survive SIGKILL; stale temporaries are cleaned on the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from pipeline.atomic_cleanup import remove_stale_temporaries, stale_temporaries
from pipeline.publish import write_table

ROOT = Path(__file__).resolve().parents[1]
ROWS = 5_000_000  # random floats compress poorly: a ~150 MB Parquet file, written in row groups
KILL_AFTER_BYTES = 1_000_000  # kill once this much of the temporary file is on disk

WRITER = f"""
import sys
import numpy as np
import pandas as pd
from pipeline.publish import write_table

rng = np.random.default_rng(0)
table = pd.DataFrame({{name: rng.random({ROWS}) for name in "abcd"}})
print("writing", flush=True)
write_table(table, sys.argv[1])
print("done", flush=True)
"""


def temporaries(folder: Path, target: Path) -> list[Path]:
    return sorted(folder.glob(f".{target.name}.*.tmp"))


def test_sigkill_mid_write_keeps_the_previous_version(tmp_path):
    target = tmp_path / "location_quotients.parquet"
    previous = pd.DataFrame({"region_id": ["001", "002"], "lq": [1.25, 0.8]})
    write_table(previous, target)
    previous_bytes = target.read_bytes()

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "writing", writer.stderr.read()
        deadline = time.monotonic() + 60
        partial: list[Path] = []
        while time.monotonic() < deadline and writer.poll() is None:
            partial = temporaries(tmp_path, target)
            if partial and partial[0].stat().st_size >= KILL_AFTER_BYTES:
                break
            time.sleep(0.005)
        assert writer.poll() is None, "the writer finished before it could be killed"
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == -signal.SIGKILL

    # The target is the previous version, byte for byte, and still reads back.
    assert target.read_bytes() == previous_bytes
    pd.testing.assert_frame_equal(pd.read_parquet(target), previous)
    # No partial file is visible under the target's name; the hidden temporary stays behind.
    visible = sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("."))
    assert visible == [target.name]
    leftovers = temporaries(tmp_path, target)
    assert len(leftovers) == 1 and leftovers[0].stat().st_size >= KILL_AFTER_BYTES

    # The next run removes it (age threshold 0: nothing else writes here) and keeps the target.
    assert remove_stale_temporaries(tmp_path, min_age_seconds=0) == leftovers
    assert temporaries(tmp_path, target) == []
    assert target.read_bytes() == previous_bytes


def test_only_old_temporaries_of_the_atomic_writer_are_stale(tmp_path):
    old = tmp_path / ".employment.parquet.ab12_x9z.tmp"
    fresh = tmp_path / ".regions.parquet.zz99yy88.tmp"
    unrelated = [
        tmp_path / "employment.parquet",  # a published table
        tmp_path / ".gitignore",
        tmp_path / "notes.tmp",  # not hidden
        tmp_path / ".employment.parquet.tmp",  # no random part
    ]
    for path in [old, fresh, *unrelated]:
        path.write_bytes(b"x")
    now = time.time()
    os.utime(old, (now - 7200, now - 7200))
    assert stale_temporaries(tmp_path, min_age_seconds=3600, now=now) == [old]
    assert remove_stale_temporaries(tmp_path, min_age_seconds=3600) == [old]
    assert not old.exists() and fresh.exists()
    assert all(path.exists() for path in unrelated)
    assert stale_temporaries(tmp_path / "missing") == []
