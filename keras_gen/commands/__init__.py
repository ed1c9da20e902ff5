"""The `keras-gen` commands: each is one library call with printed results.

`keras_gen.cli` parses arguments and dispatches to `run_<command>` here; tests call these
functions (or `cli.main`) directly.
"""

from keras_gen.commands.deploying import run_export, run_serve
from keras_gen.commands.fitting import run_finetune, run_train
from keras_gen.commands.scoring import run_evaluate
from keras_gen.commands.viewing import run_presets, run_reconstruct, run_sample

__all__ = ["run_evaluate", "run_export", "run_finetune", "run_presets", "run_reconstruct",
           "run_sample", "run_serve", "run_train"]
