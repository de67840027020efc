"""The staff workspace's domain logic: editing the knowledge base with permissions and an
audit trail, translation status, PO and CSV exchange, unanswered questions. No web here."""
