"""Generate the benchmark panel: every US county x NAICS (2 to 6 digits) x 20 years.

A synthetic but realistic stand-in for the complete County Business Patterns county file
(which the repository does not have), drawn from the real CBP 2019 county x 6-digit NAICS
distributions in ``data/raw/us_counties/cbp_county_naics_2017_2021.parquet`` (1,875
counties in 38 states):

1. **Counties.** All 3,141 counties of the 50 states and DC (the 2010 county list in
   ``data/raw/us/us_counties_2010_20m.geojson``, with Kusilvak 02158 for Wade Hampton and
   without Kalawao 15005, which CBP does not publish).
2. **County size.** A county in the CBP file keeps its 2019 total employment. A missing
   county in a metro or micro area gets a share of what its CBSA's 2019 total
   (``cbp2019_cbsa_naics.parquet``) leaves after the counties in the file, split in
   proportion to the median size of covered counties of the same kind (central or
   outlying, metro or micro); a missing county outside any CBSA draws the size of a
   random covered non-CBSA county.
3. **Industry mix.** A missing county borrows the published 6-digit cells of a covered
   county of the same kind and similar size (one of the ``DONOR_CHOICES`` nearest in log
   employment), scaled to its size with a little noise.
4. **Unpublished cells.** CBP does not publish cells with fewer than 3 establishments.
   Extrapolating how the published cells with 3, 4 and 5 establishments fall off gives the
   number of 1- and 2-establishment cells (see :func:`small_cell_model`); each county gets
   that many per unpublished establishment (its total minus its published 6-digit cells),
   in industries it does not have yet, picked with the national frequency of small cells,
   each with that industry's typical small-plant size.
5. **Years and drift.** 20 years (2002-2021): log employment of each cell moves with a
   county random walk, a national industry random walk and an AR(1) cell term; small cells
   enter and leave with a persistent AR(1) latent variable.
6. **Hierarchy.** 5-, 4-, 3- and 2-digit rows (with the range sectors 31-33, 44-45,
   48-49) are sums of their 6-digit children; the county total row '00' is the county's
   total, at least the sum of its industries.

The output is one Parquet file with one row group per year (region_id and industry_code
dictionary-encoded), in the canonical employment layout of :mod:`pipeline.sources.schema`.
Generation is seeded and deterministic, and skipped when the file already exists with the
same settings (a JSON sidecar records them).

Run: ``python benchmarks/generate_panel.py [--rows N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DATA = Path(__file__).resolve().parent / "data"
GENERATOR_VERSION = 4

BASE_YEAR = 2019
N_YEARS = 20
LAST_YEAR = 2021
DONOR_CHOICES = 5  # a missing county borrows the mix of one of this many nearest covered counties
SMALL_CELL_PRESENCE = 0.8  # share of a county's small-cell pool present in a given year
COUNTY_DRIFT_SD = 0.02  # yearly sd of a county's log employment random walk
INDUSTRY_DRIFT_SD = 0.03  # yearly sd of an industry's national log employment random walk
CELL_NOISE_SD = 0.12  # stationary sd of a cell's AR(1) log employment deviation
CELL_NOISE_RHO = 0.85  # AR(1) persistence of the cell deviation
PRESENCE_RHO = 0.8  # AR(1) persistence of a small cell's presence
DONOR_NOISE_SD = 0.10  # log noise on each borrowed cell
SMALL_SIZE_SD = 0.6  # log sd of a small cell's employment around its industry's median
SECTOR_RANGES = {"31": "31-33", "32": "31-33", "33": "31-33", "44": "44-45", "45": "44-45"}
SECTOR_RANGES |= {"48": "48-49", "49": "48-49"}
MIN_COUNTIES = 3  # a --rows subset keeps at least this many counties
DROPPED_COUNTIES = {"02270", "15005"}  # Wade Hampton (now Kusilvak 02158); Kalawao (no CBP)
PUERTO_RICO = "72"


@dataclass(frozen=True)
class PanelSettings:
    """What the generated file depends on (recorded in its JSON sidecar)."""

    seed: int = 20190312
    rows: int | None = None  # approximate target; None = every county
    years: int = N_YEARS
    version: int = GENERATOR_VERSION


def panel_path(settings: PanelSettings, folder: Path = DATA) -> Path:
    label = "full" if settings.rows is None else f"{settings.rows}"
    return folder / f"county_naics_panel_{label}_seed{settings.seed}.parquet"


# ---- inputs -------------------------------------------------------------------------------


def _county_list(raw: Path) -> pd.DataFrame:
    features = json.loads((raw / "us" / "us_counties_2010_20m.geojson").read_text())["features"]
    ids = {feature["id"] for feature in features} | {"02158"}
    ids = sorted(f for f in ids if f[:2] != PUERTO_RICO and f not in DROPPED_COUNTIES)
    delineation = pd.read_csv(raw / "us" / "cbsa_county_delineation_2020.csv", dtype=str)
    counties = pd.DataFrame({"county_fips": ids}).merge(
        delineation[["county_fips", "cbsa_code", "metro_micro", "central_outlying"]],
        on="county_fips",
        how="left",
    )
    kind = np.where(
        counties["metro_micro"].isna(),
        "rural",
        np.where(counties["metro_micro"].str.startswith("Metro"), "metro_", "micro_")
        + counties["central_outlying"].str.lower().fillna("central"),
    )
    return counties.assign(kind=kind)[["county_fips", "cbsa_code", "kind"]]


def _cbp_2019(raw: Path) -> pd.DataFrame:
    cbp = pd.read_parquet(
        raw / "us_counties" / "cbp_county_naics_2017_2021.parquet",
        columns=["year", "county_fips", "naics", "naics_level", "estab", "emp"],
        filters=[("year", "==", BASE_YEAR)],
    )
    return cbp.astype({"estab": "float64", "emp": "float64"})


def _cbsa_totals(raw: Path) -> pd.Series:
    cbsa = pd.read_parquet(raw / "us" / "cbp2019_cbsa_naics.parquet")
    totals = cbsa[cbsa["naics_code"] == "00"]
    return totals.set_index("cbsa_code")["emp"].astype("float64")


# ---- county sizes and donors ----------------------------------------------------------------


def county_sizes(counties: pd.DataFrame, cbp: pd.DataFrame, raw: Path, rng) -> pd.DataFrame:
    """Total employment and establishments of every county; donor of each missing county."""
    totals = cbp[cbp["naics_level"] == 0].set_index("county_fips")[["emp", "estab"]]
    six = cbp[cbp["naics_level"] == 6].groupby("county_fips")["estab"].sum()
    counties = counties.join(totals, on="county_fips")
    counties["covered"] = counties["emp"].notna()
    counties["published_estab6"] = counties["county_fips"].map(six).fillna(0.0)
    covered = counties[counties["covered"]]
    kind_median = covered.groupby("kind")["emp"].median()
    # Missing CBSA counties share what their CBSA leaves after the covered counties.
    cbsa_total = _cbsa_totals(raw)
    left = (
        cbsa_total.reindex(counties["cbsa_code"].dropna().unique()).fillna(0.0)
        - covered.groupby("cbsa_code")["emp"].sum().reindex(counties["cbsa_code"].dropna().unique()).fillna(0.0)
    )  # fmt: skip
    missing = counties[~counties["covered"]].copy()
    weight = missing["kind"].map(kind_median).fillna(kind_median.median())
    in_cbsa = missing["cbsa_code"].notna() & (missing["kind"] != "rural")
    weight_sum = weight[in_cbsa].groupby(missing.loc[in_cbsa, "cbsa_code"]).transform("sum")
    share = (
        left.reindex(missing.loc[in_cbsa, "cbsa_code"]).to_numpy() * weight[in_cbsa] / weight_sum
    )
    size = pd.Series(np.nan, index=missing.index)
    size[in_cbsa] = np.where(share > 0, share, weight[in_cbsa])
    rural_sizes = covered.loc[covered["kind"] == "rural", "emp"].to_numpy()
    size[~in_cbsa] = rng.choice(rural_sizes, size=int((~in_cbsa).sum()))
    counties.loc[missing.index, "emp"] = size.round().clip(lower=10)
    # Donor: a covered county of the same kind, one of the nearest in log employment.
    counties["donor"] = counties["county_fips"].where(counties["covered"])
    for kind, group in counties[~counties["covered"]].groupby("kind"):
        pool = covered[covered["kind"] == kind]
        if pool.empty:
            pool = covered
        distance = np.abs(
            np.log(group["emp"].to_numpy())[:, None] - np.log(pool["emp"].to_numpy())[None, :]
        )
        nearest = np.argsort(distance, axis=1)[:, :DONOR_CHOICES]
        pick = nearest[np.arange(len(group)), rng.integers(0, nearest.shape[1], len(group))]
        counties.loc[group.index, "donor"] = pool["county_fips"].to_numpy()[pick]
    donor = counties.set_index("county_fips").loc[counties["donor"]]
    counties["scale"] = counties["emp"].to_numpy() / donor["emp"].to_numpy()
    counties["estab"] = np.where(
        counties["covered"],
        counties["estab"],
        (donor["estab"].to_numpy() * counties["scale"]).round(),
    )
    # Not scaled: a larger county publishes more of its industries, so its number of
    # unpublished establishments hardly grows with size (donors are of similar size anyway).
    counties["small_estab"] = np.maximum(
        0.0, donor["estab"].to_numpy() - donor["published_estab6"].to_numpy()
    )
    return counties.reset_index(drop=True)


# ---- 6-digit cells in the base year -----------------------------------------------------------


@dataclass
class BaseCells:
    county: np.ndarray  # county index
    industry: np.ndarray  # 6-digit industry index
    employment: np.ndarray
    establishments: np.ndarray
    small: np.ndarray  # bool: an unpublished (1-2 establishment) cell, may enter and leave


def small_cell_model(six: pd.DataFrame, counties: pd.DataFrame) -> tuple[float, float]:
    """How many unpublished cells, and how many of them have one establishment.

    The published 6-digit cells with 3, 4 and 5 establishments fall off with ratios
    n3/n4 and n4/n5 that grow as the count shrinks; extrapolating that growth linearly
    gives the number of 2- and 1-establishment cells. Returns the share of 1-establishment
    cells and the number of unpublished cells per unpublished establishment of the
    covered counties (their total minus their published 6-digit establishments).
    """
    counts = six["estab"].round().value_counts()
    ratio_3, ratio_4 = counts[3] / counts[4], counts[4] / counts[5]
    two = counts[3] * (ratio_3 + (ratio_3 - ratio_4))
    one = two * (ratio_3 + 2 * (ratio_3 - ratio_4))
    unpublished = counties.loc[counties["covered"], "small_estab"].sum()
    return one / (one + two), (one + two) / unpublished


def base_cells(counties: pd.DataFrame, cbp: pd.DataFrame, industries: pd.Index, rng) -> BaseCells:
    six = cbp[cbp["naics_level"] == 6]
    # Published cells: the county's own, or its donor's scaled to its size.
    by_donor = six.assign(industry=industries.get_indexer(six["naics"]))
    donor_cells = (
        counties[["donor", "scale"]]
        .reset_index(names="county")
        .merge(by_donor, left_on="donor", right_on="county_fips")
    )
    borrowed = (
        donor_cells["donor"].to_numpy() != counties["county_fips"].to_numpy()[donor_cells["county"]]
    )
    noise = np.exp(rng.normal(0.0, DONOR_NOISE_SD, len(donor_cells)) * borrowed)
    employment = (donor_cells["emp"] * donor_cells["scale"] * noise).round().to_numpy()
    establishments = np.maximum(
        1.0, (donor_cells["estab"] * donor_cells["scale"]).round().to_numpy()
    )
    county = donor_cells["county"].to_numpy()
    industry = donor_cells["industry"].to_numpy()

    # Unpublished small cells: industries the county lacks, by national small-cell frequency.
    small_published = six[six["estab"] <= 4]
    frequency = small_published["naics"].value_counts().reindex(industries).fillna(0.0) + 0.5
    per_plant = (six["emp"] / six["estab"])[six["estab"] <= 5].groupby(six["naics"]).median()
    per_plant = per_plant.reindex(industries).fillna(per_plant.median()).to_numpy()
    one_plant_share, cells_per_estab = small_cell_model(six, counties)
    n_small = np.round(counties["small_estab"].to_numpy() * cells_per_estab / SMALL_CELL_PRESENCE)
    has = np.zeros((len(counties), len(industries)), dtype=bool)
    has[county, industry] = True
    n_small = np.minimum(n_small, (~has).sum(axis=1)).astype(int)
    # Weighted sampling without replacement per county (Gumbel top-k).
    keys = np.log(frequency.to_numpy())[None, :] + rng.gumbel(size=has.shape)
    keys[has] = -np.inf
    order = np.argsort(-keys, axis=1)
    take = np.arange(len(industries))[None, :] < n_small[:, None]
    small_county = np.repeat(np.arange(len(counties)), take.sum(axis=1))
    small_industry = order[take]
    small_plants = np.where(rng.random(len(small_county)) < one_plant_share, 1.0, 2.0)
    small_employment = np.round(
        small_plants
        * per_plant[small_industry]
        * np.exp(rng.normal(0.0, SMALL_SIZE_SD, len(small_county)))
    )
    return BaseCells(
        county=np.concatenate([county, small_county]),
        industry=np.concatenate([industry, small_industry]),
        employment=np.concatenate([employment, small_employment]),
        establishments=np.concatenate([establishments, small_plants]),
        small=np.concatenate([np.zeros(len(county), bool), np.ones(len(small_county), bool)]),
    )


# ---- hierarchy ---------------------------------------------------------------------------------


def _level(code: str) -> int:
    if code == "00":
        return 0
    return 2 if "-" in code else len(code)


def industry_hierarchy(industries: pd.Index) -> tuple[pd.Index, np.ndarray, list[np.ndarray]]:
    """All codes (sorted, '00' first), their levels, and each level's 6-digit -> parent map."""
    sector = [SECTOR_RANGES.get(code[:2], code[:2]) for code in industries]
    parents = {5: [c[:5] for c in industries], 4: [c[:4] for c in industries]}
    parents |= {3: [c[:3] for c in industries], 2: sector}
    codes = pd.Index(sorted({"00", *industries, *(p for level in parents.values() for p in level)}))
    level = np.array([_level(code) for code in codes], dtype=np.int8)
    to_parent = [codes.get_indexer(industries)] + [
        codes.get_indexer(parents[lv]) for lv in (5, 4, 3, 2)
    ]
    return codes, level, to_parent


