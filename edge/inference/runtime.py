"""The TFLite runtime: ai-edge-litert, else tflite-runtime, and the Edge TPU delegate.

Imports happen on first use, so the package imports without any runtime installed.
"""

from __future__ import annotations

import ctypes.util
import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from edge.core.errors import DelegateError, ModelError, RuntimeMissingError
from edge.core.text import one_line, shorten
from edge.model_format.schema import has_identifier
from edge.system.files import inspect_path, os_reason
from edge.system.stdio import captured_stderr

log = logging.getLogger(__name__)

#: Runtime modules in order of preference: (import name, pip package).
RUNTIMES = (("ai_edge_litert.interpreter", "ai-edge-litert"), ("tflite_runtime.interpreter", "tflite-runtime"))

EDGETPU_LIBRARY = "libedgetpu.so.1"
#: Where the expression model may run: the one list of valid ``model.delegate`` values.
DELEGATES: tuple[str, ...] = ("auto", "cpu", "edgetpu")


@dataclass(frozen=True)
class Runtime:
    """An importable TFLite runtime."""

    package: str
    version: str
    module: Any

    def interpreter(self, **kwargs: Any) -> Any:
        """Create an ``Interpreter`` with the runtime's own keyword arguments."""
        return self.module.Interpreter(**kwargs)

    def load_delegate(self, library: str, options: dict[str, str] | None = None) -> Any:
        """Load an external delegate library."""
        return self.module.load_delegate(library, options or {})


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The first runtime that imports (cached).

    Raises:
        RuntimeMissingError: Neither ai-edge-litert nor tflite-runtime can be imported.
    """
    global _runtime
    if _runtime is not None:
        return _runtime
    problems = []
    for module_name, package in RUNTIMES:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            problems.append(f"{package}: {exc}")
            continue
        try:
            found = version(package)
        except PackageNotFoundError:
            found = "unknown"
        _runtime = Runtime(package, found, module)
        return _runtime
    raise RuntimeMissingError(
        "no TFLite runtime could be imported (" + "; ".join(problems) + "); install one with "
        "'pip install ai-edge-litert' (or run ./setup.sh)"
    )


def edgetpu_model_path(model: Path) -> Path:
    """The compiled Edge TPU model that goes with ``model`` (``x.tflite`` -> ``x_edgetpu.tflite``)."""
    if model.stem.endswith("_edgetpu"):
        return model
    return model.with_name(f"{model.stem}_edgetpu{model.suffix}")


def check_model_file(path: Path) -> None:
    """Fail early, with the fix, for a missing, unreadable or non-TFLite model file (never an ``OSError``).

    Raises:
        ModelError: The file is missing, unreachable, not a regular file, empty, truncated or not
            a TFLite flatbuffer.
    """
    name = shorten(one_line(str(path)))
    info = inspect_path(path)
    if info.kind == "missing":
        raise ModelError(
            f"model file {name} not found; restore models/ from the repository or set [model] path in the config"
        )
    if not info.usable_file:
        raise ModelError(f"model path {name} is {info.describe()}; set [model] path to a .tflite file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ModelError(f"model file {name} cannot be read ({os_reason(exc)}); check its permissions") from None
    if not has_identifier(head):
        raise ModelError(
            f"{name} is not a TFLite model (empty, truncated or another format); restore it from the repository "
            "(models/) or retrain"
        )


def edgetpu_library_present() -> bool:
    """Whether the Edge TPU runtime library is installed (``libedgetpu``), without loading it."""
    return ctypes.util.find_library("edgetpu") is not None


def load_interpreter(runtime: Runtime, **kwargs: Any) -> Any:
    """An interpreter with its tensors allocated; what the runtime prints on stderr meanwhile goes to logging.

    The runtime's bare ``INFO: ...`` lines are logged at DEBUG, anything else it prints at WARNING.

    Raises:
        ValueError, RuntimeError: The runtime cannot load the model.
    """
    with captured_stderr() as printed:
        interpreter = runtime.interpreter(**kwargs)
        interpreter.allocate_tensors()
    for line in printed:
        if line.strip():
            (log.debug if line.startswith("INFO: ") else log.warning)("%s: %s", runtime.package, line)
    return interpreter


def open_interpreter(model: Path, num_threads: int = 1, delegate: str = "auto") -> tuple[Any, str, Path]:
    """Open an interpreter for ``model`` on the requested delegate.

    Args:
        model: The CPU int8 model; its ``_edgetpu`` sibling is used for the Edge TPU.
        num_threads: CPU threads for the interpreter.
        delegate: ``auto`` (Edge TPU when it answers, else CPU with one warning), ``cpu`` or
            ``edgetpu`` (fail with a hint when unavailable).

    Returns:
        ``(interpreter with tensors allocated, "cpu" or "edgetpu", model path used)``.

    Raises:
        ModelError, DelegateError, RuntimeMissingError: With the fix in the message.
    """
    if delegate not in DELEGATES:
        raise DelegateError(f"delegate {delegate!r} is not one of {', '.join(DELEGATES)}")
    runtime = get_runtime()
    if delegate in ("auto", "edgetpu"):
        try:
            return _open_edgetpu(runtime, model, num_threads), "edgetpu", edgetpu_model_path(model)
        except DelegateError as exc:
            if delegate == "edgetpu":
                raise
            # Without the Coral runtime this is the normal case, not a problem to warn about.
            installed = getattr(exc, "library_present", None)
            installed = edgetpu_library_present() if installed is None else installed
            (log.warning if installed else log.info)("Edge TPU not used (%s); running on the CPU", exc)
    check_model_file(model)
    return _open(runtime, model, num_threads=num_threads), "cpu", model


def _open(runtime: Runtime, model: Path, **kwargs: Any) -> Any:
    try:
        interpreter = load_interpreter(runtime, model_path=str(model), **kwargs)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(
            f"{model} could not be loaded by {runtime.package} ({exc}); restore the file or retrain"
        ) from exc
    except SystemError as exc:  # a runtime built against numpy 1 meeting numpy 2: the file is fine
        raise ModelError(
            f"{runtime.package} does not work with the installed numpy {version('numpy')} ({exc}); "
            "run ./setup.sh again, which keeps the numpy the runtime was built for"
        ) from exc
    return interpreter


def _open_edgetpu(runtime: Runtime, model: Path, num_threads: int) -> Any:
    compiled = edgetpu_model_path(model)
    if inspect_path(compiled).kind == "missing":
        raise DelegateError(
            f"no compiled Edge TPU model {compiled}; compile it with edgetpu_compiler (see models/README.md) "
            'or set [model] delegate = "cpu"'
        )
    check_model_file(compiled)
    try:
        tpu = runtime.load_delegate(EDGETPU_LIBRARY)
    except OSError as exc:
        error = DelegateError(
            f"Edge TPU runtime {EDGETPU_LIBRARY} is not installed ({exc}); run 'sudo ./setup.sh --coral' or set [model] delegate = \"cpu\""
        )
        error.library_present = False  # type: ignore[attr-defined]
        raise error from exc
    except ValueError as exc:  # the library loaded but found no device
        error = DelegateError(f'no Edge TPU found ({exc}); plug in the Coral or set [model] delegate = "cpu"')
        error.library_present = True  # type: ignore[attr-defined]
        raise error from exc
    return _open(runtime, compiled, num_threads=num_threads, experimental_delegates=[tpu])
