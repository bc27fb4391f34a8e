"""PKCE as RFC 7636 defines it, which is what X checks at the token endpoint."""

import base64

from sandbox.oauth2 import pkce_challenge

# RFC 7636 Appendix B: the octets of the verifier, the verifier, and its S256 challenge.
RFC_VERIFIER_OCTETS = bytes(
    [
        *(116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186),
        *(22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121),
    ]
)
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_rfc_verifier_is_the_base64url_of_its_octets():
    assert base64.urlsafe_b64encode(RFC_VERIFIER_OCTETS).rstrip(b"=").decode() == RFC_VERIFIER


def test_s256_matches_rfc_7636_appendix_b():
    assert pkce_challenge(RFC_VERIFIER, "S256") == RFC_CHALLENGE


def test_plain_is_the_verifier_itself():
    assert pkce_challenge(RFC_VERIFIER, "plain") == RFC_VERIFIER
