"""Readers of official file layouts: CBP county file and API JSON, QCEW CSV, Eurostat TSV.

Fixtures (tests/data/official/README.md) follow the published record layouts; values marked
real there were copied from the published files.
"""

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classifications.nace import nace_level
from pipeline.errors import UserError
from pipeline.sources.cbp_files import (
    cbp_naics_vintage,
    county_file_naics,
    read_cbp_api_json,
    read_cbp_county_file,
)
from pipeline.sources.eurostat import (
    EurostatTable,
    read_eurostat_tsv,
    split_cells,
    to_canonical,
)
from pipeline.sources.qcew_files import qcew_region_id, read_qcew_csv
from pipeline.sources.schema import check_employment

OFFICIAL = Path(__file__).resolve().parents[1] / "data" / "official"


def _row(table: pd.DataFrame, region: str, industry: str, year: int | None = None) -> pd.Series:
    selected = table[(table["region_id"] == region) & (table["industry_code"] == industry)]
    if year is not None:
        selected = selected[selected["year"] == year]
    assert len(selected) == 1, selected
    return selected.iloc[0]


# ------------------------------------------------------------------ CBP complete county file


@pytest.mark.parametrize(
    ("county_code", "canonical"),
    [
        ("------", "00"),
        ("31----", "31-33"),
        ("44----", "44-45"),
        ("48----", "48-49"),
        ("42----", "42"),
        ("336///", "336"),
        ("3361//", "3361"),
        ("33611/", "33611"),
        ("336111", "336111"),
    ],
)
def test_county_file_naics_notation(county_code, canonical):
    assert county_file_naics(pd.Series([county_code])).iloc[0] == canonical


def test_pre_2017_county_file_withheld_cells_are_null_not_zero():
    employment, size_classes, ranges = read_cbp_county_file(OFFICIAL / "cbp12co.txt")
    check_employment(employment, "cbp12co")
    assert set(employment["year"]) == {2012}
    assert set(employment["classification"]) == {"naics2012"}
    assert "01999" not in set(employment["region_id"])  # statewide pseudo-county dropped
    withheld = employment[employment["employment_flag"] == "suppressed"]
    assert sorted(zip(withheld["region_id"], withheld["industry_code"], strict=True)) == [
        ("01001", "336"),
        ("01001", "3361"),
        ("01001", "3363"),
        ("01001", "44-45"),
        ("01003", "54"),
    ]
    assert withheld["employment"].isna().all()
    assert withheld["establishments"].tolist() == [8.0, 2.0, 6.0, 200.0, 15.0]
    total = _row(employment, "01001", "00")
    assert (total["employment"], total["establishments"], total["industry_level"]) == (
        10000.0,
        500.0,
        0,
    )
    manufacturing = _row(employment, "01001", "31-33")
    assert (manufacturing["employment"], manufacturing["industry_level"]) == (3000.0, 2)
    assert _row(employment, "01001", "3361")["industry_level"] == 4
    # Letters H, G, F, H, B: 2,500-4,999 / 1,000-2,499 / 500-999 / 2,500-4,999 / 20-99.
    assert ranges.set_index(["region_id", "industry_code"]).loc[
        ("01001", "3363"), ["employment_lower", "employment_upper"]
    ].tolist() == [500.0, 999.0]
    assert len(ranges) == 5
    assert ranges["employment_upper"].max() == 4999.0


def test_pre_2017_size_classes_add_up_to_establishments():
    employment, size_classes, _ = read_cbp_county_file(OFFICIAL / "cbp12co.txt")
    assert (size_classes["establishments"] != 0).all()  # zero counts are left out
    base = size_classes[~size_classes["size_class"].str.startswith("n1000_")]
    per_cell = base.groupby(["region_id", "industry_code"])["establishments"].sum()
    establishments = employment.set_index(["region_id", "industry_code"])["establishments"]
    pd.testing.assert_series_equal(
        per_cell.sort_index(), establishments.sort_index(), check_names=False
    )
    classes_336 = size_classes[
        (size_classes["region_id"] == "01001") & (size_classes["industry_code"] == "336")
    ].set_index("size_class")["establishments"]
    assert classes_336.to_dict() == {
        "n1000": 1.0,
        "n1000_1": 1.0,
        "n10_19": 2.0,
        "n1_4": 1.0,
        "n20_49": 2.0,
        "n250_499": 1.0,
        "n5_9": 1.0,
    }


