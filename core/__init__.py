"""Bottom layer: pure helpers every app may use (scales, number formatting). Imports no app of the project."""
