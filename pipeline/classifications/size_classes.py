"""Employment-size classes of establishments, as County Business Patterns publishes them.

The CBP record layouts count a cell's establishments by employment-size class: columns
``n1_4`` (to 2016) or ``n<5`` (2017 on; the same class, renamed because it always held the
establishments with payroll in the year but no mid-March employees), ``n5_9`` ... ``n1000``,
and the breakdown of the open class ``n1000_1`` ... ``n1000_4`` (Census, "CBP[YR]CO.TXT
County Data Dictionary", 2018, and the 1998-2016 county layouts).

This module is the one definition; the CBP reader (:mod:`pipeline.sources.cbp_files`), the
imputation of withheld cells (:mod:`pipeline.sources.withheld_cbp`) and the plant Herfindahl
(:func:`pipeline.measures.concentration.plant_size_squares`) import it.
"""

from __future__ import annotations

from collections.abc import Mapping

# Class label -> (lower, upper) employees, inclusive; upper None marks an open class. The
# smallest class starts at 0 (it holds the establishments without March employees). In the
# file's column order: the reader keeps it.
CBP_SIZE_CLASSES: dict[str, tuple[float, float | None]] = {
    "n1_4": (0.0, 4.0),
    "n<5": (0.0, 4.0),
    "n5_9": (5.0, 9.0),
    "n10_19": (10.0, 19.0),
    "n20_49": (20.0, 49.0),
    "n50_99": (50.0, 99.0),
    "n100_249": (100.0, 249.0),
    "n250_499": (250.0, 499.0),
    "n500_999": (500.0, 999.0),
    "n1000": (1000.0, None),
    "n1000_1": (1000.0, 1499.0),
    "n1000_2": (1500.0, 2499.0),
    "n1000_3": (2500.0, 4999.0),
    "n1000_4": (5000.0, None),
}
OPEN_CLASS = "n1000"
OPEN_CLASS_BREAKDOWN = ("n1000_1", "n1000_2", "n1000_3", "n1000_4")

# The classes that count every establishment once (the open class without its breakdown),
# what a sum over classes needs.
PLANT_SIZE_CLASSES: dict[str, tuple[float, float | None]] = {
    label: bounds for label, bounds in CBP_SIZE_CLASSES.items() if label not in OPEN_CLASS_BREAKDOWN
}

# An open class's establishments are taken as 1.5 x its lower bound (1,000+ -> 1,500), a
# convention for open-ended intervals.
OPEN_CLASS_FACTOR = 1.5


def size_class_midpoints(
    classes: Mapping[str, tuple[float, float | None]],
) -> dict[str, float]:
    """Employees per establishment of each size class, as the imputation of withheld cells uses.

    Parameters
    ----------
    classes : mapping
        Class label -> (lower, upper) employees (:data:`CBP_SIZE_CLASSES`).

    Returns
    -------
    dict
        Label -> the midpoint ``(max(lower, 1) + upper) / 2`` of a bounded class (an
        establishment the imputation counts has at least one employee: the published range
        '1 to 4' gives 2.5), ``OPEN_CLASS_FACTOR x lower`` of an open one.

    Notes
    -----
    The plant Herfindahl (:func:`pipeline.measures.concentration.plant_size_squares`) counts
    the smallest class from 0 instead (midpoint 2): the two conventions predate this module
    and are kept as they were.

    Examples
    --------
    >>> size_class_midpoints(CBP_SIZE_CLASSES)["n<5"], size_class_midpoints(CBP_SIZE_CLASSES)["n1000"]
    (2.5, 1500.0)
    """
    return {
        label: OPEN_CLASS_FACTOR * lower if upper is None else (max(lower, 1.0) + upper) / 2
        for label, (lower, upper) in classes.items()
    }
