"""`keras-gen export` and `keras-gen serve`: SavedModels for TF Serving, and a local server."""

import os


def _export_one(model_file, name, out, version=None, precision=None):
    """Exports a .keras file or a preset as OUT/NAME/<version>/, computing in `precision` (None:
    the model's own dtype policy); returns the version's path."""
    from keras_gen import export, presets
    from keras_gen.saving import load_model_or_preset

    is_keras_file = model_file.endswith(".keras")
    if is_keras_file and not name:
        raise ValueError("--name is required for a .keras file: the model's name in TF Serving "
                         "(its folder and URL path).")
    name = name or os.path.basename(os.path.normpath(presets.resolve(model_file)))
    try:
        export.check_model_name(name)  # before the model loads
    except ValueError as error:
        raise ValueError(f"--name: {error}") from None
    model = load_model_or_preset(model_file, dtype=precision)
    path = export.export_saved_model(model, os.path.join(out, name), version)
    print(f"Exported {model_file} to {path} (checked through the SavedModel session loader)")
    return path


def run_export(args):
    """Runs `keras-gen export`; returns the new versions' paths."""
    from keras_gen import export, presets

    if args.all_presets == bool(args.model_file):
        raise ValueError("keras-gen export takes either MODEL (a .keras file or a preset) or "
                         "--all-presets, not both or neither.")
    if args.all_presets and (args.name or args.version):
        raise ValueError("--name and --version apply to one MODEL; --all-presets exports each "
                         "preset under its own name as the next version.")
    jobs = sorted(presets.builtin_presets()) if args.all_presets else [args.model_file]
    paths = [_export_one(job, args.name, args.out, args.version, args.precision)
             for job in jobs]
    print(f"Updated {export.write_models_config(args.out)}")
    return paths


def run_serve(args):
    """Runs `keras-gen serve` until interrupted."""
    import tensorflow as tf

    from keras_gen.serving import LocalServer

    # Before any model loads: TensorFlow fixes its thread pools when its runtime starts.
    tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    server = LocalServer(args.model_dir, host=args.host, port=args.port, threads=args.threads,
                         max_load_retries=args.max_load_retries,
                         load_retry_seconds=args.load_retry_seconds, max_batch=args.max_batch,
                         max_body_bytes=args.max_body_mb * 2 ** 20)
    print(f"Serving {args.model_dir} at {server.url} (TF Serving REST API; TensorFlow threads: "
          f"intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
          f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'auto'}). "
          "Ctrl-C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