# ---- the yearly panel ----------------------------------------------------------------------------


def _base_rows(cells: BaseCells, to_parent: list[np.ndarray], n_counties: int) -> np.ndarray:
    """Rows of each county in the base year: its 6-digit cells, their parents and the total."""
    rows = np.ones(n_counties)
    for parent in to_parent:
        key = np.unique(cells.county.astype(np.int64) * (parent.max() + 1) + parent[cells.industry])
        rows += np.bincount(key // (parent.max() + 1), minlength=n_counties)
    return rows


def _choose_counties(rows_per_year: np.ndarray, target_rows: int, years: int, rng) -> np.ndarray:
    """A random subset of counties whose expected rows add up to about ``target_rows``."""
    order = rng.permutation(len(rows_per_year))
    cumulative = np.cumsum(rows_per_year[order]) * years
    count = max(MIN_COUNTIES, int(np.searchsorted(cumulative, target_rows)) + 1)
    return np.sort(order[:count])


def generate(settings: PanelSettings, target: Path, raw: Path = RAW, log=print) -> Path:
    """Write the panel to ``target`` (one row group per year). Returns ``target``."""
    started = time.perf_counter()
    rng = np.random.default_rng(settings.seed)
    counties = _county_list(raw)
    cbp = _cbp_2019(raw)
    counties = county_sizes(counties, cbp, raw, rng)
    industries = pd.Index(sorted(cbp.loc[cbp["naics_level"] == 6, "naics"].unique()))
    cells = base_cells(counties, cbp, industries, rng)
    codes, code_level, to_parent = industry_hierarchy(industries)
    if settings.rows is not None:
        # The small cells present in a year are SMALL_CELL_PRESENCE of the pool.
        rows_per_year = _base_rows(cells, to_parent, len(counties)) * (
            1
            - (1 - SMALL_CELL_PRESENCE)
            * np.bincount(cells.county, cells.small, len(counties))
            / np.maximum(np.bincount(cells.county, minlength=len(counties)), 1)
        )
        chosen = _choose_counties(rows_per_year, settings.rows, settings.years, rng)
        keep = np.isin(cells.county, chosen)
        remap = np.full(len(counties), -1)
        remap[chosen] = np.arange(len(chosen))
        cells = BaseCells(
            remap[cells.county[keep]], cells.industry[keep], cells.employment[keep],
            cells.establishments[keep], cells.small[keep],
        )  # fmt: skip
        counties = counties.iloc[chosen].reset_index(drop=True)
    n_counties, n_codes, n_cells = len(counties), len(codes), len(cells.county)
    log(
        f"{n_counties} counties ({int(counties['covered'].sum())} in the CBP file), {n_cells:,} 6-digit cells"
    )

    years = np.arange(LAST_YEAR - settings.years + 1, LAST_YEAR + 1)
    county_walk = np.cumsum(rng.normal(0.0, COUNTY_DRIFT_SD, (len(years), n_counties)), axis=0)
    industry_walk = np.cumsum(
        rng.normal(0.0, INDUSTRY_DRIFT_SD, (len(years), len(industries))), axis=0
    )
    base = min(max(BASE_YEAR - years[0], 0), len(years) - 1)
    county_walk -= county_walk[base]
    industry_walk -= industry_walk[base]
    deviation = rng.normal(0.0, CELL_NOISE_SD, n_cells)
    presence = rng.normal(0.0, 1.0, n_cells)
    threshold = float(np.quantile(rng.normal(size=100_000), 1 - SMALL_CELL_PRESENCE))
    region_dictionary = pa.array(counties["county_fips"].tolist(), pa.string())
    code_dictionary = pa.array(codes.tolist(), pa.string())
    county_total = counties["emp"].to_numpy()
    county_estab = counties["estab"].to_numpy()
    schema = pa.schema(
        [
            ("region_id", pa.dictionary(pa.int32(), pa.string())),
            ("industry_code", pa.dictionary(pa.int32(), pa.string())),
            ("industry_level", pa.int8()),
            ("year", pa.int16()),
            ("employment", pa.float64()),
            ("establishments", pa.float64()),
            ("classification", pa.dictionary(pa.int8(), pa.string())),
            ("employment_flag", pa.dictionary(pa.int8(), pa.string())),
        ]
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".parquet.tmp")
    rows = 0
    # store_schema=False: a plain Parquet file (dictionary-encoded pages); each engine
    # decides whether it reads region and industry as strings or as dictionaries.
    with pq.ParquetWriter(temporary, schema, compression="zstd", store_schema=False) as writer:
        for step, year in enumerate(years):
            if step:
                innovation = np.sqrt(1 - CELL_NOISE_RHO**2) * CELL_NOISE_SD
                deviation = CELL_NOISE_RHO * deviation + rng.normal(0.0, innovation, n_cells)
                presence = PRESENCE_RHO * presence + np.sqrt(1 - PRESENCE_RHO**2) * rng.normal(
                    size=n_cells
                )
            growth = (
                county_walk[step][cells.county] + industry_walk[step][cells.industry] + deviation
            )
            present = ~cells.small | (presence > threshold)
            employment = np.round(cells.employment * np.exp(growth))[present]
            establishments = np.where(
                cells.small,
                cells.establishments,
                np.maximum(1.0, np.round(cells.establishments * np.exp(0.5 * growth))),
            )[present]
            county = cells.county[present]
            industry = cells.industry[present]
            # 6-digit rows and their parents: sums over (county, parent code).
            keys, employment_sum, establishment_sum = [], [], []
            for parent in to_parent:
                key = county.astype(np.int64) * n_codes + parent[industry]
                unique, inverse = np.unique(key, return_inverse=True)
                keys.append(unique)
                employment_sum.append(np.bincount(inverse, employment, len(unique)))
                establishment_sum.append(np.bincount(inverse, establishments, len(unique)))
            detail_total = np.bincount(county, employment, n_counties)
            total = np.maximum(np.round(county_total * np.exp(county_walk[step])), detail_total)
            estab_total = np.maximum(
                np.round(county_estab * np.exp(0.5 * county_walk[step])),
                np.bincount(county, establishments, n_counties),
            )
            keys.append(np.arange(n_counties, dtype=np.int64) * n_codes + codes.get_loc("00"))
            employment_sum.append(total)
            establishment_sum.append(estab_total)
            key = np.concatenate(keys)
            order = np.argsort(key, kind="stable")
            key = key[order]
            region, code = key // n_codes, key % n_codes
            table = pa.table(
                {
                    "region_id": pa.DictionaryArray.from_arrays(
                        pa.array(region, pa.int32()), region_dictionary
                    ),
                    "industry_code": pa.DictionaryArray.from_arrays(
                        pa.array(code, pa.int32()), code_dictionary
                    ),
                    "industry_level": pa.array(code_level[code], pa.int8()),
                    "year": pa.array(np.full(len(key), year, np.int16)),
                    "employment": pa.array(np.concatenate(employment_sum)[order]),
                    "establishments": pa.array(np.concatenate(establishment_sum)[order]),
                    "classification": pa.DictionaryArray.from_arrays(
                        pa.array(np.zeros(len(key), np.int8)), pa.array(["naics2017"])
                    ),
                    "employment_flag": pa.DictionaryArray.from_arrays(
                        pa.array(np.zeros(len(key), np.int8)), pa.array(["reported"])
                    ),
                },
                schema=schema,
            )
            writer.write_table(table, row_group_size=len(table))
            rows += len(table)
    temporary.replace(target)
    log(
        f"wrote {rows:,} rows ({len(years)} years) to {target} in {time.perf_counter() - started:.1f} s"
    )
    return target


def ensure_panel(settings: PanelSettings, folder: Path = DATA, log=print) -> Path:
    """The panel's path, generating it first unless it exists with the same settings."""
    target = panel_path(settings, folder)
    sidecar = target.with_suffix(".json")
    if target.exists() and sidecar.exists():
        recorded = json.loads(sidecar.read_text())
        if recorded.get("settings") == asdict(settings):
            log(f"panel present: {target} ({recorded['rows']:,} rows); not regenerated")
            return target
    generate(settings, target, log=log)
    metadata = pq.ParquetFile(target).metadata
    sidecar.write_text(
        json.dumps(
            {
                "settings": asdict(settings),
                "rows": metadata.num_rows,
                "row_groups": metadata.num_row_groups,
                "bytes": target.stat().st_size,
            },
            indent=2,
        )
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=None, help="approximate rows (default: every county)"
    )
    parser.add_argument("--seed", type=int, default=PanelSettings.seed)
    parser.add_argument("--years", type=int, default=N_YEARS)
    parser.add_argument("--folder", type=Path, default=DATA)
    args = parser.parse_args(argv)
    ensure_panel(PanelSettings(seed=args.seed, rows=args.rows, years=args.years), args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
