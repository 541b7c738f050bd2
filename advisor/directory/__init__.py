"""Groups proposed from the organisation's own directory and device exports (aggregates only)."""
