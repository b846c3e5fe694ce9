"""Shared fixtures of the inference tests."""
import pytest


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny network saved the way training saves one (fast: no shipped weights needed)."""
    torch = pytest.importorskip("torch")
    from lipsync.inference.model import VisemeNet
    from lipsync.training.train import save

    torch.manual_seed(0)
    net = VisemeNet(hidden=8, channels=8)
    path = tmp_path_factory.mktemp("w") / "tiny.pt"
    save(net, str(path), {"step": 1})
    return str(path)
