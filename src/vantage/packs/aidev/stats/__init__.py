"""Pure statistics over daily series (no I/O): lagged correlations, FDR, anomalies, rules."""
