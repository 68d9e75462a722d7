"""The notebooks users start from: they exist, and the quick tour asks the library, not pandas.

The notebooks themselves are executed by ``pytest --nbmake notebooks`` (``make test``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REQUIRED = ("quick_tour", "specialisation_concentration", "cluster_atlas")
# the three questions of the quick tour, each one library call (pipeline.profiles)
QUESTIONS = ("region_profile(", "leading_regions(", "largest_regional_clusters(")


def code_of(name: str) -> str:
    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


@pytest.mark.parametrize("name", REQUIRED)
def test_the_notebooks_exist_and_are_stored_without_errors(name):
    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.get("output_type") == "error"]


def test_quick_tour_answers_each_question_with_one_library_call():
    code = code_of("quick_tour")
    assert all(call in code for call in QUESTIONS)
    assert ".merge(" not in code and ".join(" not in code  # no pandas joins
