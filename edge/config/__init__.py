"""Configuration: the schema of the TOML file and the one loader that validates it.

Rule: :mod:`~edge.config.schema` declares every section and key with its type, choices and range
(msgspec does the checking; the choices come from the backend registries, so a new backend is
valid in the config without touching this package); :mod:`~edge.config.loader` reads the file,
applies command-line overrides and turns every problem into one ``file:line`` message.
``check-config``, ``run`` and reload all call :func:`~edge.config.loader.load_config`. This
package imports :mod:`edge.core`, :mod:`edge.paths` and the registries' name lists only.
"""
