"""Channel adapters: turn what arrives into `Inbound`, render `Outbound` for the channel."""
