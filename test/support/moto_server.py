"""moto's server, with the request URL kept as sent and IAM resource checks for the services Stageline calls.

Raw URLs: Werkzeug's `request.url` is an IRI: it decodes `%2F`, `%40`, ... in the path and query,
and moto recomputes the SigV4 signature of an IAM-enforced request from that URL, so any S3
request with such a character in its query or key (ListObjectsV2 `prefix=runs%2Fr1%2F`, a
continuation token, a key naming an e-mail address) failed with SignatureDoesNotMatch
(getmoto/moto#5948). With the raw URL, moto parses the request as in its in-process mode.

Resources:
moto authorises most services at the action level only: it evaluates a policy against the
resource "*", so a grant scoped to one secret, parameter, topic, project or state machine — the
least privilege the DeploymentStage stack writes — would be denied, and a wildcard grant would
pass where AWS refuses a foreign resource. This launcher gives those services the resource ARN
AWS evaluates (from the service authorization reference), then starts the usual server.

Presigned STS requests: moto authenticates only an `Authorization` header, so a SigV4
query-presigned `GetCallerIdentity` (how a build system proves who sent a build record, as with
aws-iam-authenticator) crashed IAM enforcement, and without it moto answered with a default
identity whatever the signature. This launcher verifies such a request as STS does: the
signature over the query and the signed headers (botocore's SigV4), the credential's secret (an
IAM user's key or an assumed role's session, its token included), and the expiry.

Usage: python3 moto_server.py [moto_server arguments]
"""

import json
import sys

import werkzeug.wrappers.request as wrappers

_decoded_url = wrappers.Request.url


def _raw_url(self):
    raw = self.environ.get("RAW_URI") or self.environ.get("REQUEST_URI")
    return f"{self.scheme}://{self.host}{raw}" if raw else _decoded_url.__get__(self, type(self))


wrappers.Request.url = property(_raw_url)

from moto import server  # noqa: E402  (after the URL patch)
from moto.codebuild.responses import CodeBuildResponse  # noqa: E402
from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase
from moto.s3.models import FakeBucket
from moto.events.responses import EventsHandler
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sns.responses import SNSResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.stepfunctions.responses import StepFunctionResponse
from moto.sts.responses import TokenResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

# The proxy in front of moto (test/account) names the state machine a task token belongs to:
# tokens are opaque, and AWS authorises SendTask* against the token's state machine.
TASK_RESOURCE_HEADER = "x-stageline-task-resource"


def _json_body(response):
    try:
        return json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}


def _scope(response):
    return response.region, response.current_account


def _secret_resource(self):
    secret_id = _json_body(self).get("SecretId")
    region, account = _scope(self)
    if not secret_id:
        name = _json_body(self).get("Name")
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}" if name else "*"
    if secret_id.startswith("arn:"):
        return secret_id
    try:
        from moto.secretsmanager.models import secretsmanager_backends

        return secretsmanager_backends[account][region].secrets[secret_id].arn
    except Exception:  # a secret that does not exist: its name-based ARN
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}"


def _parameter_resource(self):
    body = _json_body(self)
    name = body.get("Name") or next(iter(body.get("Names") or []), None) or body.get("Path")
    if not name:
        return "*"
    region, account = _scope(self)
    return name if name.startswith("arn:") else f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _states_resource(self):
    body = _json_body(self)
    for key in ("stateMachineArn", "executionArn"):
        if body.get(key):
            return body[key]
    header = self.headers.get(TASK_RESOURCE_HEADER)
    return header or "*"


def _codebuild_resource(self):
    body = _json_body(self)
    project = body.get("projectName")
    if not project and body.get("ids"):
        project = str(body["ids"][0]).split(":")[0]
    if not project and body.get("id"):
        project = str(body["id"]).split(":")[0]
    if not project:
        return "*"
    region, account = _scope(self)
    return f"arn:aws:codebuild:{region}:{account}:project/{project}"


def _sns_resource(self):
    arn = self._get_param("TopicArn") or self._get_param("TargetArn")
    return arn or "*"


def _events_resource(self):
    body = _json_body(self)
    entries = body.get("Entries") or []
    bus = (entries[0].get("EventBusName") if entries else None) or body.get("EventBusName") or "default"
    if bus.startswith("arn:"):
        return bus
    region, account = _scope(self)
    return f"arn:aws:events:{region}:{account}:event-bus/{bus}"


def _principal_matches(expected, principal):
    """A trust policy naming a role admits that role's sessions; naming the account's root admits its principals (as in AWS)."""
    if expected == "*" or expected == principal:
        return True
    if principal.startswith("arn:aws:sts::") and ":assumed-role/" in principal:
        account = principal.split(":")[4]
        role_name = principal.split(":assumed-role/", 1)[1].split("/")[0]
        if expected == f"arn:aws:iam::{account}:role/{role_name}" or (expected.startswith(f"arn:aws:iam::{account}:role/") and expected.endswith(f"/{role_name}")):
            return True
    account = principal.split(":")[4] if principal.count(":") >= 5 else None
    return account is not None and expected in (f"arn:aws:iam::{account}:root", account)


