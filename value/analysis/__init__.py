"""The value model as pure functions over customer-level pandas frames (no Django): unit-testable without a DB."""
