"""Signed GetCallerIdentity requests for the aws_identity flow through the Django token view.

The verifier they are sent to is ``oauth2_grant_aws_identity.testing``:
moto on 127.0.0.1 with real IAM users and a role.
"""

from __future__ import annotations

import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from oauth2_grant_aws_identity import POST_BODY
from oauth2_grant_aws_identity.testing import REGION, free_port

SERVER_ID = "https://auth.django.test"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}/"


def sign(credentials: Credentials, host: str, *, extra: dict[str, str] | None = None) -> dict[str, str]:
    """GetCallerIdentity headers signed with botocore's SigV4Auth for ``host``, server ID included."""
    headers = {"Content-Type": FORM_TYPE, "X-OAuth2-Server-ID": SERVER_ID, **(extra or {})}
    request = AWSRequest(method="POST", url=f"http://{host}/", data=POST_BODY, headers=headers)
    SigV4Auth(credentials, "sts", REGION).add_auth(request)
    return dict(request.headers.items())


def token_form(headers: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "grant_type": "aws_identity",
        "region": REGION,
        "post_body": POST_BODY,
        "headers_json": json.dumps(headers),
        **extra,
    }
