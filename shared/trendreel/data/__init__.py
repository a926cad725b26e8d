"""Data shipped with the package: default theme config, bundled trends."""
