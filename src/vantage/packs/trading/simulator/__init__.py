"""The bundled market simulator: GBM prices, two strategies, an execution model.

It is named as a simulator everywhere it shows (component names, event ids, logs) and feeds the
same ingest path real events use.
"""
