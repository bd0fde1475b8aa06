"""The grant's host hooks: each documented, each required where it is used, and no secret in any log line."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable

import pytest
from aws_support import REGION, Deployment, form_for, sign_botocore

from oauth2_grant_aws_identity import ChallengeAwsIdentityGrant, hookspecs
from oauth2_grant_aws_identity.grant import AwsIdentityGrant
from oauth2_grant_aws_identity.testing import DEPLOYER, LoopbackSts

SPECS = [function for name, function in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("oauth2_")]


def test_the_four_host_hooks_exist() -> None:
    assert sorted(spec.__name__ for spec in SPECS) == [
        "oauth2_aws_identity_bind",
        "oauth2_aws_identity_consume_nonce",
        "oauth2_aws_identity_remember",
        "oauth2_aws_identity_store_nonce",
    ]


@pytest.mark.parametrize("spec", SPECS, ids=[spec.__name__ for spec in SPECS])
def test_hookspec_is_documented_and_typed(spec: Callable[..., object]) -> None:
    doc = inspect.getdoc(spec) or ""
    assert "Fires" in doc, "say when the hook fires"
    assert "None" in doc or "ignored" in doc, "say what a None result means"
    annotations = inspect.get_annotations(spec)
    assert set(inspect.signature(spec).parameters) <= set(annotations) and "return" in annotations


def test_required_hooks_cover_every_spec_in_challenge_mode() -> None:
    assert set(ChallengeAwsIdentityGrant.required_host_hooks) == {spec.__name__ for spec in SPECS}
    assert set(AwsIdentityGrant.required_host_hooks) == {"oauth2_aws_identity_remember", "oauth2_aws_identity_bind"}


def test_no_secret_reaches_a_log_line(
    make_deployment: Callable[..., Deployment], moto: LoopbackSts, caplog: pytest.LogCaptureFixture
) -> None:
    deployment = make_deployment(sts_endpoint=moto.url)
    deployment.aws.bind_subject(DEPLOYER, "workload")
    session = moto.role_session
    headers = sign_botocore(session, moto.host)
    form = form_for(REGION, headers)
    with caplog.at_level(logging.DEBUG):
        issued = deployment.post(form)
        replayed = deployment.post(form)
    assert issued.status == 200 and replayed.status == 400
    logged = caplog.text + repr([record.args for record in caplog.records])
    signature = headers["Authorization"].rpartition("Signature=")[2]
    for secret in (
        signature,
        session.token,
        session.secret_key,
        str(issued.json()["access_token"]),
        form["headers_json"],
    ):
        assert secret not in logged
    assert "assumed-role" not in json.dumps(replayed.json())  # errors do not echo the identity either
