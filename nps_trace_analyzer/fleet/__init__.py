"""The layer above one bundle: several servers compared, many bundles analysed (fleet)."""
