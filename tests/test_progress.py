"""pipeline.progress: bars on a terminal only, the step lines always (on stderr)."""

from __future__ import annotations

from pipeline.progress import steps, tracked


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    assert list(tracked(range(3), "years", 3)) == [0, 1, 2]
    with steps("measure toy", 2) as step:
        step("location quotients")
        step("written")
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert [line.split(" [")[0] for line in lines[:2]] == [
        "measure toy: location quotients",
        "measure toy: written",
    ]
    assert lines[2].startswith("measure toy: done in ")
    assert "%|" not in captured.err  # no tqdm bar
