"""`autolog ui`: a read-only web UI over any store autolog can read (the `ui` extra)."""
