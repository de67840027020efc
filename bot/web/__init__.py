"""The app's web server: web chat, Telegram webhook, health check."""
