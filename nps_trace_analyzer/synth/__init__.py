"""Writers for realistic sample bundles: an EVTX writer and the scenario generator built on it."""
