"""Live collectors: market, strategy, execution and system state, one set per tenant."""
