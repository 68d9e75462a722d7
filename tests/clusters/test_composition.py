"""cluster_composition (integer-coded matching) equals the merge definition."""

import numpy as np
import pandas as pd
import pytest

from pipeline.clusters.composition import _merged_composition, cluster_composition


def _inputs(seed: int):
    rng = np.random.default_rng(seed)
    rows = 4000
    employment = pd.DataFrame(
        {
            "region_id": rng.choice([f"{n:05d}" for n in range(60)], rows),
            "industry_code": rng.choice([f"{n:06d}" for n in range(40)], rows),
            "year": rng.choice([2018, 2019, 2020], rows).astype("int16"),
            "employment": rng.gamma(1.5, 40.0, rows).round(1),
        }
    ).drop_duplicates(["region_id", "industry_code", "year"], ignore_index=True)
    clusters = pd.DataFrame(  # industries 35-39 are in no cluster
        {
            "industry_code": [f"{n:06d}" for n in range(35)],
            "cluster_code": [str(n % 7) for n in range(35)],
        }
    )
    members = []
    for year in (2018, 2019, 2020):
        for cluster in map(str, range(6)):  # cluster 6 has no regional cluster
            regions = rng.choice([f"{n:05d}" for n in range(70)], 12, replace=False)
            for group, chunk in enumerate(np.array_split(regions, 3)):
                members += [
                    (f"{year}-{cluster}-{group}", np.int16(year), cluster, region)
                    for region in chunk
                ]
    membership = pd.DataFrame(
        members, columns=["regional_cluster_id", "year", "cluster_code", "region_id"]
    )
    return employment, clusters, membership


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_merge_definition(seed):
    employment, clusters, membership = _inputs(seed)
    expected = _merged_composition(employment, clusters, membership)
    result = cluster_composition(employment, clusters, membership)
    assert len(result) > 100
    pd.testing.assert_frame_equal(result, expected)


def test_an_industry_in_two_clusters_counts_in_both():
    employment, clusters, membership = _inputs(3)
    twice = pd.concat([clusters, clusters.iloc[:3].assign(cluster_code="5")], ignore_index=True)
    result = cluster_composition(employment, twice, membership)
    pd.testing.assert_frame_equal(result, _merged_composition(employment, twice, membership))


def test_no_members_no_rows():
    employment, clusters, membership = _inputs(4)
    result = cluster_composition(employment, clusters, membership.iloc[:0])
    assert result.empty and list(result.columns) == [
        "regional_cluster_id",
        "industry_code",
        "employment",
    ]
