"""Pure computations of the domain: mergeable bars, position accounting, metric formulas."""
