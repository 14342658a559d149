"""Hardware profiles of Loihi-style cores and their loader."""
