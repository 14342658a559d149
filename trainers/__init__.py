"""Trainers that export .net files: ``slayer`` (direct SNN training) and ``bootstrap``."""
