"""NAICS code structure: levels, parents, range sectors, known codes (one definition each)."""

import pandas as pd
import pytest

from pipeline.classifications.codes import prefix_ancestors
from pipeline.classifications.hierarchy import ancestor_chain, known_industry_codes
from pipeline.classifications.naics import (
    RANGE_OF_SECTOR,
    RANGE_SECTORS,
    is_naics_code,
    naics_known_codes,
    naics_level,
    naics_parent,
)
from pipeline.sources.cbp_files import county_file_naics
from pipeline.sources.us_qcew import qcew_parent_code


def test_range_sectors_and_their_members_are_one_table():
    assert RANGE_OF_SECTOR == {
        "31": "31-33",
        "32": "31-33",
        "33": "31-33",
        "44": "44-45",
        "45": "44-45",
        "48": "48-49",
        "49": "48-49",
    }
    assert set(RANGE_OF_SECTOR.values()) == set(RANGE_SECTORS)


def test_levels_follow_digits_ranges_and_the_total():
    codes = pd.Series(["00", "31-33", "44-45", "42", "336", "3361", "33611", "336111"])
    assert naics_level(codes).tolist() == [0, 2, 2, 2, 3, 4, 5, 6]
    assert str(naics_level(codes).dtype) == "int8"


@pytest.mark.parametrize(
    ("code", "agglvl"),
    [("336411", "58"), ("33641", "57"), ("3364", "56"), ("336", "55"), ("452", "55"),
     ("4411", "56"), ("541", "55"), ("48411", "57")],
)  # fmt: skip
def test_qcew_parents_of_naics_codes_are_the_naics_parents(code, agglvl):
    assert qcew_parent_code(code, agglvl) == naics_parent(code)


def test_every_parent_is_the_nearest_canonical_ancestor():
    # The chain a generic file may hold ('31' beside '31-33'), less the range members,
    # is what the canonical readers write, so the parent is its first element.
    for code in ["336111", "33611", "3361", "336", "452", "541", "5413"]:
        canonical = [c for c in ancestor_chain(code, "naics2017") if c not in RANGE_OF_SECTOR]
        assert naics_parent(code) == canonical[0]
    assert prefix_ancestors("336", RANGE_OF_SECTOR) == ["33", "31-33", "00"]


def test_county_file_sectors_are_written_as_ranges():
    written = county_file_naics(pd.Series(["31----", "44----", "48----", "42----"]))
    assert written.tolist() == ["31-33", "44-45", "48-49", "42"]


def test_known_codes_come_from_the_crosswalk_and_the_concordance():
    known = naics_known_codes()
    assert {"336411", "33641", "3364", "336", "31-33", "00"} <= known
    assert "541713" in known  # a 2017 code of the concordance (from 541711 and 541712)
    assert "33" in known and "31" in known  # two-digit prefixes of six-digit codes
    assert known_industry_codes("naics2012") is known  # read once per folder
    outside = is_naics_code(pd.Series(["921110", "99", "999999", "9211x", "12"]), known)
    assert outside.tolist() == [True, True, True, False, False]
