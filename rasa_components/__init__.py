"""Custom Rasa NLU components.

This package runs inside Rasa's own environment (`.venv-rasa`) and must import nothing
from the app (`bot`, `actions`). Its stdlib-only modules (`normalize`, `gazetteer`) are
also used by the app so that both sides read city names the same way. Importing this
package does not import Rasa: the components live in their own modules.
"""
