"""Small helpers: image grids, the image range check, atomic file writes, file hashes, dtype
policies (for a block of work, or a saved model rebuilt in another)."""

from keras_gen.utils.files import atomic_folder, atomic_path, sha256_of, write_json_atomic
from keras_gen.utils.images import (make_grid, model_range_images, refuse_integer_images,
                                    save_image_grid, to_uint8)
from keras_gen.utils.precision import (PRECISIONS, deserialize_in_policy, dtype_policy,
                                       model_in_policy)

__all__ = ["PRECISIONS", "atomic_folder", "atomic_path", "deserialize_in_policy", "dtype_policy",
           "make_grid", "model_in_policy", "model_range_images", "refuse_integer_images",
           "save_image_grid", "sha256_of", "to_uint8", "write_json_atomic"]
