"""Errors in source 001's variational autoencoder (§4.2, §5.2), each with the call that fails or the
computation that shows the fix. Discussed in ``notebooks/09_vae.ipynb``; the corrected model is
:class:`companion.keras.vae.MultVAE` (one ``keras.Model``, sampling inside, its KL added with
``add_loss``). Framework-neutral: the failing calls are plain Python, the numbers NumPy.
"""
from __future__ import annotations

import numpy as np

from . import Erratum

CHAPTER = "09_vae"

#: Source 001 §5.2, the lines quoted by the entries below (verbatim).
SOURCE_LAMBDA = "z = Lambda=lambda x: x[:, 0] * tf.exp(0.5 * x[:, 1])([z_mean, z_log_var])"
SOURCE_MODEL = "vae = Model(input_layer, decoderLayer1(output_layer), name='vae')"


def _failing(code: str, namespace: dict | None = None) -> str:
    """Run ``code`` and return the exception it raises, as ``"Type: message"``."""
    try:
        exec(compile(code, "<source 001 §5.2>", "exec"), dict(namespace or {}))
    except Exception as exc:  # noqa: BLE001 - the point is to show which error it is
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("the source line ran; the erratum is wrong")


def lambda_line() -> str:
    ns = {"tf": None, "z_mean": None, "z_log_var": None}
    exec(compile(SOURCE_LAMBDA, "<source 001 §5.2>", "exec"), ns)  # it parses: a chained assignment
    what = "a function" if callable(ns["z"]) and ns["z"] is ns["Lambda"] else type(ns["z"]).__name__
    return (f"the line parses as z = Lambda = (lambda x: ...): z is {what}, not a tensor, and the imported Lambda "
            "layer is overwritten; Dense(...)(z) then fails. Corrected: z = Sampling()([z_mean, z_log_var]), a layer "
            "returning z_mean + exp(0.5 * z_log_var) * ε")


def _sample_variance() -> str:
    rng = np.random.default_rng(0)
    mu, logvar = 0.5, 0.0
    source = np.full(10_000, mu * np.exp(0.5 * logvar))
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal(10_000)
    return (f"z = μ + exp(½ log σ²)·ε, ε ~ N(0, 1): at μ = 0.5, log σ² = 0 the sample variance of 10,000 draws is "
            f"{z.var():.2f} (σ² = 1); the source's μ·exp(½ log σ²) has variance {source.var():.1f}: no sampling at all")


def model_line() -> str:
    err = _failing(SOURCE_MODEL, {"Model": lambda *a, **k: None, "input_layer": None})
    return f"{err}; corrected: vae = Model(input_layer, decoder(encoder_z(input_layer))), one model end to end"


def _dense_shape() -> str:
    timesteps, features = 10, 4
    decoded = (timesteps, timesteps * features)  # Dense acts on the last axis of a (timesteps, features) input
    return (f"for timesteps={timesteps}, features={features} the decoder outputs {decoded} per example against a "
            f"target of {(timesteps, features)}: Flatten the input first, or Reshape((timesteps, features)) the output")


def _kl_value() -> str:
    mu, logvar = np.array([2.0, -1.0]), np.array([-4.0, -4.0])
    kl = 0.5 * float((mu ** 2 + np.exp(logvar) - 1 - logvar).sum())
    return (f"loss = reconstruction + KL(q(z|x) ‖ N(0, I)); e.g. μ = [2, −1], log σ² = [−4, −4] costs KL = {kl:.3f} "
            "nats, which the source's loss never charges, so σ shrinks to 0 and the model is a plain autoencoder")


def _lambda_binds_a_function() -> bool:
    ns = {"tf": None, "z_mean": None, "z_log_var": None}
    exec(compile(SOURCE_LAMBDA, "<source 001 §5.2>", "exec"), ns)
    return callable(ns["z"]) and ns["z"] is ns["Lambda"]