def test_2021_county_file_real_rows_and_unpublished_size_classes():
    employment, size_classes, ranges = read_cbp_county_file(OFFICIAL / "cbp21co.txt")
    check_employment(employment, "cbp21co")
    assert set(employment["classification"]) == {"naics2017"}
    assert ranges.empty  # no range letters after 2017
    # The first lines of the published cbp21co.txt (Autauga County, AL).
    total = _row(employment, "01001", "00")
    assert (total["employment"], total["establishments"]) == (11216.0, 924.0)
    assert _row(employment, "01001", "113310")["employment"] == 68.0
    assert _row(employment, "01001", "11331")["industry_level"] == 5
    noise_s = _row(employment, "01001", "3363")
    assert np.isnan(noise_s["employment"]) and noise_s["employment_flag"] == "suppressed"
    total_classes = size_classes[
        (size_classes["region_id"] == "01001") & (size_classes["industry_code"] == "00")
    ].set_index("size_class")["establishments"]
    assert total_classes["n<5"] == 442.0 and total_classes["n100_249"] == 8.0
    assert total_classes[["n250_499", "n1000", "n1000_4"]].isna().all()  # 'N' in the file


def test_county_file_keeps_statewide_on_request_and_reads_zip(tmp_path):
    with_statewide = read_cbp_county_file(OFFICIAL / "cbp21co.txt", keep_statewide=True)
    assert "01999" in set(with_statewide.employment["region_id"])
    archive = tmp_path / "cbp12co.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(OFFICIAL / "cbp12co.txt", "cbp12co.txt")
    from_zip = read_cbp_county_file(archive)
    from_text = read_cbp_county_file(OFFICIAL / "cbp12co.txt")
    pd.testing.assert_frame_equal(from_zip.employment, from_text.employment)


def test_county_file_year_from_argument_and_error_without_one(tmp_path):
    renamed = tmp_path / "county.txt"
    shutil.copy(OFFICIAL / "cbp12co.txt", renamed)
    with pytest.raises(UserError, match="year"):
        read_cbp_county_file(renamed)
    assert set(read_cbp_county_file(renamed, year=2012).employment["year"]) == {2012}
    old = tmp_path / "cbp99co.txt"
    shutil.copy(OFFICIAL / "cbp12co.txt", old)
    assert set(read_cbp_county_file(old).employment["classification"]) == {"naics1997"}


@pytest.mark.parametrize(
    ("needle", "replacement", "message"),
    [
        ('"336///"', '"336XXX"', r"line 5, column naics"),
        ('"3363//","F"', '"3363//","Q"', r"line 7, column empflag: unknown flag 'Q'"),
        ('"42----","","G",2000', '"42----","","G",2x00', r"line 8, column emp"),
    ],
)
def test_county_file_errors_name_line_and_column(tmp_path, needle, replacement, message):
    text = (OFFICIAL / "cbp12co.txt").read_text()
    assert needle in text
    damaged = tmp_path / "cbp12co.txt"
    damaged.write_text(text.replace(needle, replacement))
    with pytest.raises(UserError, match=message):
        read_cbp_county_file(damaged)


def test_county_file_missing_columns(tmp_path):
    wrong = tmp_path / "cbp12co.txt"
    wrong.write_text("state,county,emp\n01,001,5\n")
    with pytest.raises(UserError, match="missing column"):
        read_cbp_county_file(wrong)


@pytest.mark.parametrize(
    ("year", "vintage"), [(2021, "naics2017"), (2016, "naics2012"), (2008, "naics2007")]
)
def test_cbp_naics_vintage(year, vintage):
    assert cbp_naics_vintage(year) == vintage


def test_cbp_sic_years_are_refused():
    with pytest.raises(UserError, match="SIC"):
        cbp_naics_vintage(1995)


# ------------------------------------------------------------------ CBP API JSON


def test_api_2019_county_response_with_echoed_predicate_column():
    employment = read_cbp_api_json(OFFICIAL / "cbp_api_2019_county.json", 2019)
    check_employment(employment, "api")
    aerospace = _row(employment, "53061", "3364")
    assert (aerospace["employment"], aerospace["establishments"]) == (37608.0, 31.0)
    assert _row(employment, "53061", "31-33")["industry_level"] == 2
    assert _row(employment, "53033", "00")["employment"] == 1273043.0
    assert set(employment["employment_flag"]) == {"reported"}
    assert set(employment["classification"]) == {"naics2017"}


