"""Bundled data sets (the CSVs of the project's examples and tests) and data loading.

>>> from bayesml.datasets import list_datasets, load
>>> load("sleepstudy")["Subject"].dtype.name
'category'
"""

from bayesml.datasets._load import check_dataset_name, list_datasets, load, names
from bayesml.datasets._registry import DATASETS, DatasetInfo

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "check_dataset_name",
    "list_datasets",
    "load",
    "names",
]
