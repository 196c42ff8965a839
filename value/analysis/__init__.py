"""The value model as pure functions over customer-level pandas frames (no database; scales from core.scales)."""
