"""The network: log-mel -> conv front end (stride 2) -> bidirectional GRU -> per-10 ms heads.

Outputs per 10 ms frame: phone-class logits (``classes.PHONE_CLASSES``), Preston Blair
viseme logits (``phonemes.visemes.VISEMES``) and continuous mouth controls
(``phonemes.visemes.CONTROLS``, sigmoid, 0..1). The GRU runs at 20 ms steps and each
step predicts its two 10 ms frames, which halves the recurrent cost.
Look-ahead is bounded by the chunking in ``recognizer`` (chunks with context on each side).
"""
from __future__ import annotations

import torch
from torch import nn

from ..phonemes.visemes import CONTROLS, VISEMES
from .features import N_MELS
from .classes import PHONE_CLASSES


class VisemeNet(nn.Module):
    def __init__(self, n_mels: int = N_MELS, channels: int = 192, hidden: int = 144, layers: int = 2,
                 n_phones: int = len(PHONE_CLASSES), n_visemes: int = len(VISEMES), n_controls: int = len(CONTROLS),
                 dropout: float = 0.15):
        super().__init__()
        self.config = dict(n_mels=n_mels, channels=channels, hidden=hidden, layers=layers, n_phones=n_phones,
                           n_visemes=n_visemes, n_controls=n_controls, dropout=dropout)
        self.register_buffer("mean", torch.zeros(n_mels))
        self.register_buffer("std", torch.ones(n_mels))
        self.front = nn.Sequential(
            nn.Conv1d(n_mels, channels, 5, padding=2), nn.GELU(),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(channels, channels, 3, padding=1), nn.GELU(),
        )
        self.norm = nn.LayerNorm(channels)
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.GRU(channels, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                          dropout=dropout if layers > 1 else 0.0)
        self.n_out = n_phones + n_visemes + n_controls
        self.head = nn.Linear(2 * hidden, 2 * self.n_out)
        self.n_phones, self.n_visemes, self.n_controls = n_phones, n_visemes, n_controls

    def forward(self, feats: torch.Tensor):
        """feats [B, T, n_mels] (raw log-mel) -> (phone logits [B,T',P], viseme logits [B,T',V], controls [B,T',C]).

        T' = T rounded up to even; callers crop to T.
        """
        B, T, _ = feats.shape
        x = (feats - self.mean) / self.std
        if T % 2:
            x = torch.cat([x, x[:, -1:]], dim=1)
        x = self.front(x.transpose(1, 2)).transpose(1, 2)  # [B, T/2, C]
        x = self.drop(self.norm(x))
        x, _ = self.rnn(x)
        x = self.head(self.drop(x))  # [B, T/2, 2*out]
        x = x.reshape(B, -1, self.n_out)  # [B, T', out]
        p = x[..., : self.n_phones]
        v = x[..., self.n_phones: self.n_phones + self.n_visemes]
        c = torch.sigmoid(x[..., self.n_phones + self.n_visemes:])
        return p, v, c


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
