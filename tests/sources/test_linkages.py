"""Linkage readers: the embedded BEA / OEWS tables and user tables in the simple long schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.sources import linkages as L

LINKAGES = Path(__file__).resolve().parents[2] / "data" / "raw" / "linkages"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- embedded tables


@pytest.fixture(scope="module")
def us():
    return L.read_us_linkages(LINKAGES)


def test_bea_tables_keep_their_published_totals(us):
    # README of data/raw/linkages: Make grand total 29,222,798 (source T007 x T008: 29,222,821)
    assert us.make["value"].sum() == 29_222_798
    assert len(us.make) == 5_224
    # intermediate block less the four special commodity rows (50,073 - 406)
    assert len(us.use) == 49_667
    assert not us.use["commodity_code"].isin(["S00300", "S00401", "S00402", "S00900"]).any()
    assert (us.use["value"] < 0).sum() == 8  # BEA adjustments, zeroed when flows are built


def test_bea_crosswalk_is_six_digit_naics_2017(us):
    assert us.crosswalk["industry_code"].str.fullmatch(r"\d{6}").all()
    motor = us.crosswalk[us.crosswalk["industry_code"] == "336111"]
    assert motor["io_code"].tolist() == ["336111"]
    several = us.crosswalk.groupby("industry_code")["io_code"].nunique()
    assert several["531110"] == 2  # owner- and tenant-occupied housing
    assert (
        L.read_bea_crosswalk(LINKAGES / L.BEA_CROSSWALK, "2012")["industry_code"].nunique() > 1000
    )


def test_oews_expands_aggregates_and_sectors_to_prefixes(us):
    sources = us.occupations.drop_duplicates("industry_code").set_index("industry_code")
    assert sources.loc["3251", "source_code"] == "3250A1"  # special aggregate member
    assert sources.loc["3361", "source_code"] == "336100"  # published four-digit industry
    assert sources.loc["33", "source_code"] == "31--34"  # sector range
    assert sources.loc["5132", "source_code"] == "513200"  # NAICS 2022 software publishers
    software = us.occupations[
        (us.occupations["industry_code"] == "5415")
        & (us.occupations["occupation_code"] == "15-1252")
    ]
    assert software["employment"].iloc[0] == 515_410  # README: software developers in 541500
    assert us.occupations["employment"].isna().any()  # suppressed stays unknown, never 0
    assert not us.occupations.duplicated(["industry_code", "occupation_code"]).any()


def test_prefix_map_reads_and_rejects_bad_prefixes(us, tmp_path):
    assert (
        dict(zip(us.prefix_map["from_prefix"], us.prefix_map["to_prefix"], strict=True))["5112"]
        == "5132"
    )
    bad = write(tmp_path / "map.csv", "from_prefix,to_prefix\n5112,51x2\n")
    with pytest.raises(UserError, match="line 2, column to_prefix"):
        L.read_naics_prefix_map(bad)


def test_missing_embedded_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        L.read_us_linkages(tmp_path)


# ---------------------------------------------------------------------------- user tables


def test_input_output_table_csv_and_parquet(tmp_path):
    csv = write(tmp_path / "io.csv", "supplier_code,buyer_code,value\n01,C,5\nC,01,2.5\n")
    flows = L.read_input_output_table(csv)
    assert flows.to_dict("records") == [
        {"supplier_code": "01", "buyer_code": "C", "value": 5.0},
        {"supplier_code": "C", "buyer_code": "01", "value": 2.5},
    ]
    flows.to_parquet(tmp_path / "io.parquet")
    pd.testing.assert_frame_equal(L.read_input_output_table(tmp_path / "io.parquet"), flows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("supplier,buyer_code,value\nA,B,1\n", "missing column\\(s\\) supplier_code"),
        ("supplier_code,buyer_code,value\nA,B,x\n", "line 2, column value: 'x'"),
        ("supplier_code,buyer_code,value\nA,B,1\nA,C,-2\n", "line 3, column value"),
        ("supplier_code,buyer_code,value\nA,B,\n", "line 2, column value"),
        ("supplier_code,buyer_code,value\nA,,1\n", "line 2, column buyer_code: empty code"),
        ("supplier_code,buyer_code,value\nA,B,1\nA,B,2\n", "line 3: duplicate row"),
    ],
)
def test_input_output_table_errors_name_the_line_and_column(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        L.read_input_output_table(write(tmp_path / "io.csv", text))


def test_occupation_table_totals_and_suppressed_cells(tmp_path):
    path = write(
        tmp_path / "occ.csv",
        "industry_code,occupation_code,employment\nC,eng,10\nC,ops,\nG,eng,4\nG,ops,6\n",
    )
    occupations = L.read_occupation_table(path)
    assert occupations["employment"].isna().tolist() == [False, True, False, False]
    assert occupations["industry_total_employment"].tolist() == [10.0, 10.0, 10.0, 10.0]
    with_total = write(
        tmp_path / "occ2.csv",
        "industry_code,occupation_code,employment,industry_total_employment\nC,eng,10,30\n",
    )
    assert L.read_occupation_table(with_total)["industry_total_employment"].tolist() == [30.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("industry_code,occupation,employment\nC,eng,1\n", "occupation_code"),
        ("industry_code,occupation_code,employment\nC,eng,-1\n", "line 2, column employment"),
        ("industry_code,occupation_code,employment\nC,eng,1\nC,eng,2\n", "duplicate row"),
    ],
)
def test_occupation_table_errors(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        L.read_occupation_table(write(tmp_path / "occ.csv", text))


def test_unreadable_file_is_a_user_error(tmp_path):
    path = tmp_path / "io.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(UserError, match="not a readable"):
        L.read_input_output_table(path)
    with pytest.raises(UserError, match="not found"):
        L.read_occupation_table(tmp_path / "absent.csv")
