"""Crypto-shredding: personal data sealed with a key per citizen, and forgotten with the key."""

from .keyring import KeyNotPrefetched, Keyring, MasterKeyMismatch, SubjectForgotten, keyring_of
from .mapper import SealingMapper, sealing_of

__all__ = [
    "KeyNotPrefetched",
    "Keyring",
    "MasterKeyMismatch",
    "SealingMapper",
    "SubjectForgotten",
    "keyring_of",
    "sealing_of",
]
