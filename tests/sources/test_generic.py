"""The generic ("bring your own data") reader: schema, codes, totals, boundaries, fuzzing."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.classifications.hierarchy import (
    ancestor_chain,
    derived_levels,
    nearest_present_parent,
    normalise_codes,
)
from pipeline.errors import UserError
from pipeline.geography.boundaries import read_boundaries
from pipeline.sources.custom_classification import read_hierarchy, read_technology_table
from pipeline.sources.generic import (
    drop_zero_total_regions,
    ingest_generic,
    ingest_generic_folder,
    read_generic,
)
from pipeline.sources.inspection import inspect_employment
from pipeline.sources.raw_schema import InputWarning
from pipeline.sources.schema import EMPLOYMENT_COLUMNS, EMPLOYMENT_SCHEMA

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good"


def write_csv(folder: Path, text: str, name: str = "employment.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def cell(table: pd.DataFrame, region: str, code: str, year: int, column: str = "employment"):
    match = table[
        (table["region_id"] == region) & (table["industry_code"] == code) & (table["year"] == year)
    ]
    assert len(match) == 1
    return match[column].iloc[0]


# --- the good files -------------------------------------------------------------------


def test_good_csv_becomes_the_canonical_table():
    employment = read_generic(GOOD / "employment.csv", "naics2017")
    EMPLOYMENT_SCHEMA.validate(employment)
    assert list(employment.columns) == EMPLOYMENT_COLUMNS
    assert len(employment) == 30
    assert sorted(employment["region_id"].unique()) == ["001", "002", "003"]  # zeros kept
    levels = employment.drop_duplicates("industry_code").set_index("industry_code")
    assert levels["industry_level"].to_dict() == {
        "00": 0,
        "31-33": 2,
        "311": 3,
        "54": 2,
        "5415": 4,
    }
    assert cell(employment, "001", "31-33", 2019) == 300.0
    assert cell(employment, "002", "54", 2020, "establishments") == 72.0
    assert np.isnan(cell(employment, "002", "5415", 2019))
    assert cell(employment, "002", "5415", 2019, "employment_flag") == "suppressed"
    assert cell(employment, "001", "5415", 2020, "employment_flag") == "imputed"
    assert set(employment["classification"]) == {"naics2017"}


def test_parquet_without_totals_gets_the_sum_of_its_top_level_industries():
    check = inspect_employment(GOOD / "employment_no_totals.parquet", "naics2017")
    employment = check.employment
    assert check.derived_totals == 6
    assert "6 of 6 region-years have no total row" in check.notes[0]
    # Top level = 31-33 and 54 (311 and 5415 sit below them); worked by hand from the CSV.
    expected = {
        ("001", 2019): (300 + 200, 12 + 30),
        ("002", 2019): (200 + 600, 9 + 70),
        ("003", 2019): (50 + 40, 4 + 6),
        ("001", 2020): (310 + 220, 12 + 31),
        ("002", 2020): (190 + 650, 9 + 72),
        ("003", 2020): (55 + 45, 4 + 6),
    }
    for (region, year), (jobs, units) in expected.items():
        assert cell(employment, region, "00", year) == jobs
        assert cell(employment, region, "00", year, "establishments") == units
        assert cell(employment, region, "00", year, "employment_flag") == "imputed"
        assert cell(employment, region, "00", year, "industry_level") == 0


def test_csv_and_parquet_give_the_same_industry_rows():
    from_csv = read_generic(GOOD / "employment.csv", "naics2017")
    from_parquet = read_generic(GOOD / "employment_no_totals.parquet", "naics2017")
    industries_csv = from_csv[from_csv["industry_level"] > 0].reset_index(drop=True)
    industries_parquet = from_parquet[from_parquet["industry_level"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(industries_csv, industries_parquet)


def test_boundaries_and_contiguity_of_three_boxes():
    regions = read_boundaries(GOOD / "regions.geojson")
    assert regions.crs.to_epsg() == 4326
    assert regions["region_id"].tolist() == ["001", "002", "003"]
    assert regions["name"].tolist() == ["West", "Centre", "East"]
    ingest = ingest_generic(read_generic(GOOD / "employment.csv", "naics2017"), regions)
    assert ingest.weights.values.tolist() == [
        ["001", "002", 1.0],
        ["002", "001", 1.0],
        ["002", "003", 1.0],
        ["003", "002", 1.0],
    ]
    assert len(ingest.employment) == 30


def test_projected_boundaries_are_reprojected_to_lon_lat():
    regions = read_boundaries(GOOD / "regions_epsg3035.parquet")
    assert regions.crs.to_epsg() == 4326
    west, south, east, north = regions.total_bounds
    assert (west, south, east, north) == pytest.approx((10, 50, 13, 51), abs=1e-6)


def test_regions_without_boundaries_are_kept_without_geometry():
    employment = read_generic(GOOD / "employment.csv", "naics2017")
    regions = read_boundaries(GOOD / "regions.geojson")
    ingest = ingest_generic(employment, regions[regions["region_id"] != "003"])
    unknown = ingest.regions.set_index("region_id").loc["003"]
    assert unknown["name"] == "003 (boundary unknown)"
    assert unknown["geometry"] is None
    assert set(ingest.weights["focal"]) == {"001", "002"}
    assert ingest_generic(employment).weights.empty


def test_other_vector_formats_and_a_shapefile_without_prj(tmp_path):
    boxes = read_boundaries(GOOD / "regions.geojson")
    boxes.to_file(tmp_path / "regions.gpkg", driver="GPKG")
    from_gpkg = read_boundaries(tmp_path / "regions.gpkg")
    assert from_gpkg["region_id"].tolist() == ["001", "002", "003"]
    with warnings.catch_warnings():  # pyogrio warns that the Shapefile gets no .prj
        warnings.simplefilter("ignore", UserWarning)
        boxes.set_crs(None, allow_override=True).to_file(tmp_path / "boxes.shp")
    assert not (tmp_path / "boxes.prj").exists()
    with pytest.warns(InputWarning, match=r"boxes.shp: no coordinate reference system.*assumed"):
        from_shapefile = read_boundaries(tmp_path / "boxes.shp")
    assert from_shapefile.crs.to_epsg() == 4326
    assert from_shapefile.geom_equals(boxes.geometry).all()


def test_points_are_not_boundaries(tmp_path):
    points = read_boundaries(GOOD / "regions.geojson")
    points["geometry"] = gpd.points_from_xy([10.5, 11.5, 12.5], [50.5, 50.5, 50.5])
    points.to_file(tmp_path / "points.geojson", driver="GeoJSON")
    with pytest.raises(UserError, match=r"points.geojson: feature 1 \(region '001'\) is a Point"):
        read_boundaries(tmp_path / "points.geojson")


def test_a_dataset_folder_in_the_generic_layout(tmp_path):
    (tmp_path / "employment.csv").write_bytes((GOOD / "employment.csv").read_bytes())
    (tmp_path / "regions.geojson").write_bytes((GOOD / "regions.geojson").read_bytes())
    ingest = ingest_generic_folder(tmp_path, "naics2017")
    assert len(ingest.employment) == 30
    assert len(ingest.regions) == 3 and len(ingest.weights) == 4
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="empty: holds no employment.parquet or employment.csv"):
        ingest_generic_folder(empty)


# --- codes, levels, hierarchy ---------------------------------------------------------


def test_nace_and_okved_codes_are_normalised():
    codes = pd.Series(["C10", "10.11", "c", "TOTAL", "_t", " 26 "])
    normalised = normalise_codes(codes, "nace_r2")
    assert normalised.tolist() == ["10", "1011", "C", "00", "00", "26"]
    assert derived_levels(normalised, "nace_r2").tolist() == [2, 4, 1, 0, 0, 2]
    okved = normalise_codes(pd.Series(["01.11.1", "01.11.11"]), "okved2")
    assert okved.tolist() == ["01111", "011111"]
    assert derived_levels(okved, "okved2").tolist() == [5, 6]


def test_ancestor_chains():
    assert ancestor_chain("3111", "naics2017") == ["311", "31", "31-33", "00"]
    assert ancestor_chain("5415", "naics2017") == ["541", "54", "00"]
    assert ancestor_chain("31-33", "naics2017") == ["00"]
    assert ancestor_chain("00", "naics2017") == []
    assert ancestor_chain("2611", "nace_r2", divisions={"26": "C"}) == [
        "261",
        "26",
        "C",
        "00",
    ]
    assert ancestor_chain("A1", "custom", parents={"A1": "A", "A": "00"}) == ["A", "00"]


def test_nearest_present_parent_skips_missing_levels():
    table = pd.DataFrame(
        {
            "region_id": ["R", "R", "R", "S"],
            "year": 2019,
            "industry_code": ["31-33", "3111", "54", "3111"],
        }
    )
    parents = nearest_present_parent(table, "naics2017")
    # 3111 in R: 311 and 31 absent, so its parent is the range sector; S has no ancestor.
    assert parents.iloc[1] == "31-33"
    assert parents.isna().tolist() == [True, False, True, True]


def test_nace_file_with_a_classification_column(tmp_path):
    path = write_csv(
        tmp_path,
        "region_id,industry_code,year,employment,classification\n"
        "AT11,TOTAL,2019,100,NACE Rev. 2\nAT11,C,2019,40,NACE Rev. 2\n"
        "AT11,C26,2019,10,NACE Rev. 2\nAT11,J,2019,20,NACE Rev. 2\n",
    )
    employment = read_generic(path)
    assert set(employment["classification"]) == {"nace_r2"}
    assert employment.set_index("industry_code")["industry_level"].to_dict() == {
        "00": 0,
        "C": 1,
        "26": 2,
        "J": 1,
    }
    with pytest.raises(UserError, match=r"employment.csv: column 'classification' says nace_r2"):
        read_generic(path, "naics2017")


def test_no_classification_names_the_likely_one(tmp_path):
    path = write_csv(
        tmp_path, "region_id,industry_code,year,employment\nR,00,2019,5\nR,54,2019,2\n"
    )
    with pytest.raises(UserError, match=r"no classification given.*look like naics2017"):
        read_generic(path)
    with pytest.raises(UserError, match=r"--classification 'sic' is not known"):
        read_generic(path, "sic")


def test_custom_classification_with_a_hierarchy(tmp_path):
    hierarchy = write_csv(
        tmp_path,
        "industry_code,parent_code,level\nENERGY,,1\nOIL,ENERGY,2\nGAS,ENERGY,2\nFARM,,1\n",
        "hierarchy.csv",
    )
    path = write_csv(
        tmp_path,
        "region_id,industry_code,year,employment\n"
        "R1,ENERGY,2020,50\nR1,OIL,2020,30\nR1,GAS,2020,15\nR1,FARM,2020,7\n",
    )
    employment = read_generic(path, "custom", hierarchy)
    assert cell(employment, "R1", "00", 2020) == 57.0  # ENERGY + FARM, the top level
    assert cell(employment, "R1", "OIL", 2020, "industry_level") == 2
    with pytest.raises(UserError, match="needs a hierarchy table"):
        read_generic(path, "custom")
    unknown = write_csv(
        tmp_path, "region_id,industry_code,year,employment\nR1,COAL,2020,5\n", "u.csv"
    )
    with pytest.raises(
        UserError,
        match=r"u.csv: column 'industry_code', row 2: 'COAL' is not a custom code.*hierarchy",
    ):
        read_generic(unknown, "custom", hierarchy)
    technology = write_csv(tmp_path, "industry_code,category\nOIL,high\n", "tech.csv")
    assert read_technology_table(technology, read_hierarchy(hierarchy)["industry_code"]) == ["OIL"]


def test_hierarchy_errors_name_the_row(tmp_path):
    orphan = write_csv(tmp_path, "industry_code,parent_code,level\nA,,1\nA1,B,2\n", "h.csv")
    with pytest.raises(UserError, match=r"h.csv: column 'parent_code', row 3: 'B' is not"):
        read_hierarchy(orphan)
    deep = write_csv(tmp_path, "industry_code,parent_code,level\nA,,9\n", "d.csv")
    with pytest.raises(UserError, match=r"d.csv: column 'level', row 2: '9' is not a level"):
        read_hierarchy(deep)


# --- flags, row numbers, zero totals --------------------------------------------------


def test_flags_and_empty_cells(tmp_path):
    path = write_csv(
        tmp_path,
        "region_id,industry_code,year,employment,employment_flag\n"
        "R,00,2019,100,\nR,54,2019,0,suppressed\nR,311,2019,,\n",
    )
    with pytest.warns(InputWarning) as caught:
        employment = read_generic(path, "naics2017")
    messages = [str(warning.message) for warning in caught]
    assert any("row 3: the cell is flagged suppressed but holds 0" in m for m in messages)
    assert any("row 4: empty but not flagged suppressed" in m for m in messages)
    assert cell(employment, "R", "00", 2019, "employment_flag") == "reported"
    for code in ("54", "311"):
        assert np.isnan(cell(employment, "R", code, 2019))
        assert cell(employment, "R", code, 2019, "employment_flag") == "suppressed"


def test_row_numbers_count_blank_lines_as_the_user_sees_them(tmp_path):
    path = write_csv(
        tmp_path,
        "region_id,industry_code,year,employment\nR,00,2019,100\n\nR,54,2019,-3\n",
    )
    with pytest.raises(UserError, match=r"column 'employment', row 4: -3 is negative"):
        read_generic(path, "naics2017")


def test_several_errors_are_counted_in_the_one_line(tmp_path):
    path = write_csv(
        tmp_path,
        "region_id,industry_code,year,employment\nR,00,20x9,100\nR,54,2019,-3\nR,55,2019,-1\n",
    )
    with pytest.raises(UserError) as raised:
        read_generic(path, "naics2017")
    message = str(raised.value)
    assert "\n" not in message
    assert "row 2: '20x9' is not a whole-number year" in message
    assert "[1 of 2 errors" in message


def test_zero_total_region_years_are_dropped_from_the_ingest():
    table = pd.DataFrame(
        {
            "region_id": ["A", "A", "B", "B", "B", "B"],
            "industry_code": ["00", "54", "00", "54", "00", "54"],
            "industry_level": [0, 2, 0, 2, 0, 2],
            "year": [2019, 2019, 2019, 2019, 2020, 2020],
            "employment": [10.0, 4.0, 0.0, 0.0, 5.0, 5.0],
        }
    )
    kept, dropped = drop_zero_total_regions(table)
    assert dropped[["region_id", "year"]].values.tolist() == [["B", 2019]]
    assert kept[["region_id", "year"]].drop_duplicates().values.tolist() == [
        ["A", 2019],
        ["B", 2020],
    ]


def test_parquet_codes_stored_as_numbers_are_read_as_text(tmp_path):
    path = tmp_path / "numbers.parquet"
    pd.DataFrame(
        {
            "region_id": [1001, 1001],
            "industry_code": [0, 54],
            "year": [2019.0, 2019.0],
            "employment": [10, 4],
        }
    ).to_parquet(path)
    with pytest.raises(UserError, match=r"numbers.parquet: column 'industry_code', row 1: '0'"):
        read_generic(path, "naics2017")
    path_text = tmp_path / "text.parquet"
    pd.DataFrame(
        {
            "region_id": [1001, 1001],
            "industry_code": ["00", "54"],
            "year": [2019.0, 2019.0],
            "employment": [10, 4],
        }
    ).to_parquet(path_text)
    employment = read_generic(path_text, "naics2017")
    assert employment["region_id"].tolist() == ["1001", "1001"]
    assert employment["year"].tolist() == [2019, 2019]


# --- fuzzing: a valid canonical table or a UserError, nothing else -----------------------

JUNK = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["", " ", "(D)", "1e3", "-0", "NA", "nan", "inf", "1,5", "é", "\x00", "00"]),
    st.integers(-5, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
VALID = {
    "region_id": st.sampled_from(["001", "002", "A 1"]),
    "industry_code": st.sampled_from(["00", "TOTAL", "31-33", "311", "54", "5415", "92"]),
    "year": st.sampled_from(["2019", "2020", "2019.0"]),
    "employment": st.one_of(st.integers(0, 10**6).map(str), st.just("")),
    "establishments": st.one_of(st.integers(0, 10**4).map(str), st.just("")),
    "employment_flag": st.sampled_from(["reported", "imputed", "suppressed", "Suppressed", ""]),
    "industry_level": st.sampled_from(["", "2", "3"]),
}


@st.composite
def generic_files(draw):
    """(file suffix, DataFrame) for a small random employment table, clean or junk-ridden."""
    rows = draw(st.integers(1, 8))
    junk_share = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))
    table = {}
    for column, valid in VALID.items():
        if column in ("establishments", "employment_flag", "industry_level") and draw(
            st.booleans()
        ):
            continue
        values = []
        for _ in range(rows):
            junk = junk_share > 0 and draw(st.floats(0, 1)) < junk_share
            values.append(draw(JUNK if junk else valid))
        table[column] = values
    frame = pd.DataFrame(table, dtype=object)
    action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "rename", "duplicate"]))
    column = draw(st.sampled_from(list(frame.columns)))
    if action == "drop":
        frame = frame.drop(columns=column)
    elif action == "rename":
        new_name = draw(st.sampled_from([column.upper(), column[:-1], "x"]))
        frame = frame.rename(columns={column: new_name})
    elif action == "duplicate":
        frame = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    suffix = draw(st.sampled_from([".csv", ".parquet"]))
    if suffix == ".parquet" and draw(st.booleans()):
        for name in frame.columns:
            if draw(st.booleans()):
                frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return suffix, frame


def read_or_user_error(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        try:
            employment = read_generic(path, "naics2017")
        except UserError as error:
            assert "\n" not in str(error)
            assert path.name in str(error) or "--classification" in str(error)
            return
    assert list(employment.columns) == EMPLOYMENT_COLUMNS
    EMPLOYMENT_SCHEMA.validate(employment)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generic_files())
def test_fuzz_tables_give_a_canonical_table_or_a_user_error(case):
    suffix, frame = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            try:
                frame.to_parquet(path, index=False)
            except Exception:  # pyarrow cannot store some mixed columns: write them as text
                frame.astype("str").to_parquet(path, index=False)
        read_or_user_error(path)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=300),
    st.sampled_from([".csv", ".parquet", ".txt"]),
    st.sampled_from([b"", b"PAR1", b"region_id,industry_code,year,employment\n"]),
)
def test_fuzz_random_bytes_give_a_user_error_or_a_table(payload, suffix, prefix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"junk{suffix}"
        path.write_bytes(prefix + payload)
        read_or_user_error(path)


# --- typed Parquet at scale: the Arrow path equals the text path ------------------------


def _text_path(monkeypatch, path: Path, **keywords):
    """inspect_employment read through the text (pandera) path only."""
    import pipeline.sources.inspection as inspection

    with monkeypatch.context() as patched:
        patched.setattr(inspection, "typed_columns", lambda _path: None)
        return inspect_employment(path, **keywords)


def _typed_panel(rows_per_group: int | None) -> tuple[pd.DataFrame, dict]:
    """A typed table with every situation the reader handles, and how to write it."""
    employment = read_generic(GOOD / "employment.csv", "naics2017")
    table = employment.drop(columns=["classification"]).copy()
    table["employment_flag"] = table["employment_flag"].astype(object)
    # a suppressed cell that still holds a value, an empty unflagged cell, and a region-year
    # without its total row
    industries = table.index[table["industry_level"] > 0]
    table.loc[industries[0], "employment_flag"] = "suppressed"
    table.loc[industries[1], "employment"] = np.nan
    table.loc[industries[1], "employment_flag"] = None
    total = table.index[(table["industry_level"] == 0)][0]
    table = table.drop(index=total).sample(frac=1.0, random_state=3).reset_index(drop=True)
    options = {"row_group_size": rows_per_group} if rows_per_group else {}
    return table, options


@pytest.mark.parametrize("by_year", [False, True])
def test_typed_parquet_checks_equal_the_text_path(monkeypatch, tmp_path, by_year):
    table, options = _typed_panel(None)
    if by_year:  # one row group per year: the reader goes year by year
        table = table.sort_values("year", kind="stable", ignore_index=True)
    path = tmp_path / "typed.parquet"
    writer = None
    import pyarrow as arrow
    import pyarrow.parquet as pq

    arrow_table = arrow.Table.from_pandas(table, preserve_index=False)
    if by_year:
        writer = pq.ParquetWriter(path, arrow_table.schema)
        for year in sorted(table["year"].unique()):
            writer.write_table(arrow_table.filter(arrow.compute.equal(arrow_table["year"], year)))
        writer.close()
        assert pq.ParquetFile(path).metadata.num_row_groups == table["year"].nunique()
    else:
        pq.write_table(arrow_table, path, **options)
    import pipeline.sources.inspection as inspection

    def no_text(_path):
        raise AssertionError("the typed Parquet file went through the text path")

    with monkeypatch.context() as patched:
        patched.setattr(inspection, "read_raw_table", no_text)
        fast = inspect_employment(path, "naics2017")
    slow = _text_path(monkeypatch, path, classification="naics2017")
    pd.testing.assert_frame_equal(fast.employment, slow.employment)
    assert fast.problems == slow.problems and len(fast.problems) == 2
    assert fast.notes == slow.notes and fast.derived_totals == slow.derived_totals == 1
    assert fast.rows_read == slow.rows_read
    pd.testing.assert_frame_equal(fast.source_rows, slow.source_rows, check_dtype=False)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda table: table.assign(employment=-table["employment"]),
        lambda table: pd.concat([table, table.iloc[[3]]], ignore_index=True),
        lambda table: table.assign(
            industry_code=table["industry_code"].where(table.index != 5, "999999x")
        ),
        lambda table: table.assign(year=table["year"].astype("int64") * 10),
    ],
    ids=["negative", "duplicate", "unknown code", "year"],
)
def test_typed_parquet_errors_are_worded_by_the_text_path(monkeypatch, tmp_path, spoil):
    table, _ = _typed_panel(None)
    path = tmp_path / "spoilt.parquet"
    spoil(table).to_parquet(path, index=False)
    fast = inspect_employment(path, "naics2017")
    slow = _text_path(monkeypatch, path, classification="naics2017")
    assert fast.employment is None and slow.employment is None
    assert fast.problems == slow.problems
    assert any(problem.severity == "error" for problem in fast.problems)
