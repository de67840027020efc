"""What the service keeps about people, and for how long: retention, and (issue 12) a
person's access to their data and its erasure. Above the handoff and the assistant: it
deletes what both keep."""
