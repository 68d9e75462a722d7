"""Integer coding of a year: Arrow dictionaries and pandas codes give the same coded year."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.errors import UserError
from pipeline.measures.coding import (
    PANEL_COLUMNS,
    CodedYear,
    PanelCodes,
    coded_region_totals,
    encode,
    gather_industry_rows,
    group_sums,
    region_totals_from_frame,
    year_slices,
)
from tests.measures.panels import four_regions, three_years


def _decoded(coded: CodedYear) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": np.asarray(coded.region_ids)[coded.region],
            "industry_code": np.asarray(coded.industry_codes)[coded.industry],
            "industry_level": coded.level,
            "employment": coded.employment,
            "establishments": coded.establishments,
        }
    )


@pytest.mark.parametrize("dictionary", [False, True])
def test_arrow_and_pandas_codes_decode_to_the_same_rows(dictionary):
    employment = four_regions()
    employment.loc[2, "employment"] = np.nan
    arrow = pa.Table.from_pandas(employment[PANEL_COLUMNS], preserve_index=False)
    if dictionary:
        for name in ["region_id", "industry_code"]:
            position = arrow.schema.get_field_index(name)
            arrow = arrow.set_column(position, name, arrow[name].dictionary_encode())
    from_arrow = CodedYear.from_arrow(arrow, 2019)
    codes = PanelCodes.from_frame(employment)
    from_pandas = codes.year(2019, np.arange(len(employment)))
    expected = employment[_decoded(from_arrow).columns].reset_index(drop=True)
    for coded in (from_arrow, from_pandas):
        assert coded.year == 2019
        pd.testing.assert_frame_equal(_decoded(coded), expected, check_dtype=False)


def test_encode_uses_categorical_codes_as_they_are():
    values = pd.Series(pd.Categorical(["b", "a", "b"], categories=["b", "a", "z"]))
    codes, labels = encode(values)
    assert codes.tolist() == [0, 1, 0]
    assert labels.tolist() == ["b", "a", "z"]


def test_group_sums_counts_and_sums_with_a_fixed_size():
    codes = np.array([0, 2, 2])
    assert group_sums(codes, 4).tolist() == [1, 0, 2, 0]
    assert group_sums(codes, 4, np.array([1.0, 2.0, 3.0])).tolist() == [1.0, 0.0, 5.0, 0.0]


def test_year_slices_give_each_years_rows_in_order():
    employment = three_years().sample(frac=1.0, random_state=3)
    years = employment["year"].to_numpy()
    slices = list(year_slices(years))
    assert [year for year, _ in slices] == [2017, 2018, 2019]
    for year, rows in slices:
        assert (years[rows] == year).all() and (np.diff(rows) > 0).all()
    assert sum(len(rows) for _, rows in slices) == len(employment)


def test_region_totals_and_industry_rows():
    coded = PanelCodes.from_frame(four_regions()).year(2019, np.arange(11))
    totals = coded_region_totals(coded)
    assert totals.national_employment == 1000
    assert totals.sum_x_squared == pytest.approx(0.01 + 0.04 + 0.09 + 0.16)
    rows = gather_industry_rows(coded, totals)
    assert len(rows.rows) == 7
    a = list(coded.industry_codes).index("A")
    assert rows.industry_employment[a] == 50
    # Totals given as a table: a region without industry rows still counts in E.
    given = pd.DataFrame({"region_id": ["R1", "R2", "R9"], "region_employment": [1.0, 3.0, 4.0]})
    aligned = region_totals_from_frame(given, coded.region_ids)
    assert aligned.national_employment == 8.0
    assert np.isnan(aligned.region_employment[list(coded.region_ids).index("R3")])
    with pytest.raises(UserError, match="twice"):
        region_totals_from_frame(pd.concat([given, given]), coded.region_ids)
