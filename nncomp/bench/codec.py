"""The one interface of every benchmark row, learned or conventional (CompressAI style)."""
from __future__ import annotations


class Codec:
    """A codec row: `compress` and `decompress` bytes; `slow` codecs are timed once."""
    name: str = ""
    description: str = ""
    version: str = ""
    slow: bool = False
    device: str = "cpu"

    def compress(self, data: bytes) -> bytes:
        raise NotImplementedError

    def decompress(self, blob: bytes) -> bytes:
        raise NotImplementedError

    def extra(self) -> dict:
        """Codec-specific figures about the last compression (for nncomp: the model's bits)."""
        return {}

    def meta(self) -> dict:
        return {"version": self.version, "device": self.device, "method": "in-process"}
