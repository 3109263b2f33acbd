"""The back office, one module per area (DESIGN §3)."""
