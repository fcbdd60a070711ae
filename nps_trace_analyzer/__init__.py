"""nps-trace-analyzer: diagnose NPS + Microsoft Entra MFA NPS-extension support bundles.

Data flows one way: sources -> events -> findings -> incidents -> reports.

- ``intake``   finds and identifies the files of a bundle (folder, zip, single files).
- ``sources``  reads each file kind into normalised :class:`~nps_trace_analyzer.core.model.Event` objects.
- ``extract``  pulls codes, users, correlation ids out of event texts.
- ``catalog``  loads the data-driven catalog of known errors (``catalog/`` in the repository).
- ``findings`` matches extracted codes against the catalog.
- ``incidents`` groups findings into sign-in attempts and server faults.
- ``report``   writes HTML, CSV and JSON.
- ``synth``    writes realistic sample bundles (EVTX writer, scenario generator, farms of servers).
- ``api``      the library entry point ``analyze_bundle`` (typed result, pandas DataFrames).
- ``fleet``    several servers compared; many bundles analysed on Dask into a Parquet dataset.
"""

from nps_trace_analyzer.version import __version__

__all__ = ["__version__", "analyze_bundle"]


def __getattr__(name: str) -> object:
    """``from nps_trace_analyzer import analyze_bundle``, imported on first use (the package import stays cheap)."""
    if name == "analyze_bundle":
        from nps_trace_analyzer.api import analyze_bundle

        return analyze_bundle
    raise AttributeError(f"module 'nps_trace_analyzer' has no attribute {name!r}")
