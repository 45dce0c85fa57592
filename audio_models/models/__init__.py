"""Speech models on disk: the store, verified downloads and safe archive extraction."""
