"""Labelled faces and recorded runs: reading data sets and logs, and measuring on them.

Rule: :mod:`~edge.data.datasets` reads every layout the project knows (FER2013 CSV, class
folders, FER+ votes) through the one preprocessing function; :mod:`~edge.data.evaluation` holds
the metrics and the evaluation pass shared by ``scripts/evaluate.py``, personalisation and
training; :mod:`~edge.data.replay` reads the app's JSON-lines logs back and decides them again
(``emojify replay``). Imports :mod:`edge.core` and :mod:`edge.faces` only; the live loop never
imports it.
"""
