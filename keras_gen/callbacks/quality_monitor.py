"""`QualityMonitor`: FID/KID on a fixed sample every N epochs, in the history and TensorBoard."""

import json
import logging
import math
import os

import keras

from keras_gen.callbacks.generative_model import require_generate
from keras_gen.metrics.evaluate import ReferenceStatistics, minimum_samples
from keras_gen.models.randomness import sampling_seed
from keras_gen.utils.arguments import is_int
from keras_gen.utils.files import sha256_of, write_json_atomic

log = logging.getLogger(__name__)


class QualityMonitor(keras.callbacks.Callback):
    """Scores `num_samples` generated images (fixed seed) against reference features.

    Adds `fid`, `kid`, `precision`, `recall` and `coverage` (and, for domain
    classifiers, `classes_covered`; for a conditional model scored by a classifier
    of its classes, `conditional_accuracy`) to the epoch logs every `every` epochs,
    so they appear in `History`, `CSVLogger` and `EarlyStopping(monitor="fid")`.
    A conditional model's samples are drawn for each class in equal blocks, as
    `keras-gen evaluate` draws them.
    With `best_path`, the model is saved (atomically) whenever FID improves,
    and its scores, epoch and sha256 beside it (`best.keras` -> `best.json`);
    `best_fid` and `best_epoch` (1-based) say when that last happened. A fit
    that starts past epoch 0 continues a run (`BackupAndRestore`,
    `initial_epoch`), so the monitor takes the best score from that file and
    a later model replaces `best_path` only if it beats it. A record that
    does not describe the model there (a crash between the two writes, or a
    model copied in by hand) is not trusted: that model is scored again
    (`best_epoch` is then None).

    Args:
        reference: `keras_gen.metrics.ReferenceStatistics` of real images.
        num_samples: int. Generated images per evaluation.
        every: int. Epochs between evaluations.
        seed: int. Noise seed, the same at every evaluation.
        log_dir: optional str. TensorBoard folder for the scalars (tag `quality/<name>`).
        best_path: optional str. `.keras` path for the best-FID model.

    Example:

    ```python
    reference = ReferenceStatistics(test_images, domain="mnist")
    monitor = QualityMonitor(reference, every=5, best_path="best.keras")
    gan.fit(dataset, epochs=20, callbacks=[monitor])
    ```
    """

    KEYS = ("fid", "kid", "precision", "recall", "coverage", "classes_covered",
            "conditional_accuracy")

    def __init__(self, reference, num_samples=2000, every=1, seed=0, log_dir=None,
                 best_path=None):
        super().__init__()
        # Checked here, not when the first score is due: that is after `every` epochs of training.
        if not is_int(every) or every < 1:
            raise ValueError(f"every must be an int >= 1. Received: every={every!r}")
        if not is_int(num_samples) or num_samples < minimum_samples():
            raise ValueError(f"num_samples must be an int >= {minimum_samples()} (what evaluate "
                             f"scores). Received: num_samples={num_samples!r}")
        if not isinstance(reference, ReferenceStatistics):
            # `evaluate` takes raw images too, but would extract their features again at every
            # score, in the MNIST classifier's unless told otherwise.
            raise TypeError(
                "QualityMonitor takes a keras_gen.metrics.ReferenceStatistics, whose features "
                f"are computed once; received {type(reference).__name__}. Build one with "
                "ReferenceStatistics(images, domain=...) and pass that.")
        if best_path is not None and not str(best_path).endswith(".keras"):
            # Else refused by `save` at the first improvement, an epoch or more into training.
            raise ValueError(f"best_path is where the best model is saved, as a .keras file; "
                             f"give it a .keras ending. Received: best_path={best_path!r}")
        sampling_seed(seed)
        self.reference, self.num_samples, self.every = reference, num_samples, every
        self.seed, self.log_dir, self.best_path = seed, log_dir, best_path
        self.best_fid, self.best_epoch = math.inf, None
        self._writer, self._first_epoch = None, True

    @property
    def record_path(self):
        """str or None. The JSON file of the best model's scores, beside `best_path`."""
        return os.path.splitext(self.best_path)[0] + ".json" if self.best_path else None

    def on_train_begin(self, logs=None):
        require_generate(self.model, "QualityMonitor")
        self._first_epoch = True
        # Two samples through the reference's extractor now, so a model whose images it cannot
        # take (another shape) fails before training rather than at the first score.
        self.reference.extractor(self.model.generate(2, seed=self.seed))

    def on_epoch_begin(self, epoch, logs=None):
        # Keras restores weights and the epoch on a resume, not callbacks' state: the best
        # score so far comes from the record, so a worse model does not replace best_path.
        if self._first_epoch and epoch > 0 and self.best_fid == math.inf:
            self._restore_best()
        self._first_epoch = False

    def _restore_best(self):
        if not os.path.isfile(self.best_path or ""):
            return
        try:
            with open(self.record_path) as handle:
                record = json.load(handle)
            if record["sha256"] == sha256_of(self.best_path):
                self.best_fid, self.best_epoch = float(record["fid"]), int(record["epoch"])
                return
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no usable record: the model is scored below
        # The model and its record are two files written one after the other: a crash
        # between the two leaves a record of another model. Score the one that is there.
        log.warning("%s does not describe %s; scoring that model again.", self.record_path,
                    self.best_path)
        try:
            model = keras.saving.load_model(self.best_path)
        except Exception as error:  # Keras raises several kinds for a file it cannot read
            raise ValueError(
                f"Cannot load {self.best_path} to score it ({type(error).__name__}: {error}). "
                "Move it away to keep it, or delete it, and resume again.") from error
        self.best_fid, self.best_epoch = self._score(model)["fid"], None

    def _score(self, model):
        from keras_gen.metrics.evaluate import evaluate_model

        scores = evaluate_model(model, self.num_samples, self.reference, seed=self.seed,
                                kid_subsets=10)
        return {key: float(scores[key]) for key in self.KEYS if key in scores}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        diverged = sorted(key for key, value in (logs or {}).items()
                          if not math.isfinite(float(value)))
        if diverged:
            # TerminateOnNaN ends the run after this epoch; scoring its NaN samples raised a
            # DataError about the classifier's input in place of what happened.
            log.warning("Epoch %d: not scored, since %s are not finite (the run has diverged).",
                        epoch + 1, ", ".join(diverged))
            return
        values = self._score(self.model)
        if logs is not None:
            logs.update(values)
        if self.log_dir:
            self._write_summaries(epoch, values)
        if values["fid"] < self.best_fid:
            self.best_fid, self.best_epoch = values["fid"], epoch + 1
            if self.best_path:
                self.model.save(self.best_path)  # atomic: keras_gen's `save`
                write_json_atomic(self.record_path, {"epoch": epoch + 1,
                                                     "sha256": sha256_of(self.best_path), **values})

    def _write_summaries(self, epoch, values):
        import tensorflow as tf

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(os.path.join(self.log_dir, "quality"))
        with self._writer.as_default():
            for key, value in values.items():
                tf.summary.scalar(f"quality/{key}", value, step=epoch + 1)
        self._writer.flush()