def test_api_2012_range_letters_are_suppressed_and_revised_is_not():
    employment = read_cbp_api_json(OFFICIAL / "cbp_api_2012_county.json", 2012)
    flags = employment.set_index(["region_id", "industry_code"])["employment_flag"]
    assert flags[("01001", "336")] == "suppressed"
    assert flags[("01001", "44-45")] == "suppressed"
    assert flags[("01003", "54")] == "suppressed"
    assert flags[("01001", "42")] == "reported"  # 'r' = revised
    assert _row(employment, "01001", "42")["employment"] == 2000.0
    assert employment.loc[employment["employment_flag"] == "suppressed", "employment"].isna().all()
    assert set(employment["classification"]) == {"naics2012"}


def _write_json(path: Path, rows: list) -> Path:
    path.write_text(json.dumps(rows))
    return path


def test_api_keeps_all_size_rows_only_and_reads_cbsa(tmp_path):
    cbsa = "metropolitan statistical area/micropolitan statistical area"
    rows = [
        ["NAICS2017", "EMP", "ESTAB", "EMPSZES", cbsa],
        ["3364", "37608", "31", "001", "42660"],
        ["3364", "0", "5", "212", "42660"],
    ]
    employment = read_cbp_api_json(_write_json(tmp_path / "m.json", rows), 2019)
    assert employment[["region_id", "employment"]].values.tolist() == [["42660", 37608.0]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["NAICS2017", "EMP", "ESTAB", "NAICS2017", "state"], ["00", "5", "1", "11", "01"]],
            "disagree",
        ),
        ([["EMP", "ESTAB", "state"], ["5", "1", "01"]], "NAICS code column"),
        ([["NAICS2017", "EMP", "state"], ["00", "5", "01"]], "ESTAB"),
        ([["NAICS2017", "EMP", "ESTAB"], ["00", "5", "1"]], "geography"),
        ([["NAICS2017", "EMP", "ESTAB", "state"], ["00", "5", "01"]], "row 2"),
    ],
)
def test_api_errors(tmp_path, rows, message):
    with pytest.raises(UserError, match=message):
        read_cbp_api_json(_write_json(tmp_path / "bad.json", rows), 2019)


def test_api_not_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("<html>Missing Key</html>")
    with pytest.raises(UserError, match="not valid JSON"):
        read_cbp_api_json(bad, 2019)


# ------------------------------------------------------------------ QCEW


def test_qcew_area_slice_private_real_values():
    employment = read_qcew_csv(OFFICIAL / "qcew_2019_annual_area_53000.csv")
    check_employment(employment, "qcew")
    # BLS QCEW 2019 annual averages, Washington, private ownership.
    assert _row(employment, "53", "00")["employment"] == 2871805.0
    assert _row(employment, "53", "3364")["employment"] == 88483.0
    aircraft = _row(employment, "53", "336411")
    assert np.isnan(aircraft["employment"]) and aircraft["establishments"] == 46.0
    assert aircraft["employment_flag"] == "suppressed"
    # Domain 101 and supersector 1012 are BLS aggregates, not NAICS codes.
    assert not {"101", "1012", "10"} & set(employment["industry_code"])
    levels = employment.set_index("industry_code")["industry_level"]
    assert levels[["00", "31-33", "336", "3364", "33641", "336411"]].tolist() == [0, 2, 3, 4, 5, 6]
    assert set(employment["classification"]) == {"naics2017"}


def test_qcew_total_covered_ownership_has_the_total_only():
    employment = read_qcew_csv(OFFICIAL / "qcew_2019_annual_area_53000.csv", ownership="0")
    assert employment[["region_id", "industry_code", "employment"]].values.tolist() == [
        ["53", "00", 3439158.0]
    ]


def test_qcew_by_area_file_with_titles_and_old_establishment_column():
    employment = read_qcew_csv(OFFICIAL / "qcew_2019_annual_by_area_53061.csv")
    assert employment["industry_code"].tolist() == [
        "00",
        "31-33",
        "336",
        "3364",
        "336411",
        "336413",
    ]
    assert _row(employment, "53061", "00")["establishments"] == 24150.0
    assert _row(employment, "53061", "336411")["employment_flag"] == "suppressed"


def test_qcew_singlefile_area_codes_and_size_rows():
    employment = read_qcew_csv(OFFICIAL / "qcew_2019_annual_singlefile_sample.csv")
    assert sorted(employment["region_id"]) == ["42660", "53", "53061", "CS500", "US"]
    assert _row(employment, "US", "3364")["employment"] == 520000.0  # size_code 1 row left out


def test_qcew_region_ids():
    areas = pd.Series(["US000", "53000", "C4266", "53061", "CS500", "01999"])
    assert qcew_region_id(areas).tolist() == ["US", "53", "42660", "53061", "CS500", "01999"]


