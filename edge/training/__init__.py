"""Training the expression model on a PC (needs the ``train`` extra: PyTorch).

Rule: PyTorch is imported only here; nothing in the live app imports this package. The network
(:mod:`~edge.training.model`), augmentation, objectives and schedule, checkpoints, the training
loop (:mod:`~edge.training.trainer`), prior calibration and the int8 export (through
:mod:`edge.model_format.writer`). It imports :mod:`edge.core`, :mod:`edge.data`,
:mod:`edge.model_format` and :mod:`edge.system.files`.
"""
