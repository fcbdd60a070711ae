"""From events to diagnoses: findings (codes matched against the catalog, ``findings.py``, ``capture_codes.py``,
``config_checks.py``), then incidents (``incidents/``) with the cross-source checks, observations and sign-in
activity that feed the report."""