def test_qcew_reads_a_zip_holding_one_csv(tmp_path):
    archive = tmp_path / "2019_annual_area.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(OFFICIAL / "qcew_2019_annual_area_53000.csv", "53000.csv")
    pd.testing.assert_frame_equal(
        read_qcew_csv(archive), read_qcew_csv(OFFICIAL / "qcew_2019_annual_area_53000.csv")
    )


def test_qcew_errors(tmp_path):
    with pytest.raises(UserError, match="ownership '7'"):
        read_qcew_csv(OFFICIAL / "qcew_2019_annual_area_53000.csv", ownership="7")
    text = (OFFICIAL / "qcew_2019_annual_singlefile_sample.csv").read_text()
    quarterly = tmp_path / "q.csv"
    quarterly.write_text(text.replace('"2019","A"', '"2019","1"', 1))
    with pytest.raises(UserError, match="line 2, column qtr"):
        read_qcew_csv(quarterly)
    duplicated = tmp_path / "d.csv"
    duplicated.write_text(text + text.splitlines()[-1] + "\n")
    with pytest.raises(UserError, match="appears twice"):
        read_qcew_csv(duplicated)
    wrong = tmp_path / "w.csv"
    wrong.write_text("area_fips,own_code\n53000,5\n")
    with pytest.raises(UserError, match="missing column"):
        read_qcew_csv(wrong)


# ------------------------------------------------------------------ Eurostat


@pytest.mark.parametrize(
    ("cell", "value", "flag"),
    [
        ("1234.5", 1234.5, ""),
        ("1234.5 ", 1234.5, ""),
        ("12.3 p", 12.3, "p"),
        ("5 bu", 5.0, "bu"),
        (":", np.nan, ""),
        (": ", np.nan, ""),
        (": c", np.nan, "c"),
        ("12 3", np.nan, "?"),
        ("abc", np.nan, "?"),
    ],
)
def test_split_cells(cell, value, flag):
    values, flags = split_cells(pd.Series([cell]))
    np.testing.assert_equal(values.iloc[0], value)
    assert flags.iloc[0] == flag


def test_read_api_tsv_long_table():
    long = read_eurostat_tsv(OFFICIAL / "lfst_r_lfe2en2.tsv")
    assert list(long.columns) == [
        "freq", "unit", "sex", "age", "nace_r2", "geo", "period", "value", "flag",
    ]  # fmt: skip
    assert len(long) == 12 * 3
    assert sorted(long["period"].unique()) == ["2018", "2019", "2020"]
    cells = long.set_index(["nace_r2", "geo", "sex", "age", "period"])
    assert cells.loc[("C", "DE11", "T", "Y_GE15", "2019"), "value"] == 793.5
    assert cells.loc[("J", "DE11", "T", "Y_GE15", "2020"), "flag"] == "bp"
    confidential = cells.loc[("C", "DE12", "T", "Y_GE15", "2020")]
    assert np.isnan(confidential["value"]) and confidential["flag"] == "c"


def test_read_gzip_is_detected_from_content(tmp_path):
    plain = tmp_path / "sbs.tsv"
    plain.write_bytes(gzip.decompress((OFFICIAL / "sbs_r_nuts06_r2.tsv.gz").read_bytes()))
    from_gzip = read_eurostat_tsv(OFFICIAL / "sbs_r_nuts06_r2.tsv.gz")
    pd.testing.assert_frame_equal(from_gzip, read_eurostat_tsv(plain))
    assert list(from_gzip.columns[:3]) == ["indic_sb", "nace_r2", "geo"]


