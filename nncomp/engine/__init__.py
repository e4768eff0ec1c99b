"""The engine: the predict -> code -> train loop over the predictor stack (torch).

    loop.py         run(), encode(), decode(): one loop for both directions
    stack.py        the network, match, context and sse models behind one interface
    streams.py      the input laid out as B streams coded in lockstep (numpy only)
    determinism.py  what decides the floats: the fingerprint and the pinned torch settings

Importing this package imports nothing heavy; loop.py and stack.py import torch.
"""
