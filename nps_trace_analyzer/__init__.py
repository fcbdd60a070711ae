"""nps-trace-analyzer: diagnose NPS + Microsoft Entra MFA NPS-extension support bundles.

Data flows one way: sources -> events -> findings -> incidents -> reports.

- ``intake``   finds and identifies the files of a bundle (folder, zip, single files).
- ``sources``  reads each file kind into normalised :class:`~nps_trace_analyzer.model.Event` objects.
- ``extract``  pulls codes, users, correlation ids out of event texts.
- ``catalog``  loads the data-driven catalog of known errors (``catalog/`` in the repository).
- ``findings`` matches extracted codes against the catalog.
- ``incidents`` groups findings into sign-in attempts and server faults.
- ``report``   writes HTML, CSV and JSON.
- ``synth``    writes realistic sample bundles (EVTX writer, scenario generator).
"""

__version__ = "0.1.0"
