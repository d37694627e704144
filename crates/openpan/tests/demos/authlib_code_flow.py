"""A third-party OAuth client (Authlib, from PyPI) signs in to openpan.

Authlib reads the discovery document, builds the authorization URL with PKCE (S256), a state
and a nonce; a person's browser is played with plain HTTP (sign in, allow); Authlib then
exchanges the code, validates the ID token against the published JWKS, calls userinfo, and
refreshes the grant. Prints one JSON line with what it saw.

Environment: OPENPAN_ISSUER, OPENPAN_CLIENT_ID, OPENPAN_CLIENT_SECRET, OPENPAN_REDIRECT_URI,
OPENPAN_LOGIN, OPENPAN_PASSWORD.
"""

import html
import json
import os
import re
import sys

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken

issuer = os.environ["OPENPAN_ISSUER"]
redirect_uri = os.environ["OPENPAN_REDIRECT_URI"]

metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
assert metadata["issuer"] == issuer, metadata

client = OAuth2Session(
    client_id=os.environ["OPENPAN_CLIENT_ID"],
    client_secret=os.environ["OPENPAN_CLIENT_SECRET"],
    scope="openid profile email files.read",
    redirect_uri=redirect_uri,
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
code_verifier = generate_token(48)
nonce = generate_token(20)
url, state = client.create_authorization_url(
    metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce
)

# The person's browser: the sign-in page, then the consent page.
browser = requests.Session()
page = browser.get(url, timeout=10)
assert page.status_code == 200, page.text


def form_fields(text):
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text):
        fields[name] = html.unescape(value)
    return fields


login = form_fields(page.text)
login.update(action="login", login=os.environ["OPENPAN_LOGIN"], password=os.environ["OPENPAN_PASSWORD"])
consent = browser.post(metadata["authorization_endpoint"], data=login, timeout=10)
assert consent.status_code == 200 and "Allow" in consent.text, consent.text
approval = form_fields(consent.text)
approval["action"] = "approve"
answer = browser.post(metadata["authorization_endpoint"], data=approval, allow_redirects=False, timeout=10)
assert answer.status_code == 303, answer.text
callback = answer.headers["Location"]
assert callback.startswith(redirect_uri), callback

token = client.fetch_token(
    metadata["token_endpoint"],
    authorization_response=callback,
    state=state,
    code_verifier=code_verifier,
)

keys = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
claims = jwt.decode(
    token["id_token"],
    keys,
    claims_cls=CodeIDToken,
    claims_options={"iss": {"essential": True, "value": issuer}},
    claims_params={"nonce": nonce, "client_id": client.client_id, "access_token": token["access_token"]},
)
claims.validate(leeway=120)

userinfo = client.get(metadata["userinfo_endpoint"]).json()
assert userinfo["sub"] == claims["sub"], (userinfo, claims)

refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
assert refreshed["access_token"] != token["access_token"]

children = client.get(issuer + "/api/v2/folder/0/children")
assert children.status_code == 200, children.text

print(
    json.dumps(
        {
            "scope": token["scope"],
            "sub": claims["sub"],
            "email": userinfo.get("email"),
            "at_hash_checked": "at_hash" in claims,
            "refreshed_scope": refreshed["scope"],
        }
    )
)
sys.exit(0)
