"""Rasa custom actions (rasa-sdk action server). They read the knowledge base and answer
with response kinds and data, never with prose: the app renders the text."""
