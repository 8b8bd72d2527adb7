"""All SQL of the commerce pack: staging and applying batches, and the rollup reads."""
