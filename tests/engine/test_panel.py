"""Reading one year of a Parquet employment table: a file by row group, a dataset directory."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.engine.panel import parquet_years, read_coded_year, read_year, year_statistics
from pipeline.errors import UserError
from tests.measures.panels import three_years, write_by_year


def test_file_with_a_row_group_per_year(tmp_path):
    employment = three_years()
    path = write_by_year(employment, tmp_path / "panel.parquet")
    assert year_statistics(path) == [(2017, 2017), (2018, 2018), (2019, 2019)]
    assert parquet_years(path) == [2017, 2018, 2019]
    table = read_year(path, 2018)
    assert pa.types.is_dictionary(table.schema.field("region_id").type)
    assert table.column_names[-1] == "year"
    assert len(table) == (employment["year"] == 2018).sum()
    coded = read_coded_year(path, 2018)
    assert coded.year == 2018 and len(coded.region) == len(table)


def test_file_with_years_mixed_in_a_row_group_and_a_directory(tmp_path):
    employment = three_years()
    mixed = tmp_path / "mixed.parquet"
    pq.write_table(pa.Table.from_pandas(employment, preserve_index=False), mixed)
    assert parquet_years(mixed) == [2017, 2018, 2019]
    assert set(read_year(mixed, 2019).column("year").to_pylist()) == {2019}
    employment.to_parquet(tmp_path / "by_year", partition_cols=["year"], index=False)
    assert parquet_years(tmp_path / "by_year") == [2017, 2018, 2019]
    assert len(read_year(tmp_path / "by_year", 2017)) == (employment["year"] == 2017).sum()


def test_missing_source_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        parquet_years(tmp_path / "nothing.parquet")


def test_year_levels_and_without_imputed_follow_exclude_imputed(tmp_path):
    """The Arrow twins read a year at a time and keep what exclude_imputed keeps: an imputed
    total stays (the LQ denominator), imputed industry cells go."""
    from pipeline.engine.panel import without_imputed, year_levels
    from pipeline.sources.suppression import exclude_imputed

    employment = three_years()
    employment["employment_flag"] = "reported"
    latest = employment["year"] == 2019
    deepest = employment["industry_level"] == employment["industry_level"].max()
    employment.loc[latest & deepest, "employment_flag"] = "imputed"  # 2019's finest cells
    employment.loc[latest & (employment["industry_level"] == 0), "employment_flag"] = "imputed"
    path = write_by_year(employment, tmp_path / "panel.parquet")
    expected = (
        exclude_imputed(employment)[["industry_level", "year"]]
        .drop_duplicates()
        .sort_values(["year", "industry_level"], ignore_index=True)
    )
    published = year_levels(path, published_only=True)
    assert published.sort_values(["year", "industry_level"], ignore_index=True).equals(
        expected.astype(published.dtypes.to_dict())
    )
    assert (published["year"] == 2019).sum() < (year_levels(path, False)["year"] == 2019).sum()
    for year in (2017, 2019):
        kept = without_imputed(read_year(path, year, ["industry_level", "employment_flag"]))
        assert kept.num_rows == len(exclude_imputed(employment[employment["year"] == year]))
