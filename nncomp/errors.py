"""Exceptions raised by nncomp. Every failure a user can cause is an NNCompError."""
from __future__ import annotations


class NNCompError(Exception):
    """Base class of every error nncomp raises on purpose."""


class CorruptDataError(NNCompError):
    """The archive is damaged or is not an nncomp archive."""


class TruncatedDataError(CorruptDataError):
    """The archive ends before its last frame does."""


class EnvironmentMismatchError(NNCompError):
    """This machine cannot reproduce the floats the encoder computed."""


class LimitError(NNCompError):
    """The archive asks for more than the documented bounds or the caller's limit."""


class CheckpointError(NNCompError):
    """A checkpoint that does not belong to this run (other input, settings or version), or
    whose contents are not what this nncomp writes."""