def _check_principal(self, principal):
    expected_principals = self._statement.get("Principal")
    if not expected_principals:
        return True
    if expected_principals == "*":
        return True
    aws = expected_principals.get("AWS") if isinstance(expected_principals, dict) else None
    if aws is None:
        return False  # a Service or Federated principal: not an IAM caller
    return any(_principal_matches(expected, principal) for expected in (aws if isinstance(aws, list) else [aws]))


IAMPolicyStatement._check_principal = _check_principal


# ---- resource policies: explicit denies of bucket and event-bus policies ----------------------
# moto evaluates only the caller's own policies. AWS also applies the resource's policy, where an
# explicit Deny wins over any Allow: that is how the DeploymentStage stack keeps everyone but the
# build systems (ciPrincipals) from writing builds/ or publishing on its build bus.


def _caller_principal_arn(request):
    arn = request._access_key.arn
    if ":assumed-role/" in arn:
        account = arn.split(":")[4]
        return f"arn:aws:iam::{account}:role/{arn.split(':assumed-role/', 1)[1].split('/')[0]}"
    return arn


def _resource_policies(request, resource):
    account, region = request.account_id, request._region
    try:
        if resource.startswith("arn:aws:s3:::"):
            from moto.s3.models import s3_backends

            bucket = s3_backends[account]["aws"].buckets.get(resource[len("arn:aws:s3:::"):].split("/")[0])
            return [json.loads(bucket.policy)] if bucket is not None and bucket.policy else []
        if resource.startswith("arn:aws:events:") and ":event-bus/" in resource:
            from moto.events.models import events_backends

            bus = events_backends[account][region].event_buses.get(resource.split(":event-bus/", 1)[1])
            return [json.loads(bus.policy)] if bus is not None and bus.policy else []
    except (KeyError, ValueError):
        return []
    return []


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _glob(pattern, value, case_insensitive=False):
    import fnmatch

    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_values(request):
    return {
        "aws:principalarn": _caller_principal_arn(request),
        "aws:principalaccount": request.account_id,
        # The emulated endpoint is plain HTTP; the clients it stands for use TLS (1.3).
        "aws:securetransport": "true",
        "s3:tlsversion": "1.3",
    }


