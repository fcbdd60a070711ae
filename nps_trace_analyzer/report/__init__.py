"""Reports: the analysis result rendered as JSON (for automation), CSV (for spreadsheets) and one HTML file."""
