"""The independent side of classchat-notify's cross-check: decrypts Web Push bodies with
`http_ece` (RFC 8188 aes128gcm, RFC 8291 keys) and verifies VAPID JWTs with `cryptography`
(ES256), neither of which shares code with the Rust crates under test.

Reads JSON on stdin (binary values base64url, padding optional):
    {"decrypt": [{"body": ..., "private_key": ..., "auth": ...}, ...],
     "verify": [{"jwt": ..., "key": ...}, ...]}
writes {"plaintexts": [base64url, ...], "claims": [object, ...]} on stdout.
Exit status 3: a module is missing (run scripts/moto install); 1: a check failed.
"""

import base64
import json
import sys

try:
    import http_ece
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
except ImportError as err:
    print(f"ece_check.py: {err} (run scripts/moto install)", file=sys.stderr)
    sys.exit(3)


def b64decode(text):
    text = text.rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decrypt(case):
    scalar = int.from_bytes(b64decode(case["private_key"]), "big")
    private_key = ec.derive_private_key(scalar, ec.SECP256R1())
    plaintext = http_ece.decrypt(
        b64decode(case["body"]),
        private_key=private_key,
        auth_secret=b64decode(case["auth"]),
        version="aes128gcm",
    )
    return b64encode(plaintext)


def verify(case):
    header, claims, signature = case["jwt"].split(".")
    if json.loads(b64decode(header)) != {"typ": "JWT", "alg": "ES256"}:
        raise ValueError(f"unexpected JOSE header {b64decode(header)!r}")
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), b64decode(case["key"])
    )
    raw = b64decode(signature)
    if len(raw) != 64:
        raise ValueError(f"the signature is {len(raw)} bytes, not r||s (64)")
    der = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    # Raises InvalidSignature if it does not verify.
    public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64decode(claims))


def main():
    request = json.load(sys.stdin)
    answer = {
        "plaintexts": [decrypt(case) for case in request.get("decrypt", [])],
        "claims": [verify(case) for case in request.get("verify", [])],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as err:  # noqa: BLE001 - any failure is the check failing
        print(f"ece_check.py: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)