def _conditions_hold(conditions, request):
    values = _condition_values(request)
    for operator, tests in (conditions or {}).items():
        negated = "Not" in operator
        base = operator.replace("Not", "").replace("IfExists", "")
        for key, expected in tests.items():
            actual = values.get(key.lower())
            if actual is None:
                raise RuntimeError(f"moto_server.py: condition key {key} is not emulated")
            expected = [str(item) for item in _as_list(expected)]
            if base in ("ArnEquals", "StringEquals"):
                match = actual in expected
            elif base in ("ArnLike", "StringLike"):
                match = any(_glob(item, actual) for item in expected)
            elif base == "Bool":
                match = actual.lower() in [item.lower() for item in expected]
            elif base in ("NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "NumericEquals"):
                compare = {
                    "NumericLessThan": lambda a, b: a < b,
                    "NumericLessThanEquals": lambda a, b: a <= b,
                    "NumericGreaterThan": lambda a, b: a > b,
                    "NumericGreaterThanEquals": lambda a, b: a >= b,
                    "NumericEquals": lambda a, b: a == b,
                }[base]
                match = any(compare(float(actual), float(item)) for item in expected)
            else:
                raise RuntimeError(f"moto_server.py: condition operator {operator} is not emulated")
            if match == negated:
                return False
    return True


def _statement_applies(statement, request, resource):
    principal = statement.get("Principal")
    if principal != "*":
        aws = (principal or {}).get("AWS") if isinstance(principal, dict) else None
        if aws is None or not any(_principal_matches(expected, request._access_key.arn) for expected in _as_list(aws)):
            return False
    if "NotAction" in statement or "NotResource" in statement:
        raise RuntimeError("moto_server.py: NotAction/NotResource in a resource policy are not emulated")
    if not any(_glob(action, request._action, case_insensitive=True) for action in _as_list(statement.get("Action", []))):
        return False
    if not any(_glob(pattern, resource) for pattern in _as_list(statement.get("Resource", []))):
        return False
    return _conditions_hold(statement.get("Condition"), request)


_identity_check = IAMRequestBase.check_action_permitted


def _check_action_permitted(self, resource):
    if self._action != "sts:GetCallerIdentity":
        for policy in _resource_policies(self, resource):
            for statement in _as_list(policy.get("Statement", [])):
                if statement.get("Effect") == "Deny" and _statement_applies(statement, self, resource):
                    self._raise_access_denied()
    return _identity_check(self, resource)


IAMRequestBase.check_action_permitted = _check_action_permitted


def _bucket_permission(self, action, resource):
    # moto's own bucket-policy check ignores conditions (a CDK enforce-SSL Deny then denies every
    # request): bucket policies are applied above, with their conditions and the caller's principal.
    from moto.iam.access_control import PermissionResult

    return PermissionResult.NEUTRAL


FakeBucket.get_permission = _bucket_permission
SecretsManagerResponse._determine_resource = _secret_resource
SimpleSystemManagerResponse._determine_resource = _parameter_resource
StepFunctionResponse._determine_resource = _states_resource
CodeBuildResponse._determine_resource = _codebuild_resource
SNSResponse._determine_resource = _sns_resource
EventsHandler._determine_resource = _events_resource


# ---- SigV4 query-presigned STS requests -------------------------------------------------------


class _SignatureExpired(Exception):
    pass


def _presigned_query(self):
    from urllib.parse import parse_qsl, urlsplit

    query = urlsplit(self.uri).query
    return query, dict(parse_qsl(query, keep_blank_values=True))


def _verify_presigned(self):
    """Raises as STS does unless the query-presigned request is signed by a live credential."""
    import datetime

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from moto.core.exceptions import InvalidClientTokenIdError, SignatureDoesNotMatchError
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key

    raw_query, params = _presigned_query(self)
    try:
        access_key_id, day, region, service, terminal = params["X-Amz-Credential"].split("/")
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        expires = int(params["X-Amz-Expires"])
        signed_headers = params["X-Amz-SignedHeaders"].split(";")
        signature = params["X-Amz-Signature"]
    except (KeyError, ValueError):
        raise SignatureDoesNotMatchError()
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or service != "sts" or terminal != "aws4_request" or day != params["X-Amz-Date"][:8]:
        raise SignatureDoesNotMatchError()
    if datetime.datetime.now(datetime.timezone.utc) > signed_at + datetime.timedelta(seconds=min(expires, 604800)):
        raise _SignatureExpired()
    token_headers = {"X-Amz-Security-Token": params["X-Amz-Security-Token"]} if "X-Amz-Security-Token" in params else {}
    try:
        key = create_access_key(account_id=self.current_account, partition="aws", access_key_id=access_key_id, headers=token_headers)
    except CreateAccessKeyFailure:
        raise InvalidClientTokenIdError()
    unsigned_query = "&".join(pair for pair in raw_query.split("&") if not pair.startswith("X-Amz-Signature="))
    headers = {}
    for name in signed_headers:
        value = self.headers.get(name)
        if value is None:
            raise SignatureDoesNotMatchError()
        headers[name] = value
    request = AWSRequest(method=self.method, url=f"http://{self.headers.get('Host')}/?{unsigned_query}", headers=headers)
    request.context["timestamp"] = params["X-Amz-Date"]
    credentials = key.create_credentials()
    auth = SigV4Auth(Credentials(credentials.access_key, credentials.secret_key), "sts", region)
    canonical_request = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical_request), request)
    if expected != signature:
        raise SignatureDoesNotMatchError()
    return access_key_id


_infer_service = DomainDispatcherApplication.infer_service_region_host


def _infer_presigned_service(self, environ, path):
    # moto routes an unsigned-looking request (no Authorization header) to S3; a presigned one
    # names its service in X-Amz-Credential, as AWS's endpoint would know from its host.
    if not environ.get("HTTP_AUTHORIZATION"):
        from urllib.parse import parse_qs

        credential = (parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential") or [""])[0].split("/")
        if len(credential) == 5 and credential[3] == "sts":
            return f"sts.{credential[2]}.amazonaws.com"
    return _infer_service(self, environ, path)


DomainDispatcherApplication.infer_service_region_host = _infer_presigned_service
_authenticate_action = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _authenticate_and_authorize_action(self, iam_request_cls, resource="*"):
    if isinstance(self, TokenResponse) and "Authorization" not in self.headers and "X-Amz-Signature=" in (self.uri or ""):
        if ActionAuthenticatorMixin.request_count < __import__("moto").settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
        try:
            self._presigned_access_key = _verify_presigned(self)
        except _SignatureExpired:
            from moto.core.exceptions import _RESTError

            class ExpiredPresignedRequest(_RESTError):
                code = 403

                def __init__(self):
                    super().__init__("ExpiredToken", "The security token included in the request is expired")

            raise ExpiredPresignedRequest()
        # GetCallerIdentity needs no permission (as in AWS); anything else is authorised as usual.
        if _presigned_query(self)[1].get("Action") != "GetCallerIdentity":
            from moto.core.exceptions import AccessDeniedError

            raise AccessDeniedError(user_arn="presigned", action=f"sts:{_presigned_query(self)[1].get('Action')}")
        return None
    return _authenticate_action(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action
_token_access_key = TokenResponse.get_access_key


def _sts_access_key(self):
    return getattr(self, "_presigned_access_key", None) or _token_access_key(self)


TokenResponse.get_access_key = _sts_access_key

if __name__ == "__main__":
    server.main(sys.argv[1:])
