"""CBP metro reader: codes, levels and published spot values."""


def test_levels_follow_the_codes(cbp_subset):
    levels = cbp_subset.drop_duplicates("industry_code").set_index("industry_code")[
        "industry_level"
    ]
    assert levels["00"] == 0
    assert levels["31-33"] == 2 and levels["44-45"] == 2 and levels["48-49"] == 2
    assert levels["336411"] == 6 and levels["3364"] == 4


def test_published_spot_value():
    from pipeline.sources.us_cbp import read_cbp_cbsa
    from tests.conftest import RAW_US

    employment = read_cbp_cbsa(
        RAW_US / "cbp2019_cbsa_naics.parquet", estimate_unpublished_cells=False
    ).set_index(["region_id", "industry_code"])
    # Napa (34900) wineries 312130, CBP 2019: 8,744 jobs in 392 establishments.
    assert employment.loc[("34900", "312130"), "employment"] == 8744
    assert employment.loc[("34900", "312130"), "establishments"] == 392
    assert (employment["employment_flag"] == "reported").all()
