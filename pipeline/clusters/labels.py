"""Technology / industrial-production / other labels for regional clusters.

The typology follows cluster policy practice (Russian Cluster Observatory, HSE ISSEK;
Ministry of Economic Development pilot innovative territorial clusters, 2012):

* **technology**: development driven by R&D and knowledge: science cities, R&D services,
  software, pharmaceuticals, semiconductors and electronics;
* **industrial-production**: centred on producing goods, complex ones included
  (automotive, shipbuilding and aerospace assembly are industrial production there), plus
  mining, energy and their production logistics;
* **other**: service clusters (finance, insurance, tourism, ...).

Rule (thresholds in params.yaml ``label``)::

    technology_score = employment in technology industries / cluster employment
    production_score = employment in goods-producing sectors / cluster employment
    label = technology              if technology_score >= technology_share_min
                                       and the largest industry is not generic
            industrial-production   elif production_score >= production_share_min
            other                   otherwise

*Generic* industries (``technology_generic``: headquarters 5511, office administration,
employment, business support and security services) are no technology industries, but a
regional cluster led by one is a headquarters / business-services concentration: the US
benchmark Business Services cluster holds 40-60 % engineering (5413) and computer
services (5415, both BLS Level I) in every large metro, so the share rule alone called
the headquarters belt from Richmond to Bridgeport (largest industry 551114) technology.

Robustness: each threshold (``technology_share_min``, ``production_share_min``) is moved
by ``robustness_shift`` (+-20 %) one at a time; a cluster whose label changes under any
of these moves gets ``label_confidence`` = low, else high (:func:`label_robustness`).

Technology industries default to BLS high-tech Level I (Hecker 2005), which holds at least
five times the average share of science, engineering and technician occupations, less
3364 aerospace products (assembly, per the typology). Levels II-III add resource and
process industries (oil and gas, basic chemicals, machinery), which would blur the line
with production.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.classifications.technology import prefix_weights

LABELS = ("technology", "industrial-production", "other")


class ClusterLabeller:
    """Label clusters from the technology intensity of their industries.

    Parameters
    ----------
    technology_prefixes : sequence of str, or mapping of prefix -> weight
        Industry code prefixes that count as technology industries (weight 1), or, for
        coarse data such as NACE sections, the technology-intensive share of each prefix.
    production_prefixes : sequence of str, or mapping of prefix -> weight
        Industry code prefixes of goods-producing sectors.
    technology_share_min, production_share_min : float
        Thresholds of the rule in the module docstring.
    generic_prefixes : sequence of str
        Headquarters and generic business-service prefixes: a cluster whose largest
        industry matches one cannot be technology.

    Attributes
    ----------
    technology_score_, production_score_ : Series
        Employment shares, indexed by cluster id.
    generic_top_ : Series of bool
        Whether the cluster's largest industry is generic.
    labels_ : Series
        One of :data:`LABELS` per cluster id.
    """

    def __init__(
        self,
        technology_prefixes: Sequence[str] | Mapping[str, float],
        production_prefixes: Sequence[str] | Mapping[str, float],
        technology_share_min: float,
        production_share_min: float,
        generic_prefixes: Sequence[str] = (),
    ) -> None:
        self.technology_prefixes = technology_prefixes
        self.production_prefixes = production_prefixes
        self.technology_share_min = technology_share_min
        self.production_share_min = production_share_min
        self.generic_prefixes = generic_prefixes

    def fit(
        self, composition: pd.DataFrame, id_column: str = "regional_cluster_id"
    ) -> ClusterLabeller:
        """Score each cluster from its industry composition.

        Parameters
        ----------
        composition : DataFrame
            ``id_column``, industry_code, employment.
        """
        codes = composition["industry_code"].astype(str)
        employment = composition["employment"].fillna(0.0)
        weighted = (
            pd.DataFrame(
                {
                    "id": composition[id_column].to_numpy(),
                    "total": employment.to_numpy(),
                    "technology": (
                        employment * prefix_weights(codes, self.technology_prefixes)
                    ).to_numpy(),
                    "production": (
                        employment * prefix_weights(codes, self.production_prefixes)
                    ).to_numpy(),
                }
            )
            .groupby("id")
            .sum()
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            self.technology_score_ = (weighted["technology"] / weighted["total"]).fillna(0.0)
            self.production_score_ = (weighted["production"] / weighted["total"]).fillna(0.0)
        largest = (
            pd.DataFrame(
                {"id": composition[id_column].to_numpy(), "code": codes, "employment": employment}
            )
            .sort_values(["id", "employment", "code"], ascending=[True, False, True])
            .drop_duplicates("id")
            .set_index("id")["code"]
        )
        generic = tuple(str(prefix) for prefix in self.generic_prefixes)
        self.generic_top_ = (
            largest.str.startswith(generic) if generic else pd.Series(False, index=largest.index)
        ).reindex(weighted.index, fill_value=False)
        self.labels_ = self.relabel()
        return self

    def relabel(
        self,
        technology_share_min: float | None = None,
        production_share_min: float | None = None,
    ) -> pd.Series:
        """Labels of the fitted scores under other thresholds (default: the fitted ones)."""
        technology_min = (
            self.technology_share_min if technology_share_min is None else technology_share_min
        )
        production_min = (
            self.production_share_min if production_share_min is None else production_share_min
        )
        return pd.Series(
            label_from_scores(
                self.technology_score_.to_numpy(),
                self.production_score_.to_numpy(),
                technology_min,
                production_min,
                self.generic_top_.to_numpy(),
            ),
            index=self.technology_score_.index,
        )


def label_from_scores(
    technology_score: np.ndarray,
    production_score: np.ndarray,
    technology_share_min: float,
    production_share_min: float,
    generic_top: np.ndarray | None = None,
) -> np.ndarray:
    """Apply the labelling rule to score arrays (technology first, then production).

    ``generic_top`` (bool per cluster) marks clusters led by a generic industry, which
    cannot be technology.

    Examples
    --------
    >>> label_from_scores(np.array([0.6, 0.1, 0.1]), np.array([0.7, 0.8, 0.2]), 0.4, 0.5).tolist()
    ['technology', 'industrial-production', 'other']
    >>> label_from_scores(np.array([0.6]), np.array([0.0]), 0.4, 0.5, np.array([True])).tolist()
    ['other']
    """
    technology = technology_score >= technology_share_min
    if generic_top is not None:
        technology = technology & ~np.asarray(generic_top, dtype=bool)
    return np.select(
        [technology, production_score >= production_share_min],
        ["technology", "industrial-production"],
        default="other",
    )


def label_robustness(
    labeller: ClusterLabeller, shift: float
) -> tuple[pd.Series, dict[str, dict[str, int]]]:
    """Which labels flip when each threshold moves by -``shift`` and +``shift`` (relative).

    Parameters
    ----------
    labeller : ClusterLabeller
        A fitted labeller.
    shift : float
        Relative move of each threshold, e.g. 0.2 for +-20 %.

    Returns
    -------
    (Series, dict)
        ``label_confidence`` per cluster id (``low`` if any move flips its label, else
        ``high``), and the number of flipped labels per threshold and move, e.g.
        ``{"technology_share_min": {"-20%": 12, "+20%": 9}, ...}``.
    """
    base = labeller.labels_
    flipped = pd.Series(False, index=base.index)
    counts: dict[str, dict[str, int]] = {}
    for name in ("technology_share_min", "production_share_min"):
        value = getattr(labeller, name)
        counts[name] = {}
        for sign, factor in (("-", 1 - shift), ("+", 1 + shift)):
            moved = labeller.relabel(**{name: value * factor})
            changed = moved != base
            counts[name][f"{sign}{shift:.0%}"] = int(changed.sum())
            flipped |= changed
    confidence = pd.Series(np.where(flipped, "low", "high"), index=base.index)
    return confidence, counts


def label_regional_clusters(
    regional: pd.DataFrame, composition: pd.DataFrame, labeller: ClusterLabeller
) -> pd.DataFrame:
    """``regional`` with technology_score, production_score and label columns added."""
    labeller.fit(composition)
    labelled = regional.copy()
    ids = labelled["regional_cluster_id"]
    labelled["technology_score"] = ids.map(labeller.technology_score_).fillna(0.0).astype("float64")
    labelled["production_score"] = ids.map(labeller.production_score_).fillna(0.0).astype("float64")
    labelled["label"] = ids.map(labeller.labels_).fillna("other").astype(str)
    return labelled


def label_with_confidence(
    regional: pd.DataFrame, composition: pd.DataFrame, labeller: ClusterLabeller, shift: float
) -> tuple[pd.DataFrame, dict]:
    """:func:`label_regional_clusters` plus ``label_confidence`` and the robustness counts.

    Returns
    -------
    (DataFrame, dict)
        The labelled table and ``{"shift": shift, "flips": {...}, "low_confidence": n,
        "clusters": n}`` (flips as in :func:`label_robustness`).
    """
    labelled = label_regional_clusters(regional, composition, labeller)
    confidence, flips = label_robustness(labeller, shift)
    labelled["label_confidence"] = (
        labelled["regional_cluster_id"].map(confidence).fillna("high").astype(str)
    )
    report = {
        "shift": shift,
        "flips": flips,
        "low_confidence": int((labelled["label_confidence"] == "low").sum()),
        "clusters": int(len(labelled)),
    }
    return labelled, report


def patent_intensity(regional: pd.DataFrame, patents: pd.DataFrame, per_jobs: float) -> pd.Series:
    """Utility patents a year per ``per_jobs`` jobs of each regional cluster's member regions.

    Parameters
    ----------
    regional : DataFrame
        region_ids, region_employment (all-industry employment of the members).
    patents : DataFrame
        region_id, patents_per_year (:func:`pipeline.sources.us_patents.region_patents`).
    per_jobs : float
        Jobs per unit of the result (params ``label.patents_per_jobs``, e.g. 1,000).

    Returns
    -------
    Series of float
        ``per_jobs * sum_r patents_r / sum_r E_r`` over member regions r (a region absent
        from ``patents`` had no grant); aligned with ``regional``. The patents are the
        members' mean annual grants, whichever years the employment is from.
    """
    lookup = patents.set_index("region_id")["patents_per_year"]
    granted = regional["region_ids"].map(
        lambda ids: float(lookup.reindex(list(ids)).fillna(0.0).sum())
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = per_jobs * granted / regional["region_employment"].astype(float)
    return intensity.replace([np.inf, -np.inf], np.nan).astype("float64")
