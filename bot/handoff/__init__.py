"""Handoff to human cultural mediators: cases, routing, relay, safeguarding."""
