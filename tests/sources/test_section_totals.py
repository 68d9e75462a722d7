"""Derived all-industry total rows for section-level tables."""

import numpy as np
import pandas as pd

from pipeline.sources.section_totals import with_section_total


def _sections(values, flags):
    return pd.DataFrame(
        {
            "region_id": ["R"] * len(values),
            "industry_code": ["B", "C", "D"][: len(values)],
            "industry_level": 1,
            "year": 2020,
            "employment": values,
            "establishments": np.nan,
            "classification": "okved2",
            "employment_flag": flags,
        }
    )


def _total(table):
    return table[table["industry_code"] == "00"].iloc[0]


def test_complete_sections_give_a_reported_total():
    total = _total(with_section_total(_sections([1.5, 2.0, 3.0], ["reported"] * 3), "BCD"))
    assert total["employment"] == 6.5 and total["employment_flag"] == "reported"
    assert total["industry_level"] == 0 and pd.isna(total["establishments"])


def test_missing_or_suppressed_section_makes_the_total_imputed():
    suppressed = _sections([1.0, np.nan, 3.0], ["reported", "suppressed", "reported"])
    assert _total(with_section_total(suppressed, "BCD"))["employment_flag"] == "imputed"
    absent = _sections([1.0, 2.0], ["reported", "reported"])
    total = _total(with_section_total(absent, "BCD"))
    assert total["employment"] == 3.0 and total["employment_flag"] == "imputed"


def test_all_suppressed_gives_a_null_suppressed_total():
    table = _sections([np.nan, np.nan, np.nan], ["suppressed"] * 3)
    total = _total(with_section_total(table, "BCD"))
    assert pd.isna(total["employment"]) and total["employment_flag"] == "suppressed"
