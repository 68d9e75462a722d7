"""Progress reporting for long stages: a bar per stage on stderr (quiet when not a terminal)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


@contextmanager
def steps(title: str, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar of ``total`` steps; call the yielded function after each step."""
    started = time.perf_counter()
    bar = tqdm(
        total=total,
        desc=title,
        unit="step",
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
        disable=None,
    )

    def advance(message: str) -> None:
        bar.set_postfix_str(message[:60])
        bar.update(1)
        elapsed = time.perf_counter() - started
        bar.write(f"{title}: {message} [{elapsed:.1f} s]", file=sys.stderr)

    try:
        yield advance
    finally:
        bar.close()
    print(f"{title}: done in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def tracked(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate ``items`` with a progress bar inside a step (years, industries, maps).

    Quiet when stderr is not a terminal (tqdm ``disable=None``), so logs and CI stay clean.
    """
    yield from tqdm(
        items,
        desc=description,
        total=total,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
        disable=None,
    )
