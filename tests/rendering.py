"""Headless Chromium screenshots of the offline pages, shared by test_maps and test_atlas.

Debian's ``chromium`` package (``apt-get install -y chromium``; ``.ci/run`` installs it under
CI). Outside CI the rendering tests skip when it is missing; under ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
IN_CI = os.environ.get("CI") == "true"
WINDOW = (1200, 800)


def require_chromium() -> str:
    """The chromium executable; skip the test without it, except under CI (then fail)."""
    if CHROMIUM is None:
        if IN_CI:
            pytest.fail(
                "chromium is missing under CI: .ci/run installs it (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return CHROMIUM


def screenshot(page: Path, fragment: str, workdir: Path) -> np.ndarray:
    """Render ``page#fragment`` offline in headless Chromium; return the RGB pixels (H x W x 3).

    ``--virtual-time-budget`` lets the page's scripts finish before the shot; the networking
    flags keep Chromium from calling home, so the page must draw from the file alone.
    """
    from PIL import Image

    chromium = require_chromium()
    name = re.sub(r"\W", "_", f"{page.parent.parent.name}-{page.stem}-{fragment}")
    target = workdir / f"{name}.png"
    profile = workdir / "chromium-profile"
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={profile}", f"--screenshot={target}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=10000", url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert target.exists(), f"chromium wrote no screenshot of {url}: {result.stderr[-500:]}"
    return np.asarray(Image.open(target).convert("RGB"), dtype=int)


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def pixels_near(pixels: np.ndarray, colour: str, tolerance: int = 6) -> int:
    """How many pixels are within ``tolerance`` (per channel) of ``colour``."""
    return int((np.abs(pixels - hex_rgb(colour)).max(axis=2) <= tolerance).sum())


def blend(colour: str, opacity: float, under: str) -> str:
    """The colour ``colour`` at ``opacity`` over ``under`` (source-over compositing)."""
    mixed = opacity * hex_rgb(colour) + (1 - opacity) * hex_rgb(under)
    return "#" + "".join(f"{int(round(v)):02x}" for v in mixed)


def drawn_share(pixels: np.ndarray, top: int = 60) -> float:
    """Share of the map area (below the page header) that is not page-white."""
    area = pixels[top:]
    return float((area.min(axis=2) < 250).mean())


ROOT = Path(__file__).resolve().parents[1]
# REGCLUST_PROCESSED=/path/to/processed checks another build (e.g. a scratch copy).
PROCESSED = Path(os.environ.get("REGCLUST_PROCESSED", ROOT / "data" / "processed"))
DATASETS = [
    "us_cbsa_2019",
    "us_states_2019",
    "us_counties_2017_2021",
    "gb_nuts2_2015_2022",
    "ru_subjects_2017_2021",
]
MAP_INPUTS = [
    "regions.parquet",
    "regional_clusters.parquet",
    "cluster_strength.parquet",
    "local_spatial.parquet",
    "industry_clusters.parquet",
    "location_quotients",
    "region_groups.parquet",
]


def built_dataset(dataset: str, scratch: Path) -> Path:
    """The processed folder of ``dataset`` holding maps/ and atlas/.

    The pages the ``maps`` stage published when they are there (``dvc repro`` ran it);
    otherwise the stage runs now on the published tables (linked, not copied) into ``scratch``.
    """
    from pipeline.config import load_settings
    from pipeline.stages import maps as stage
    from pipeline.stages.common import Layout

    if dataset in _BUILT:
        return _BUILT[dataset]
    published = PROCESSED / dataset
    if (published / "maps" / "regional_clusters.html").exists() and (
        published / "atlas" / "index.html"
    ).exists():
        return published
    if not all((published / name).exists() for name in MAP_INPUTS):
        if IN_CI:
            pytest.fail(f"{published}: tables missing; `make test` builds them first")
        pytest.skip(f"{published}: run `make run` first to build the tables")
    layout = Layout.for_dataset(dataset, scratch)
    layout.processed.mkdir(parents=True)
    for name in MAP_INPUTS:
        (layout.processed / name).symlink_to(published / name)
    stage.run_maps(load_settings(ROOT / "params.yaml"), dataset, layout)
    _BUILT[dataset] = layout.processed
    return layout.processed


_BUILT: dict[str, Path] = {}  # dataset -> pages built in this test session
