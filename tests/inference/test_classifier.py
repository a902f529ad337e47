"""The real runtime on the real int8 model, broken model files, and the Edge TPU delegate."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from edge.core.errors import DelegateError, ModelError
from edge.inference import runtime
from edge.inference.classifier import ExpressionClassifier
from edge.model_format.writer import Dense, GlobalMean, Int8Net, write_int8_model
from tests.conftest import synthetic_face


def test_shipped_model_signature_and_outputs(model_path):
    clf = ExpressionClassifier(model_path, num_threads=1, delegate="cpu")
    assert clf.info.delegate == "cpu" and clf.info.input_dtype == "int8"
    probs, features = clf.run(synthetic_face(3))
    assert probs.shape == (7,) and probs.dtype == np.float32
    assert abs(float(probs.sum()) - 1.0) < 1e-3 and (probs >= 0).all()
    assert features is not None and features.ndim == 1 and clf.has_features


def test_different_faces_give_different_scores(model_path):
    clf = ExpressionClassifier(model_path, delegate="cpu")
    a = clf.classify(synthetic_face(0, seed=1))
    b = clf.classify(np.full((48, 48), 255, np.uint8))
    assert not np.allclose(a, b)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p, src: None, "not found"),
        (lambda p, src: p.write_bytes(b""), "not a TFLite model"),
        (lambda p, src: p.write_bytes(src.read_bytes()[:5000]), "could not be loaded|not a TFLite"),
        (lambda p, src: p.write_bytes(b"PK\x03\x04 this is a zip file"), "not a TFLite model"),
    ],
)
def test_broken_model_files_give_one_clear_error(tmp_path, model_path, make, message):
    path = tmp_path / "emotion_int8.tflite"
    make(path, model_path)
    with pytest.raises(ModelError, match=message):
        ExpressionClassifier(path, delegate="cpu")


def _tiny_model(classes: int, size: int = 48) -> bytes:
    weight = np.random.default_rng(0).normal(size=(classes, 1)).astype(np.float32)
    net = Int8Net([GlobalMean((0, 1)), Dense(weight, np.zeros(classes, np.float32), (-4, 4))], input_size=size)
    return write_int8_model(net)


def test_model_with_wrong_class_count_is_refused(tmp_path):
    path = tmp_path / "five.tflite"
    path.write_bytes(_tiny_model(5))
    with pytest.raises(ModelError, match="no output has 7 classes"):
        ExpressionClassifier(path, delegate="cpu")


def test_model_with_wrong_input_shape_is_refused(tmp_path):
    path = tmp_path / "big.tflite"
    path.write_bytes(_tiny_model(7, size=64))
    with pytest.raises(ModelError, match=r"input shape \[1, 64, 64, 1\]"):
        ExpressionClassifier(path, delegate="cpu")


def test_builder_model_matches_numpy_reference(tmp_path):
    """GlobalMean + Dense + Softmax in int8 agrees with the float maths within quantisation error."""
    rng = np.random.default_rng(1)
    weight = rng.normal(size=(7, 1)).astype(np.float32)
    bias = rng.normal(size=7).astype(np.float32) * 0.1
    path = tmp_path / "tiny.tflite"
    path.write_bytes(write_int8_model(Int8Net([GlobalMean((0, 1)), Dense(weight, bias, (-4, 4))])))
    clf = ExpressionClassifier(path, delegate="cpu")
    for value in (0, 64, 200, 255):
        pixels = np.full((48, 48), value, np.uint8)
        logits = weight[:, 0] * (value / 255.0) + bias
        expected = np.exp(logits - logits.max())
        expected /= expected.sum()
        assert np.allclose(clf.classify(pixels), expected, atol=0.03)


class FakeRuntime:
    """A runtime whose Edge TPU delegate fails the way the real ones do."""

    package, version = "fake", "0"

    def __init__(self, real, error):
        self.real, self.error = real, error

    def interpreter(self, **kwargs):
        kwargs.pop("experimental_delegates", None)
        return self.real.interpreter(**kwargs)

    def load_delegate(self, library, options=None):
        if self.error:
            raise self.error
        return object()


@pytest.fixture
def with_compiled(tmp_path, model_path):
    cpu = tmp_path / "emotion_int8.tflite"
    shutil.copy(model_path, cpu)
    shutil.copy(model_path, tmp_path / "emotion_int8_edgetpu.tflite")
    return cpu


@pytest.mark.parametrize(
    ("error", "hint", "level"),
    [
        # no Coral runtime installed: the normal case on most Pis, said at INFO
        (OSError("libedgetpu.so.1: cannot open shared object file"), "setup.sh --coral", logging.INFO),
        # the runtime is there but no Coral answers: worth a WARNING
        (ValueError("Failed to load delegate"), "plug in the Coral", logging.WARNING),
    ],
)
def test_edge_tpu_not_used_is_info_without_a_coral_and_warning_with_one(
    monkeypatch, caplog, with_compiled, error, hint, level
):
    real = runtime.get_runtime()
    monkeypatch.setattr(runtime, "get_runtime", lambda: FakeRuntime(real, error))
    with caplog.at_level(logging.INFO):
        clf = ExpressionClassifier(with_compiled, delegate="auto")
    assert clf.info.delegate == "cpu" and clf.info.path == with_compiled
    said = [r for r in caplog.records if "Edge TPU not used" in r.getMessage()]
    assert len(said) == 1 and hint in said[0].getMessage() and said[0].levelno == level
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r is not said[0]]
    with pytest.raises(DelegateError, match=hint):
        ExpressionClassifier(with_compiled, delegate="edgetpu")


def test_delegate_uses_compiled_model_when_tpu_answers(monkeypatch, with_compiled):
    real = runtime.get_runtime()
    monkeypatch.setattr(runtime, "get_runtime", lambda: FakeRuntime(real, None))
    clf = ExpressionClassifier(with_compiled, delegate="auto")
    assert clf.info.delegate == "edgetpu" and clf.info.path.name == "emotion_int8_edgetpu.tflite"


def test_edgetpu_without_compiled_model_explains(tmp_path, model_path):
    cpu = tmp_path / "emotion_int8.tflite"
    shutil.copy(model_path, cpu)
    with pytest.raises(DelegateError, match="edgetpu_compiler"):
        ExpressionClassifier(cpu, delegate="edgetpu")


class NanInterpreter:
    """The real interpreter, but the probabilities turn NaN after ``good`` invocations."""

    def __init__(self, real, good):
        self.real, self.good, self.calls = real, good, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def invoke(self):
        self.calls += 1
        self.real.invoke()

    def get_tensor(self, index):
        value = self.real.get_tensor(index)
        if self.calls > self.good and value.size == 7:
            return np.full(value.shape, np.nan, np.float32)
        return value

    def get_output_details(self):
        details = self.real.get_output_details()
        return [{**d, "dtype": np.float32} if int(np.prod(d["shape"])) == 7 else d for d in details]


class NanRuntime(FakeRuntime):
    def __init__(self, real, good):
        super().__init__(real, None)
        self.good = good

    def interpreter(self, **kwargs):
        return NanInterpreter(super().interpreter(**kwargs), self.good)


def test_model_that_outputs_nan_is_refused_at_load(monkeypatch, model_path):
    real = runtime.get_runtime()
    monkeypatch.setattr(runtime, "get_runtime", lambda: NanRuntime(real, good=0))
    with pytest.raises(ModelError, match="NaN"):
        ExpressionClassifier(model_path, delegate="cpu")


def test_model_that_outputs_nan_later_gives_no_decision_and_valid_json(monkeypatch, model_path, tmp_path, caplog):
    import json

    from edge.core.decision import Decider
    from edge.pipeline.analyzer import Analyzer
    from edge.pipeline.loop import Pipeline
    from edge.sinks.jsonlog import JsonLogSink
    from edge.sinks.line_writer import LineWriter
    from tests.fakes import GoodSource, OneFace

    real = runtime.get_runtime()
    monkeypatch.setattr(runtime, "get_runtime", lambda: NanRuntime(real, good=5))
    classifier = ExpressionClassifier(model_path, delegate="cpu")  # the load check passes: NaN comes later
    log_file = tmp_path / "log.jsonl"
    analyzer = Analyzer(OneFace(), classifier)
    with caplog.at_level(logging.WARNING):
        Pipeline(GoodSource(), analyzer, Decider(), [JsonLogSink(LineWriter(log_file))]).run(max_frames=20)
    text = log_file.read_text()
    assert "NaN" not in text
    records = [json.loads(line) for line in text.splitlines()]
    frames = [r for r in records if "frame" in r]
    assert all(not r["faces"] for r in frames[5:]) and analyzer.non_finite == 16
    assert sum("NaN" in r.getMessage() for r in caplog.records) == 1


def test_runtime_built_for_another_numpy_gives_one_clear_error(monkeypatch, model_path):
    """tflite-runtime built against numpy 1 raises SystemError under numpy 2: a plain fix, not a traceback."""

    class Numpy2Module:
        @staticmethod
        def Interpreter(**kwargs):
            raise SystemError("<built-in method> returned a result with an exception set")

    fake = runtime.Runtime("tflite-runtime", "2.14.0", Numpy2Module)
    monkeypatch.setattr(runtime, "get_runtime", lambda: fake)
    with pytest.raises(ModelError, match=r"does not work with the installed numpy .*setup\.sh") as info:
        ExpressionClassifier(model_path, delegate="cpu")
    assert "retrain" not in str(info.value)
