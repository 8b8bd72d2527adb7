"""Embeddings and vector indexes for similarity search."""
