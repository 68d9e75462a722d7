"""Answers to the questions users ask of the published tables, by code or by name.

* :func:`find_code` - a code or a (partial, misspelt) name -> the code; an unknown name raises
  :class:`~pipeline.errors.UserError` with the closest names (``difflib``).
* :func:`region_profile` - a region's total employment, strongest clusters (LQ, employment,
  stars, regional-cluster label and its scores), most specialised industries with titles,
  its region group and the change since the base year where the dataset is a panel.
* :func:`leading_regions` - the regions where a cluster or an industry is most concentrated.
* :func:`largest_regional_clusters` - the largest regional clusters, of one label (e.g. the
  largest technology clusters) or of all.
* :func:`related_clusters` - the clusters related to a cluster (US Cluster Mapping related
  clusters, Delgado, Porter & Stern 2016), or the industries related to an industry when an
  industry relatedness table exists.
* :func:`compare_definitions` - how the derived clusters split and join the benchmark ones.

Every function takes and returns DataFrames (the CLI reads the tables and formats the
results), so the same calls work in a notebook.

Where they are: :mod:`~pipeline.profiles.lookup` (codes by name, the year),
:mod:`~pipeline.profiles.region`, :mod:`~pipeline.profiles.rankings` (leading regions, largest
regional clusters), :mod:`~pipeline.profiles.related`, :mod:`~pipeline.profiles.names`
(:func:`with_names`) and :mod:`~pipeline.profiles.definitions` (:func:`compare_definitions`).
"""

from pipeline.profiles.definitions import DefinitionComparison, compare_definitions
from pipeline.profiles.lookup import (
    ABBREVIATIONS,
    CLOSE_CUTOFF,
    SUGGESTIONS,
    Match,
    find_code,
    latest_year,
)
from pipeline.profiles.names import with_names
from pipeline.profiles.rankings import (
    LABEL_ALIASES,
    label_name,
    largest_regional_clusters,
    leading_regions,
)
from pipeline.profiles.region import RegionProfile, region_profile
from pipeline.profiles.related import related_clusters, related_industries

__all__ = [
    "ABBREVIATIONS",
    "CLOSE_CUTOFF",
    "LABEL_ALIASES",
    "SUGGESTIONS",
    "DefinitionComparison",
    "Match",
    "RegionProfile",
    "compare_definitions",
    "find_code",
    "label_name",
    "largest_regional_clusters",
    "latest_year",
    "leading_regions",
    "region_profile",
    "related_clusters",
    "related_industries",
    "with_names",
]
