"""A stand-in for snnlib.papers in the launcher's tests: one tiny paper package."""
