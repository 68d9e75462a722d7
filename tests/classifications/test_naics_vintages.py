"""NAICS 2012 <-> 2017 concordance at every level, and the unmatched-code report."""

import pandas as pd
import pytest

from pipeline.classifications.naics_vintages import (
    concordance_all_levels,
    naics_2012_to_2017,
    naics_2017_to_2012,
    read_naics_concordance,
    unmatched,
)
from pipeline.errors import UserError


@pytest.fixture(scope="module")
def concordance():
    return read_naics_concordance()


def _pairs(table, source, target):
    return sorted(zip(table[source], table[target], strict=True))


def test_embedded_rows_are_six_digit_with_boolean_primary(concordance):
    assert len(concordance) == 31
    assert concordance["primary"].dtype == bool
    # Every 2017 code has exactly one primary 2012 source.
    assert (concordance.groupby("naics2017")["primary"].sum() == 1).all()


def test_2017_to_2012_merges_splits_and_unchanged(concordance):
    mapped = naics_2017_to_2012(["335220", "211130", "336111", "00", "31-33"], concordance)
    assert _pairs(mapped, "naics2017", "naics2012") == [
        ("00", "00"),
        ("211130", "211111"),
        ("211130", "211112"),
        ("31-33", "31-33"),
        ("335220", "335221"),
        ("335220", "335222"),
        ("335220", "335224"),
        ("335220", "335228"),
        ("336111", "336111"),
    ]
    primary = mapped[mapped["primary"]]
    assert primary.set_index("naics2017")["naics2012"]["211130"] == "211112"
    assert not mapped.set_index("naics2017").loc["336111", "changed"]


def test_2012_to_2017_reverse_direction(concordance):
    mapped = naics_2012_to_2017(["541711", "541712", "517110", "311111"], concordance)
    assert _pairs(mapped, "naics2012", "naics2017") == [
        ("311111", "311111"),
        ("517110", "517311"),
        ("541711", "541713"),
        ("541711", "541714"),
        ("541712", "541713"),
        ("541712", "541715"),
    ]
    # 541711 is the primary source of 541714 but not of 541713.
    flags = mapped.set_index(["naics2012", "naics2017"])["primary"]
    assert flags[("541711", "541714")] and not flags[("541711", "541713")]


def test_higher_levels_follow_by_truncation(concordance):
    table = concordance_all_levels(concordance)
    pairs = set(zip(table["naics2017"], table["naics2012"], strict=True))
    assert {("5173", "5171"), ("5173", "5172"), ("51731", "51711"), ("4523", "4529")} <= pairs
    assert {("45231", "45291"), ("45231", "45299"), ("53228", "53222"), ("21113", "21111")} <= pairs
    # Codes that persist (45411 holds 454110 and the retired 454111-3) are not listed.
    assert not table["naics2017"].isin(["45411", "54171", "2111", "5322"]).any()
    assert naics_2017_to_2012(["45411"], concordance)["naics2012"].tolist() == ["45411"]
    assert sorted(naics_2012_to_2017(["5171"], concordance)["naics2017"]) == ["5173"]


def test_unmatched_report(concordance):
    report = unmatched(["541711", "5171", "336111", "211120"], "2017", concordance)
    assert report.values.tolist() == [
        ["541711", "2017", "retired in 2017", "541713, 541714"],
        ["5171", "2017", "retired in 2017", "5173"],
    ]
    report = unmatched(
        ["211120", "5173", "336111", "999999"], "2012", concordance, known_codes=["336111"]
    )
    assert report[["code", "reason"]].values.tolist() == [
        ["211120", "new in 2017"],
        ["5173", "new in 2017"],
        ["999999", "unknown"],
    ]
    assert unmatched(["336111"], "2017", concordance).empty
    with pytest.raises(UserError, match="vintage '2022'"):
        unmatched(["1"], "2022", concordance)


def test_bad_concordance_file(tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("naics2017,naics2012,primary\n51731,517110,true\n")
    with pytest.raises(UserError, match="line 2, column naics2017"):
        read_naics_concordance(bad)
    bad.write_text("naics2017,naics2012\n517311,517110\n")
    with pytest.raises(UserError, match="missing column"):
        read_naics_concordance(bad)
    assert isinstance(read_naics_concordance(), pd.DataFrame)
