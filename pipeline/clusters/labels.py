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
            industrial-production   elif production_score >= production_share_min
            other                   otherwise

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

    Attributes
    ----------
    technology_score_, production_score_ : Series
        Employment shares, indexed by cluster id.
    labels_ : Series
        One of :data:`LABELS` per cluster id.
    """

    def __init__(
        self,
        technology_prefixes: Sequence[str] | Mapping[str, float],
        production_prefixes: Sequence[str] | Mapping[str, float],
        technology_share_min: float = 0.4,
        production_share_min: float = 0.5,
    ) -> None:
        self.technology_prefixes = technology_prefixes
        self.production_prefixes = production_prefixes
        self.technology_share_min = technology_share_min
        self.production_share_min = production_share_min

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
        self.labels_ = pd.Series(
            label_from_scores(
                self.technology_score_.to_numpy(),
                self.production_score_.to_numpy(),
                self.technology_share_min,
                self.production_share_min,
            ),
            index=weighted.index,
        )
        return self


def label_from_scores(
    technology_score: np.ndarray,
    production_score: np.ndarray,
    technology_share_min: float,
    production_share_min: float,
) -> np.ndarray:
    """Apply the labelling rule to score arrays (technology first, then production).

    Examples
    --------
    >>> label_from_scores(np.array([0.6, 0.1, 0.1]), np.array([0.7, 0.8, 0.2]), 0.4, 0.5).tolist()
    ['technology', 'industrial-production', 'other']
    """
    return np.select(
        [technology_score >= technology_share_min, production_score >= production_share_min],
        ["technology", "industrial-production"],
        default="other",
    )


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
