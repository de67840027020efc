"""Channel-neutral conversation core: knows no Telegram and no web framework."""
