"""Crypto-shredding: personal data sealed with a key per citizen, and forgotten with the key."""

from .keyring import KeyNotPrefetched, Keyring, MasterKeyMismatch, SubjectForgotten, keyring_of
from .mapper import SealingMapper, sealing_of
from .numbers import CitizenNumbers, numbers_of

__all__ = [
    "CitizenNumbers",
    "KeyNotPrefetched",
    "Keyring",
    "MasterKeyMismatch",
    "SealingMapper",
    "SubjectForgotten",
    "keyring_of",
    "numbers_of",
    "sealing_of",
]
