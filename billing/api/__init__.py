"""The HTTP API: thin routes over the engine's functions."""
