"""The exception tree of lineage.

Every error the library raises on purpose derives from :class:`LineageError`;
third-party exceptions are translated at the boundary where they occur.

::

    LineageError
    ├── InputError                bad user input (file, line, field); exit 2
    │   └── NodeConflictError     a graph node asserted again with other attributes
    ├── ConfigurationError        bad settings: store URL, key files, passphrase; exit 2
    ├── StoreError                the store cannot be opened, read or written; exit 2
    │   └── StoreUnavailableError the store's server cannot be reached (any more)
    ├── AuthorizationError        a signer may not sign this statement (unknown,
    │                             unauthorised for the step, outside its window, revoked); exit 2
    ├── DeliveryError             an export's receiver (an OpenLineage endpoint) refused it
    │                             or could not be reached; exit 2
    └── VerificationError         evidence does not check out; exit 1
        ├── KeyTableError         the subject key tables do not match what the ledger signed
        ├── SignatureError        an Ed25519 signature (DSSE or note) does not verify
        ├── CheckpointError       a signed note / checkpoint is malformed or does not match
        └── ProofError            a Merkle proof is malformed or does not verify
            ├── OutOfRangeError   leaf index or tree sizes out of range
            ├── ProofLengthError  proof has the wrong number of hashes
            └── RootMismatchError the proof leads to another root
"""

from __future__ import annotations


class LineageError(Exception):
    """Base class of every error lineage raises on purpose."""


class InputError(LineageError):
    """Bad input; ``location`` is ``file:line`` (or empty) and ``field`` the offending field."""

    def __init__(self, message: str, *, location: str = "", field: str = "") -> None:
        self.location = location
        self.field = field
        self.problem = message
        prefix = f"{location}: " if location else ""
        fieldpart = f"{field}: " if field else ""
        super().__init__(f"{prefix}{fieldpart}{message}")

    def at(self, location: str) -> InputError:
        """The same error, located at ``location`` (used by readers that know the line)."""
        return InputError(self.problem, location=location, field=self.field)


class NodeConflictError(InputError):
    """A graph node is asserted again with another kind or other attributes."""


class BatchError(InputError):
    """Batch items that do not match what their Lineage/v2 statement commits to."""


class ConfigurationError(LineageError):
    """Settings are wrong: store URL, key file, passphrase, missing initialisation."""


class StoreError(LineageError):
    """The store cannot be opened, read or written."""


class StoreUnavailableError(StoreError):
    """The store's server cannot be reached, or the connection to it was lost: nothing
    about the ledger can be concluded until it is back."""


class AuthorizationError(LineageError):
    """A statement's signer is unknown, not authorised for the step, or revoked."""


class DeliveryError(LineageError):
    """An export could not be delivered: its receiver refused it or was not reachable."""


class VerificationError(LineageError):
    """Evidence (signature, checkpoint, proof, stored data) does not check out."""


class KeyTableError(VerificationError):
    """A row of the subject key tables does not match the pseudonyms the ledger signed."""


class SignatureError(VerificationError):
    """An Ed25519 signature does not verify."""


class CheckpointError(VerificationError):
    """A signed note or checkpoint is malformed or does not match the log."""


class ProofError(VerificationError):
    """A Merkle inclusion or consistency proof is malformed or does not verify."""


class OutOfRangeError(ProofError):
    """A leaf index or tree size is out of range for the proof requested."""


class ProofLengthError(ProofError):
    """A proof carries the wrong number of hashes."""

    def __init__(self, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"proof has {actual} hashes, expected {expected}")


class RootMismatchError(ProofError):
    """A proof leads to a root other than the expected one."""

    def __init__(self, expected: bytes, calculated: bytes, what: str = "root") -> None:
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"{what} mismatch: calculated {calculated.hex()}, expected {expected.hex()}"
        )