def _source_never_samples() -> bool:
    z = 0.5 * np.exp(0.5 * 0.0) * np.ones(1000)  # the source's z for any ε: always the same number
    return float(z.var()) == 0.0


def _no_compile_raises() -> bool:
    import keras

    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Dense(3)(inp))
    try:
        model.fit(np.zeros((4, 3)), np.zeros((4, 3)), verbose=0)
    except (RuntimeError, ValueError):  # Keras 3: ValueError "You must call `compile()` ..."
        return True
    return False


def _no_such_metric() -> bool:
    import keras

    try:
        keras.metrics.get("reconstruction_error")
    except ValueError:
        return True
    return False


ENTRIES = [
    Erratum(source="001 §5.2", topic="vae", what="the reparameterisation line", printed=SOURCE_LAMBDA,
            correct=lambda_line, check=_lambda_binds_a_function, why="`Lambda=lambda` makes the line a chained assignment (it is not a syntax error, as "
            "is sometimes said): z is bound to an unapplied function and the Lambda layer is lost", chapter=CHAPTER),
    Erratum(source="001 §5.2", topic="vae", what="the 'reparameterisation'",
            printed="x[:, 0] * tf.exp(0.5 * x[:, 1])", correct=_sample_variance, check=_source_never_samples,
            why="it multiplies μ by σ and never draws ε, so z is deterministic: no sample, no variational "
            "posterior, and the trick's whole point (gradients through a random draw) is missing", chapter=CHAPTER),
    Erratum(source="001 §5.2", topic="vae", what="the end-to-end model", printed=SOURCE_MODEL, correct=model_line,
            check=lambda: model_line().startswith("NameError"),
            why="decoderLayer1 and output_layer are never defined (the decoder's layer is decoder_layer1, a tensor, "
            "not a layer)", chapter=CHAPTER),
    Erratum(source="001 §5.2", topic="vae", what="compiling encoder and decoder separately",
            printed="encoder.compile(optimizer='adam', loss='binary_crossentropy')\n"
                    "decoder.compile(optimizer='adam', loss='binary_crossentropy')\nvae.fit(X_train, y_train, ...)",
            correct=lambda: "one model, compiled once and fitted on its own input: vae.compile(optimizer='adam', "
                            "loss=reconstruction); vae.fit(X_train, X_train, validation_data=(X_valid, X_valid))",
            why="the encoder has no target of its own and the decoder's input is a latent code, so neither can be "
                "trained alone; `vae` itself is fitted without ever being compiled (Keras raises an error), and against "
                "y_train instead of its input", chapter=CHAPTER, check=_no_compile_raises),
    Erratum(source="001 §5.2", topic="vae", what="the loss", printed="loss='binary_crossentropy'",
            correct=_kl_value, check=lambda: 0.5 * float((np.array([4.0, 1.0]) + np.exp(-4.0) * 2 - 2 + 8).sum()) > 0,
            why="the KL term of the ELBO is missing, so this is not a VAE", chapter=CHAPTER),
    Erratum(source="001 §5.2", topic="vae", what="the decoder's output shape",
            printed="input_layer = Input(shape=(timesteps, features)) ... "
                    "decoded = Dense(units=timesteps * features, activation='sigmoid')(decoder_layer2)",
            correct=_dense_shape, check=lambda: (10, 10 * 4) != (10, 4), why="Dense on a 3-D input maps the last axis only, so the output does not "
            "have the input's shape", chapter=CHAPTER),
    Erratum(source="001 §5.2", topic="vae", what="the evaluation metric",
            printed="vae.compile(optimizer='adam', loss='binary_crossentropy', metrics=['reconstruction_error'])",
            correct=lambda: "report the reconstruction term and the negative ELBO on held-out users (the loss "
                            "itself, computed by the model); for recommendation, ranking metrics on held-out items",
            why="Keras has no metric called 'reconstruction_error' (keras.metrics.get raises ValueError), and the "
                "model is then re-fitted with the test set as validation data", chapter=CHAPTER, check=_no_such_metric),
]
