"""The indicator report from the command line, for scheduled delivery (`python -m bot.reports`)."""
