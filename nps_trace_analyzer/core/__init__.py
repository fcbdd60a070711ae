"""Shared lower layers every stage may use: the data model, Windows facts and times, safe text, exit codes,
interrupt handling and the NPS audit field layout. Nothing here imports a stage."""
