"""The torch audio-to-viseme model: features, network, training, shipped weights."""
