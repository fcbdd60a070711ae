"""Synthetic ETL traces: a minimal ETL writer and builders for packet-capture events (NDIS, PktMon)."""
