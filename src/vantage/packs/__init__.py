"""Domain packs shipped with Vantage (each registers through the `vantage.packs` entry point)."""
