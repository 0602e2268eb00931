"""Built-in integrations, one module per framework."""
