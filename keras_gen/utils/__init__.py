"""Small helpers: image grids and atomic file writes."""

from keras_gen.utils.files import atomic_path, write_json_atomic
from keras_gen.utils.images import make_grid, save_image_grid, to_uint8

__all__ = ["atomic_path", "make_grid", "save_image_grid", "to_uint8", "write_json_atomic"]