def test_read_errors(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("unit,geo\\time\t2019 \nTHS,DE11\t12 3\n")
    with pytest.raises(UserError, match=r"period 2019, key THS,DE11: cell '12 3'"):
        read_eurostat_tsv(bad)
    no_key = tmp_path / "nokey.tsv"
    no_key.write_text("a\tb\n1\t2\n")
    with pytest.raises(UserError, match="not a Eurostat key"):
        read_eurostat_tsv(no_key)
    with pytest.raises(UserError, match="not found"):
        read_eurostat_tsv(tmp_path / "missing.tsv")


def test_lfs_regional_employment_to_canonical():
    employment = to_canonical(read_eurostat_tsv(OFFICIAL / "lfst_r_lfe2en2.tsv"), "lfst_r_lfe2en2")
    check_employment(employment, "lfst")
    # NUTS 2 only (no DE, EU27_2020, extra-regio DEZZ); no aggregate B-E; TOTAL -> '00'.
    assert set(employment["region_id"]) == {"DE11", "DE12"}
    assert set(employment["industry_code"]) == {"00", "C", "J"}
    assert _row(employment, "DE11", "C", 2019)["employment"] == 793500.0
    assert _row(employment, "DE11", "00", 2018)["employment"] == pytest.approx(2501300.0)
    withheld = _row(employment, "DE12", "C", 2020)
    assert np.isnan(withheld["employment"]) and withheld["employment_flag"] == "suppressed"
    # ': u' (not available, low reliability) is not a suppressed cell: dropped by default.
    assert employment[(employment["region_id"] == "DE12") & (employment["year"] == 2019)][
        "industry_code"
    ].tolist() == ["00", "C"]
    assert employment["establishments"].isna().all()
    assert set(employment["classification"]) == {"nace_r2"}


def test_lfs_options_keep_unavailable_aggregates_and_all_levels():
    long = read_eurostat_tsv(OFFICIAL / "lfst_r_lfe2en2.tsv")
    kept = to_canonical(long, "lfst_r_lfe2en2", keep_unavailable=True, keep_aggregates=True)
    assert _row(kept, "DE12", "J", 2019)["employment_flag"] == "suppressed"
    assert _row(kept, "DE11", "B-E", 2019)["industry_level"] == 1
    everywhere = to_canonical(long, "lfst_r_lfe2en2", nuts_level=None)
    assert {"DE", "EU27_2020"} <= set(everywhere["region_id"])
    assert "DEZZ" not in set(everywhere["region_id"])


def test_old_bulk_unit_code_is_accepted(tmp_path):
    old = tmp_path / "lfst.tsv"
    old.write_text(
        "unit,sex,age,nace_r2,geo\\time\t2012 \nTHS,T,Y_GE15,C,DE11\t700.5 \n"
        "THS,T,Y_GE15,TOTAL,DE11\t2400.0 \n"
    )
    employment = to_canonical(read_eurostat_tsv(old), "lfst_r_lfe2en2")
    assert _row(employment, "DE11", "C", 2012)["employment"] == pytest.approx(700500.0)


def test_sbs_employment_and_local_units():
    employment = to_canonical(
        read_eurostat_tsv(OFFICIAL / "sbs_r_nuts06_r2.tsv.gz"), "sbs_r_nuts06_r2"
    )
    check_employment(employment, "sbs")
    c10 = _row(employment, "DE11", "C10", 2018)
    assert (c10["employment"], c10["establishments"], c10["industry_level"]) == (
        61234.0,
        1450.0,
        2,
    )
    assert _row(employment, "DE11", "C", 2017)["employment"] == 776543.0  # flag e kept
    both_confidential = _row(employment, "DE12", "C26", 2018)
    assert np.isnan(both_confidential["employment"]) and np.isnan(
        both_confidential["establishments"]
    )
    assert _row(employment, "DE12", "C26", 2017)["establishments"] == 201.0
    assert "B-N_S95_X_K" not in set(employment["industry_code"])


def test_to_canonical_errors():
    long = read_eurostat_tsv(OFFICIAL / "lfst_r_lfe2en2.tsv")
    with pytest.raises(UserError, match="no preset"):
        to_canonical(long, "nama_10r_3empers")
    loose = EurostatTable(employment={"unit": "THS_PER"})
    with pytest.raises(UserError, match="also select sex, age"):
        to_canonical(long, table=loose)
    with pytest.raises(UserError, match="sex has none of X"):
        to_canonical(long, table=EurostatTable(employment={"sex": "X"}))
    with pytest.raises(UserError, match="no dimension 'indic_sb'"):
        to_canonical(long, table=EurostatTable(employment={"indic_sb": "V16110"}))


def test_nace_levels():
    codes = pd.Series(["TOTAL", "C", "C10", "C101", "C1011", "B-E"])
    assert nace_level(codes).tolist() == [0, 1, 2, 3, 4, 1]


def test_county_file_upper_case_header(tmp_path):
    lines = (OFFICIAL / "cbp12co.txt").read_text().splitlines()
    upper = tmp_path / "cbp12co.txt"
    upper.write_text("\n".join([lines[0].upper(), *lines[1:]]) + "\n")
    pd.testing.assert_frame_equal(
        read_cbp_county_file(upper).employment,
        read_cbp_county_file(OFFICIAL / "cbp12co.txt").employment,
    )


def test_qcew_damaged_count_names_line_and_column(tmp_path):
    text = (OFFICIAL / "qcew_2019_annual_singlefile_sample.csv").read_text()
    damaged = tmp_path / "d.csv"
    damaged.write_text(text.replace("240,90000", "240,9O000"))
    with pytest.raises(UserError, match="line 5, column annual_avg_emplvl: '9O000'"):
        read_qcew_csv(damaged)
