"""Getting orders in: the batch every source is turned into, the API payload and file readers."""
