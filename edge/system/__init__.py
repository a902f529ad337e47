"""The operating system around the product: systemd, the service units, logging, safe file writes, the doctor.

Rule: :mod:`~edge.system.notify` speaks sd_notify, :mod:`~edge.system.service` asks systemctl,
:mod:`~edge.system.logsetup` routes log records to journald, :mod:`~edge.system.files` is the one
atomic file writer (and reads and inspects files without raising or blocking),
:mod:`~edge.system.stdio` catches what native libraries print and silences a closed stdout, and :mod:`~edge.cli.doctor` checks every part (it may import any stage
package to try it). Nothing in the stage packages imports :mod:`~edge.cli.doctor`.
"""
