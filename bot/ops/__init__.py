"""Operating the production profile on one machine (`make run-prod`)."""
