"""Multilingual information assistant for migrants in Italian cities."""
