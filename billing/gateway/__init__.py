"""Gateway integrations: plug-ins that meter calls into the engine and ask it before each one."""
