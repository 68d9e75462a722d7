"""CBP employment-size classes: one definition, the midpoints the imputation has always used."""

from pipeline.classifications.size_classes import (
    CBP_SIZE_CLASSES,
    OPEN_CLASS,
    OPEN_CLASS_BREAKDOWN,
    PLANT_SIZE_CLASSES,
    size_class_midpoints,
)
from pipeline.sources import cbp_files, suppression


def test_midpoints_are_the_imputation_values():
    assert size_class_midpoints(CBP_SIZE_CLASSES) == {
        "n1_4": 2.5, "n<5": 2.5, "n5_9": 7.0, "n10_19": 14.5, "n20_49": 34.5,
        "n50_99": 74.5, "n100_249": 174.5, "n250_499": 374.5, "n500_999": 749.5,
        "n1000": 1500.0, "n1000_1": 1249.5, "n1000_2": 1999.5, "n1000_3": 3749.5,
        "n1000_4": 7500.0,
    }  # fmt: skip
    assert suppression.DEFAULT_SIZE_CLASS_MIDPOINTS == size_class_midpoints(CBP_SIZE_CLASSES)


def test_reader_and_measures_use_the_one_table():
    assert cbp_files.SIZE_CLASS_COLUMNS == list(CBP_SIZE_CLASSES)
    assert CBP_SIZE_CLASSES[OPEN_CLASS][1] is None
    # The breakdown partitions the open class.
    assert CBP_SIZE_CLASSES[OPEN_CLASS_BREAKDOWN[0]][0] == CBP_SIZE_CLASSES[OPEN_CLASS][0]
    assert CBP_SIZE_CLASSES[OPEN_CLASS_BREAKDOWN[-1]][1] is None
    assert set(PLANT_SIZE_CLASSES) == set(CBP_SIZE_CLASSES) - set(OPEN_CLASS_BREAKDOWN)
