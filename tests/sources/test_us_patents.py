"""USPTO county patents -> mean annual grants per region."""

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.sources.us_patents import PATENTS_FILE, read_county_patents, region_patents

RAW_US = Path(__file__).resolve().parents[2] / "data" / "raw" / "us"


def test_region_patents_sum_counties_and_average_years():
    patents = pd.DataFrame(
        {
            "county_fips": ["01001", "01001", "01003", "01003", "02020"],
            "year": [2000, 2001, 2000, 2001, 2000],
            "patents_issued": [4, 6, 1, 1, 10],
        }
    )
    by_county = region_patents(patents).set_index("region_id")["patents_per_year"]
    assert by_county.to_dict() == {"01001": 5.0, "01003": 1.0, "02020": 5.0}
    metros = pd.DataFrame({"county_fips": ["01001", "01003"], "region_id": ["10000"] * 2})
    by_metro = region_patents(patents, metros).set_index("region_id")["patents_per_year"]
    assert by_metro.to_dict() == {"10000": 6.0}  # (4 + 6 + 1 + 1) / 2 years


def test_embedded_file_matches_the_published_santa_clara_total():
    patents = read_county_patents(RAW_US / PATENTS_FILE)
    assert patents["year"].min() == 2000 and patents["year"].max() == 2015
    santa_clara = patents.loc[patents["county_fips"] == "06085", "patents_issued"].sum()
    assert santa_clara == 143003  # the source README's check value


def test_missing_column_is_a_user_error(tmp_path):
    path = tmp_path / "patents.parquet"
    pd.DataFrame({"county_fips": ["01001"], "year": [2000]}).to_parquet(path)
    with pytest.raises(UserError, match="patents_issued"):
        read_county_patents(path)
