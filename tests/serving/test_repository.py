"""`ModelRepository`: latest-version lookup, and deleted versions leaving memory."""

import gc
import os
import shutil
import weakref

import pytest

from keras_gen import export
from keras_gen.serving.repository import ModelRepository, NotFound
from tests.helpers import tiny_gan


def test_a_deleted_version_is_unloaded_and_no_longer_served(tmp_path):
    gan = tiny_gan()
    for version in (1, 2):
        export.export_saved_model(gan, str(tmp_path / "tiny"), version=version, verify=False)
    repository = ModelRepository(str(tmp_path), poll_seconds=0.0)  # rescans at every call
    assert repository.get("tiny")[0] == 2  # the latest, as TF Serving's default policy
    _, first = repository.get("tiny", version=1)
    released = weakref.ref(first)
    del first
    shutil.rmtree(tmp_path / "tiny" / "1")
    with pytest.raises(NotFound, match=r"Specific\(tiny, 1\)"):
        repository.get("tiny", version=1)
    gc.collect()
    assert released() is None  # the repository let go of version 1's session
    assert repository.get("tiny")[0] == 2 and os.path.isdir(tmp_path / "tiny" / "2")
