"""Training, evaluation and release-making for the audio-to-viseme model. Never shipped in the extension.

Corpus readers (``datasets``), per-frame targets (``labels``), data preparation and the
feature cache (``data``, ``prepare``), synthetic speech engines (``synth``), the training
loop (``train``), decode tuning (``tune_decode``), confidence calibration
(``calibrate_confidence``), synthetic label-offset measurement (``synth_offsets``),
accuracy measures for the benchmarks (``metrics``) and the run logs of the shipped weights
(``logs/``). Everything here may import the runtime (``phonemes``, ``inference``); nothing
the extension ships imports this package. Install its extras with ``pip install
lipsync[train]`` (or ``bash tools/setup_train.sh`` for the synthesis engines).
"""
