"""The tiny seeded models the REST contract tests query.

For a real TF Serving container: `python -m tests.serving.contract_models saved_models/`, start the
container on that folder, then run the tests with KERAS_GEN_SERVING_URL=http://127.0.0.1:8501.
"""

import os
import sys

from keras_gen import export

MAX_BATCH = 64


def build_models():
    """`{name: model}`, identical on every machine (fixed seeds)."""
    from tests.helpers import tiny_gan
    from tests.models.test_conditional_gan import tiny_cgan
    from tests.models.test_vae import tiny_vae

    cgan = tiny_cgan()
    cgan.class_names = [f"class_{label}" for label in range(cgan.num_classes)]  # sample_by_name
    return {"contract_gan": tiny_gan(), "contract_cgan": cgan, "contract_vae": tiny_vae()}


def export_models(folder, models=None):
    """Exports the contract models (version 1 each) and writes `models.config`."""
    models = models or build_models()
    for name, model in models.items():
        if not export.existing_versions(os.path.join(folder, name)):
            export.export_saved_model(model, os.path.join(folder, name), version=1)
    export.write_models_config(folder)
    return models


if __name__ == "__main__":
    export_models(sys.argv[1] if len(sys.argv) > 1 else "saved_models")
