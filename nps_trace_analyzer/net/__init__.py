"""Decoders for network traffic found in captures: frames/IP, RADIUS, DNS, TCP/TLS, and the capture summary.

``capture_summary.summarize(packets)`` turns the packets of an ETL trace (see
:mod:`nps_trace_analyzer.sources.etl.packets`) into RADIUS exchanges, DNS queries, TCP attempts and TLS
handshakes.
"""
