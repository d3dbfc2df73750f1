"""Layer 6, tools: the CLI, doctor, bench and demo; nothing in the library imports them."""
