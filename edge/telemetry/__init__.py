"""Fleet telemetry over MQTT: the client wiring and the ``emojify fleet`` view.

Rule: :mod:`~edge.telemetry.mqtt_client` is the only code that talks to paho-mqtt (imported on
first use); :mod:`~edge.telemetry.fleet` reads what kiosks publish and never imports a sink.
The MQTT sink (:mod:`edge.sinks.mqtt`) builds on the client wiring. Imports :mod:`edge.core`,
:mod:`edge.config.schema` and :mod:`edge.paths` only.
"""
