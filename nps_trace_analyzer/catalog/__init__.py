"""The data-driven catalog of known NPS-extension, MFA, NPS and Windows errors.

The entries are YAML files in the repository's ``catalog/`` folder (shipped in the wheel); see
``catalog/README.md`` for the schema and how to write a user catalog (``--catalog PATH``).
"""

from nps_trace_analyzer.catalog.loader import builtin_catalog_dir, load_catalog
from nps_trace_analyzer.catalog.model import Catalog, Entry
from nps_trace_analyzer.catalog.schema import AUDIENCES, CATEGORIES, SEVERITIES, CatalogError

__all__ = [
    "AUDIENCES",
    "CATEGORIES",
    "SEVERITIES",
    "Catalog",
    "CatalogError",
    "Entry",
    "builtin_catalog_dir",
    "load_catalog",
]
